package io.meshcap.capture;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

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

    @Override
    public void close() {
        RuntimeException first = null;
        for (CaptureSource source : byTarget.values()) {
            try {
                source.close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
