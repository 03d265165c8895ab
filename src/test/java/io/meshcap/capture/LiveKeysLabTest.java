package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.demo.Demo;
import io.meshcap.lab.LabFixture;
import io.meshcap.lab.Ledger;
import io.meshcap.lab.LedgerEntry;
import io.meshcap.sys.CommandRunner;
import io.meshcap.testing.LiveStreamRun;
import io.meshcap.testing.Tshark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshcap capture sidecar --netns POD --tls-keylog LAB_KEYS -o -} on the lab, whose sidecars speak real TLS 1.3
 * with client certificates and append their keys to the key log as each handshake happens: while the capture runs,
 * tshark reads the stream with no settings at all and shows each call's HTTP request on both mTLS legs, decrypted.
 * The lab's ports are the demo's (9080, 9090), which Wireshark gives to no other protocol, so it finds TLS there.
 */
class LiveKeysLabTest {

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create(config -> config.withAppPorts(Demo.APP_PORTS));

    @TempDir
    Path dir;

    /** Each call's request as tshark decrypts it from the stream so far: {@code LEG x-request-id}. */
    private static Set<String> decryptedRequests(Path stream) {
        // The stream is still being written: tshark reads up to its last whole block and says the rest is cut short.
        CommandRunner.Result read = CommandRunner.run(List.of("tshark", "-n", "-r", stream.toString(), "-Y",
                "http.request", "-T", "fields", "-E", "separator=/t", "-e", "frame.interface_name", "-e",
                "http.request.line"));
        return requests(read.stdout());
    }

    /** {@code LEG x-request-id} of each request in tshark's fields: the interface, then the request's lines. */
    private static Set<String> requests(String tsharkFields) {
        Set<String> requests = new HashSet<>();
        for (String line : tsharkFields.lines().toList()) {
            String[] fields = line.split("\t");
            for (int i = 1; i < fields.length; i++) {
                for (String header : fields[i].split(",")) {
                    if (header.startsWith("x-request-id: ")) {
                        requests.add(Tshark.leg(fields[0]) + " " + header.substring("x-request-id: ".length())
                                .replace("\\r\\n", "").strip());
                    }
                }
            }
        }
        return requests;
    }

    /** Each call's request on the mTLS leg it crossed: inbound calls on eth0:inbound-mtls, outbound on outbound-mtls. */
    private static Set<String> onTheMutualTlsLegs(Ledger ledger) {
        String pod = LAB.topology().podNamespace();
        Set<String> expected = new HashSet<>();
        for (LedgerEntry call : ledger.connections()) {
            expected.add(pod + (call.kind() == LedgerEntry.Kind.INBOUND ? "/eth0:inbound-mtls " : "/eth0:outbound-mtls ")
                    + call.requestId());
        }
        return expected;
    }

    @Test
    void tsharkDecryptsTheMutualTlsLegsOfTheLiveStreamWhileItRunsWithNoSettings() throws Exception {
        LiveStreamRun run = new LiveStreamRun(dir, "capture", "sidecar", "--netns", LAB.topology().podNamespace(),
                "--tls-keylog", LAB.lab().keyLog().toString(), "-o", "-");
        run.awaitCapturing(4);

        Set<String> calls = onTheMutualTlsLegs(LAB.traffic(2, 2));
        run.await(() -> decryptedRequests(run.stream).containsAll(calls),
                "every call's request decrypted on its mTLS leg while capturing");

        run.meshcap.toHandle().destroy(); // SIGTERM: stop as after Ctrl-C
        assertEquals(0, run.awaitExit(), run.err());
        assertTrue(run.tee.waitFor(30, TimeUnit.SECONDS), "the stream ended");
        String err = run.err();
        assertTrue(err.matches("(?s).*\nmeshcap: the live stream carried \\d+ TLS key log lines, each before the"
                + " packets that need it: anyone who has the stream can read the encrypted connections in it\n.*"), err);
        assertFalse(err.contains("got none in time"), "every connection that waited for its keys got them: " + err);
        // The whole stream as a pipe's reader gets it, in one pass from standard input: every call on all four legs.
        Process tshark = new ProcessBuilder("tshark", "-n", "-r", "-", "-Y", "http.request", "-T", "fields", "-E",
                "separator=/t", "-e", "frame.interface_name", "-e", "http.request.line")
                .redirectInput(run.stream.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Set<String> fromStdin = requests(new String(tshark.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertTrue(tshark.waitFor(60, TimeUnit.SECONDS));
        assertTrue(fromStdin.containsAll(calls), fromStdin.toString());
        assertEquals(2 * calls.size(), fromStdin.size(), "each call on its mTLS leg and its plaintext leg: " + fromStdin);
        String capinfos = Tshark.run("capinfos", run.stream.toString());
        assertTrue(capinfos.lines().anyMatch(l -> l.matches("Number of decryption secrets in file:\\s+[1-9]\\d*")),
                capinfos);
        run.assertNothingLeftRunning();
    }
}
