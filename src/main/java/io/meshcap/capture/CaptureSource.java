package io.meshcap.capture;

import io.meshcap.tls.KeyFeed;
import io.meshcap.tls.KeyLog;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Runs legs for one kind of target (a local network namespace, a Kubernetes pod, ...). Set-up that the
 * source needs (a debug container, a node pod) is done by the source and undone by {@link #close()}.
 */
public interface CaptureSource extends AutoCloseable {

    /**
     * Starts capturing a leg, without waiting for the capturer to listen ({@link LegCapture#listening} tells when
     * it does), so that several legs start at once. A classic pcap stream (header first) is written to
     * {@code sink} as packets arrive, until the leg is stopped, a limit is reached, or the capture fails.
     */
    LegCapture start(LegPlan leg, OutputStream sink) throws IOException;

    /**
     * The TLS keys the target's own TLS endpoints logged while the legs ran (a pod's sidecar with --decrypt), read
     * back when the source closed; the session asks for them after that and before the legs are merged, and they go
     * into the file as --tls-keylog files do. Empty for a target that logs none.
     */
    default KeyLog loggedKeys() {
        return KeyLog.empty();
    }

    /**
     * Where the target's own TLS endpoints log keys while the legs run, for the live stream to read as they come;
     * asked once the source is set up, before the legs start. Empty for a target that logs none.
     */
    default List<KeyFeed> keyFeeds() {
        return List.of();
    }

    /** Undoes everything set-up did. Idempotent, and safe to call from another thread while legs run. */
    @Override
    void close();
}
