package io.meshcap.testing;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Wireshark's own TLS decryption of a capture, the independent judge of meshcap's: {@code tshark -z
 * follow,tls,raw} with the key log, out-of-order TCP segments reassembled as the receiver did.
 */
public final class TlsJudge {

    private static final String NODE_ZERO = "Node 0: ";
    private static final String SEPARATOR = "=====";

    private TlsJudge() {
    }

    /**
     * The decrypted application data of one TCP stream, each side's bytes in order.
     *
     * @param client what the client sent
     * @param server what the server sent
     */
    public record Decrypted(byte[] client, byte[] server) {
    }

    /** Decrypts TCP stream {@code stream} of {@code capture}, whose server listens on {@code serverPort}. */
    public static Decrypted follow(Path capture, Path keyLog, int stream, int serverPort) {
        String out = Tshark.run("tshark", "-n", "-r", capture.toString(), "-o", "tls.keylog_file:" + keyLog,
                "-o", "tcp.reassemble_out_of_order:TRUE", "-q", "-z", "follow,tls,raw," + stream);
        ByteArrayOutputStream nodeZero = new ByteArrayOutputStream();
        ByteArrayOutputStream nodeOne = new ByteArrayOutputStream();
        boolean serverIsNodeZero = false;
        boolean data = false;
        for (String line : out.lines().toList()) {
            if (line.startsWith(NODE_ZERO)) {
                serverIsNodeZero = line.endsWith(":" + serverPort);
            } else if (line.startsWith("Node 1: ")) {
                data = true;
            } else if (line.startsWith(SEPARATOR)) {
                data = false;
            } else if (data && !line.isBlank()) {
                // tshark indents what the second node sent.
                ByteArrayOutputStream side = line.startsWith("\t") ? nodeOne : nodeZero;
                side.writeBytes(HexFormat.of().parseHex(line.strip()));
            }
        }
        return serverIsNodeZero ? new Decrypted(nodeOne.toByteArray(), nodeZero.toByteArray())
                : new Decrypted(nodeZero.toByteArray(), nodeOne.toByteArray());
    }
}
