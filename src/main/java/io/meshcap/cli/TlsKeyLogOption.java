package io.meshcap.cli;

import io.meshcap.MeshcapException;
import io.meshcap.format.OutputFormat;
import io.meshcap.tls.KeyLog;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --tls-keylog FILE}, shared by {@code merge}, {@code reassociate} and {@code capture}. */
final class TlsKeyLogOption {

    @Option(names = "--tls-keylog", paramLabel = "FILE",
            description = "Put this TLS key log (NSS format: Envoy's key_log, SSLKEYLOGFILE, openssl -keylogfile) into"
                    + " the output as a decryption secrets block before the first packet, so Wireshark and tshark"
                    + " decrypt the TLS connections it has keys for with no settings. Repeatable; each key line is"
                    + " written once; malformed lines are reported and skipped. The output then holds secrets.")
    List<Path> files = new ArrayList<>();

    boolean given() {
        return !files.isEmpty();
    }

    /** Refuses an output format that cannot carry the keys, before anything is written. */
    void requirePcapng(OutputFormat format) {
        if (given() && format != OutputFormat.PCAPNG) {
            throw MeshcapException.usage("--tls-keylog needs pcapng output: a " + format.name().toLowerCase()
                    + " file cannot hold decryption secrets; drop --format " + format.name().toLowerCase());
        }
    }

    /** Every file's keys, each line once (empty without the option). */
    KeyLog read() {
        return read(files);
    }

    static KeyLog read(List<Path> files) {
        KeyLog keys = KeyLog.empty();
        for (Path file : files) {
            keys = keys.plus(KeyLog.read(file));
        }
        return keys;
    }
}
