package io.meshcap.capture;

import io.meshcap.MeshcapException;
import io.meshcap.tls.KeyFeed;
import io.meshcap.tls.KeyLog;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Several targets captured as one: each leg goes to the source of its {@link LegPlan#target()}, so the legs of
 * many pods run, spool and merge together. Closing closes every source.
 */
public final class MultiTargetSource implements CaptureSource {

    private final Map<String, ? extends CaptureSource> byTarget;

    /** @param byTarget the source for each target name the legs carry */
    public MultiTargetSource(Map<String, ? extends CaptureSource> byTarget) {
        this.byTarget = Map.copyOf(byTarget);
    }

    @Override
    public LegCapture start(LegPlan leg, OutputStream sink) throws IOException {
        CaptureSource source = byTarget.get(leg.target());
        if (source == null) {
            throw MeshcapException.failure("no capture source for target " + leg.target());
        }
        return source.start(leg, sink);
    }

    /** Every target's logged keys, each line once. */
    @Override
    public KeyLog loggedKeys() {
        KeyLog keys = KeyLog.empty();
        for (CaptureSource source : byTarget.values()) {
            keys = keys.plus(source.loggedKeys());
        }
        return keys;
    }

    /** Every target's key feeds. */
    @Override
    public List<KeyFeed> keyFeeds() {
        return byTarget.values().stream().flatMap(source -> source.keyFeeds().stream()).toList();
    }

    /** Closes every source at once: each cleans up on its own, so many targets take no longer than one. */
    @Override
    public void close() {
        List<Thread> closers = new ArrayList<>();
        AtomicReference<RuntimeException> first = new AtomicReference<>();
        for (CaptureSource source : byTarget.values()) {
            Thread closer = new Thread(() -> {
                try {
                    source.close();
                } catch (RuntimeException e) {
                    first.compareAndSet(null, e);
                }
            }, "meshcap-close-target");
            closer.start();
            closers.add(closer);
        }
        boolean interrupted = false;
        for (Thread closer : closers) {
            while (closer.isAlive()) {
                try {
                    closer.join();
                } catch (InterruptedException e) {
                    // Clean-up goes on: the sources would otherwise be left half-closed.
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (first.get() != null) {
            throw first.get();
        }
    }
}
