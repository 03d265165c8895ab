package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.SectionInfo;

/** A writer that keeps nothing: the sink of a pass that only looks at the records. */
final class DiscardingWriter implements CaptureWriter {

    private int interfaces;

    @Override
    public int addInterface(CaptureInterface captureInterface) {
        return interfaces++;
    }

    @Override
    public void describeSection(SectionInfo section) {
        // Nothing is written.
    }

    @Override
    public void write(CaptureBlock block) {
        // Discarded by design.
    }

    @Override
    public void close() {
        // Nothing was opened.
    }
}
