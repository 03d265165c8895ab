package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;

/** A writer that keeps nothing: the sink of a pass that only looks at the records. */
final class DiscardingWriter implements CaptureWriter {

    private int interfaces;

    @Override
    public int addInterface(CaptureInterface captureInterface) {
        return interfaces++;
    }

    @Override
    public void addDecryptionSecrets(int secretsType, byte[] secrets) {
        // Nothing is written, so there is nothing to decrypt.
    }

    @Override
    public void write(CaptureRecord record) {
        // Discarded by design.
    }

    @Override
    public void close() {
        // Nothing was opened.
    }
}
