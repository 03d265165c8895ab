package io.meshcap.format;

/**
 * Keys that let Wireshark decrypt the packets after them (a pcapng Decryption Secrets Block).
 *
 * @param secretsType e.g. {@link #TLS_KEY_LOG}
 * @param secrets     the secrets as the type defines them, e.g. the lines of an NSS key log file
 * @param options     comments and other options of the block
 */
public record DecryptionSecrets(int secretsType, byte[] secrets, RawOptions options) implements CaptureBlock {

    /** Secrets type of a TLS key log in NSS format ("TLSK"). */
    public static final int TLS_KEY_LOG = 0x544c534b;

    public DecryptionSecrets(int secretsType, byte[] secrets) {
        this(secretsType, secrets, RawOptions.NONE);
    }
}
