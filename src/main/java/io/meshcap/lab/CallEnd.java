package io.meshcap.lab;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/**
 * Ends a lab call's connection the way a well-behaved peer does: FIN first, then whatever the other side still sends
 * (a TLS close_notify) is read until it closes too, so the socket is closed with nothing unread and the kernel sends
 * no reset. Captures of the lab then show every connection closed by FIN both ways, as a test expects of a real one.
 */
final class CallEnd {

    private static final int BUFFER_SIZE = 4096;

    private CallEnd() {
    }

    /** Half-closes, drains until the peer's end of stream (or the socket's read timeout), then closes. */
    static void finish(Socket socket) {
        try (socket) {
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            byte[] discard = new byte[BUFFER_SIZE];
            while (in.read(discard) >= 0) {
                // Dropped: the call is over.
            }
        } catch (IOException e) {
            // Reset, or the peer did not close within the read timeout: closing is all that is left.
        }
    }
}
