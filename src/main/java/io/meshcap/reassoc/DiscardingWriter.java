package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureBlock;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.DecryptionSecrets;
import io.meshcap.format.SectionInfo;
import io.meshcap.tls.KeyLog;
import java.util.function.Consumer;

/**
 * A writer that keeps nothing but the TLS key logs of the Decryption Secrets Blocks written to it: the sink of a
 * pass that only looks at the records, which needs the keys to read the mTLS legs.
 */
final class DiscardingWriter implements CaptureWriter {

    private final LegInterfaces interfaces;
    private final Consumer<KeyLog> keys;

    /** @param interfaces where the interfaces written are declared, in order */
    DiscardingWriter(LegInterfaces interfaces, Consumer<KeyLog> keys) {
        this.interfaces = interfaces;
        this.keys = keys;
    }

    /** Passes a block's TLS key log to {@code keys}, if it is one. */
    static void keep(CaptureBlock block, Consumer<KeyLog> keys) {
        if (block instanceof DecryptionSecrets secrets && secrets.secretsType() == DecryptionSecrets.TLS_KEY_LOG) {
            keys.accept(KeyLog.parse("decryption secrets", secrets.secrets()));
        }
    }

    @Override
    public int addInterface(CaptureInterface captureInterface) {
        return interfaces.declare(captureInterface);
    }

    @Override
    public void describeSection(SectionInfo section) {
        // Nothing is written.
    }

    @Override
    public void write(CaptureBlock block) {
        keep(block, keys);
    }

    @Override
    public void close() {
        // Nothing was opened.
    }
}
