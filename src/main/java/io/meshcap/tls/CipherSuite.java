package io.meshcap.tls;

import java.security.spec.AlgorithmParameterSpec;
import java.util.Optional;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * The TLS 1.3 cipher suites meshcap decrypts (RFC 8446 B.4), each with the JDK algorithms that implement it. The
 * CCM suites (0x1304, 0x1305) are left out: the JDK has no AES-CCM, and Envoy (BoringSSL) does not offer them.
 */
public enum CipherSuite {
    TLS_AES_128_GCM_SHA256(0x1301, "AES/GCM/NoPadding", "AES", 16, "HmacSHA256", 32),
    TLS_AES_256_GCM_SHA384(0x1302, "AES/GCM/NoPadding", "AES", 32, "HmacSHA384", 48),
    TLS_CHACHA20_POLY1305_SHA256(0x1303, "ChaCha20-Poly1305", "ChaCha20", 32, "HmacSHA256", 32);

    /** The authentication tag every TLS 1.3 AEAD appends, in bits. */
    private static final int TAG_BITS = 128;

    private final int code;
    private final String cipher;
    private final String keyAlgorithm;
    private final int keyLength;
    private final String mac;
    private final int hashLength;

    CipherSuite(int code, String cipher, String keyAlgorithm, int keyLength, String mac, int hashLength) {
        this.code = code;
        this.cipher = cipher;
        this.keyAlgorithm = keyAlgorithm;
        this.keyLength = keyLength;
        this.mac = mac;
        this.hashLength = hashLength;
    }

    /** The suite with this code point, or empty for one meshcap does not decrypt. */
    public static Optional<CipherSuite> of(int code) {
        for (CipherSuite suite : values()) {
            if (suite.code == code) {
                return Optional.of(suite);
            }
        }
        return Optional.empty();
    }

    public int code() {
        return code;
    }

    /** The JDK {@link javax.crypto.Cipher} transformation. */
    String cipher() {
        return cipher;
    }

    /** How the JDK takes a record's nonce for this suite's cipher. */
    AlgorithmParameterSpec nonce(byte[] nonce) {
        return this == TLS_CHACHA20_POLY1305_SHA256 ? new IvParameterSpec(nonce) : new GCMParameterSpec(TAG_BITS, nonce);
    }

    String keyAlgorithm() {
        return keyAlgorithm;
    }

    int keyLength() {
        return keyLength;
    }

    /** The JDK {@link javax.crypto.Mac} of the suite's hash, which HKDF is built on. */
    String mac() {
        return mac;
    }

    /** The hash's output length: the length of every traffic secret of the suite. */
    int hashLength() {
        return hashLength;
    }
}
