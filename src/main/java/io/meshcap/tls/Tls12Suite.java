package io.meshcap.tls;

import java.util.Arrays;
import java.util.Optional;

/**
 * The TLS 1.2 cipher suites meshcap decrypts: the AEAD ones (RFC 5288, RFC 5289, RFC 7905), each named after the
 * TLS 1.3 suite with the same cipher and hash, whose JDK algorithms it shares. CBC suites are left to Wireshark:
 * Istio's mesh speaks TLS 1.3, and Envoy offers TLS 1.2 CBC only as a fallback.
 */
enum Tls12Suite {
    AES_128_GCM_SHA256(CipherSuite.TLS_AES_128_GCM_SHA256, 4, 8, 0x009C, 0x009E, 0xC02B, 0xC02F),
    AES_256_GCM_SHA384(CipherSuite.TLS_AES_256_GCM_SHA384, 4, 8, 0x009D, 0x009F, 0xC02C, 0xC030),
    CHACHA20_POLY1305_SHA256(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, 12, 0, 0xCCA8, 0xCCA9, 0xCCAA);

    private final CipherSuite aead;
    private final int fixedIvLength;
    private final int explicitNonceLength;
    private final int[] codes;

    Tls12Suite(CipherSuite aead, int fixedIvLength, int explicitNonceLength, int... codes) {
        this.aead = aead;
        this.fixedIvLength = fixedIvLength;
        this.explicitNonceLength = explicitNonceLength;
        this.codes = codes;
    }

    /** The suite with this code point (any key exchange), or empty for one meshcap does not decrypt. */
    static Optional<Tls12Suite> of(int code) {
        return Arrays.stream(values()).filter(suite -> Arrays.stream(suite.codes).anyMatch(c -> c == code))
                .findFirst();
    }

    /** The TLS 1.3 suite with the same AEAD and hash. */
    CipherSuite aead() {
        return aead;
    }

    /** The IV bytes the key block gives: GCM's 4-byte salt, ChaCha20-Poly1305's whole 12-byte nonce base. */
    int fixedIvLength() {
        return fixedIvLength;
    }

    /** The nonce bytes each record carries before its ciphertext: 8 for GCM, none for ChaCha20-Poly1305. */
    int explicitNonceLength() {
        return explicitNonceLength;
    }
}
