package io.meshcap.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opens the records one side of a TLS 1.2 connection sends after its ChangeCipherSpec, with an AEAD suite
 * (RFC 5246 6.2.3.3): the keys come from the master secret's key block (6.3); the additional data is the sequence
 * number, the record's type and version and the plaintext's length; GCM's nonce is the 4-byte salt and the 8 bytes
 * the record carries (RFC 5288 3), ChaCha20-Poly1305's the IV XORed with the sequence number (RFC 7905 2).
 */
final class Tls12RecordDecryptor implements RecordProtection {

    private static final int SEQUENCE_BYTES = 8;
    private static final int TAG_LENGTH = 16;
    private static final int RANDOM_LENGTH = 32;

    private final Tls12Suite suite;
    private final Cipher cipher;
    private final SecretKeySpec key;
    private final byte[] iv;
    private long sequence;

    private Tls12RecordDecryptor(Tls12Suite suite, byte[] key, byte[] iv) {
        this.suite = suite;
        try {
            this.cipher = Cipher.getInstance(suite.aead().cipher());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK provides " + suite.aead().cipher(), e);
        }
        this.key = new SecretKeySpec(key, suite.aead().keyAlgorithm());
        this.iv = iv;
    }

    /**
     * The client's and the server's decryptors from the master secret: key_block = PRF(master_secret,
     * "key expansion", server_random + client_random), cut into client key, server key, client IV, server IV
     * (AEAD suites have no MAC keys).
     *
     * @return {client's, server's}
     */
    static Tls12RecordDecryptor[] fromMasterSecret(Tls12Suite suite, byte[] masterSecret, byte[] clientRandom,
                                                   byte[] serverRandom) {
        int keyLength = suite.aead().keyLength();
        int ivLength = suite.fixedIvLength();
        byte[] seed = new byte[2 * RANDOM_LENGTH];
        System.arraycopy(serverRandom, 0, seed, 0, RANDOM_LENGTH);
        System.arraycopy(clientRandom, 0, seed, RANDOM_LENGTH, RANDOM_LENGTH);
        byte[] block = KeySchedule.prf12(suite.aead(), masterSecret,
                "key expansion".getBytes(StandardCharsets.US_ASCII), seed, 2 * (keyLength + ivLength));
        return new Tls12RecordDecryptor[] {
            new Tls12RecordDecryptor(suite, slice(block, 0, keyLength), slice(block, 2 * keyLength, ivLength)),
            new Tls12RecordDecryptor(suite, slice(block, keyLength, keyLength),
                    slice(block, 2 * keyLength + ivLength, ivLength))};
    }

    @Override
    public Opened open(byte[] header, byte[] body, int from, int to) {
        int explicit = suite.explicitNonceLength();
        int plainLength = to - from - explicit - TAG_LENGTH;
        if (plainLength < 0) {
            return null;
        }
        byte[] nonce = new byte[KeySchedule.IV_LENGTH];
        System.arraycopy(iv, 0, nonce, 0, iv.length);
        if (explicit > 0) {
            System.arraycopy(body, from, nonce, iv.length, explicit);
        } else {
            for (int i = 0; i < SEQUENCE_BYTES; i++) {
                nonce[nonce.length - 1 - i] ^= (byte) (sequence >>> (8 * i));
            }
        }
        byte[] additional = new byte[SEQUENCE_BYTES + 5];
        for (int i = 0; i < SEQUENCE_BYTES; i++) {
            additional[SEQUENCE_BYTES - 1 - i] = (byte) (sequence >>> (8 * i));
        }
        System.arraycopy(header, 0, additional, SEQUENCE_BYTES, 3);
        additional[SEQUENCE_BYTES + 3] = (byte) (plainLength >>> 8);
        additional[SEQUENCE_BYTES + 4] = (byte) plainLength;
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, suite.aead().nonce(nonce));
            cipher.updateAAD(additional);
            byte[] plain = cipher.doFinal(body, from + explicit, to - from - explicit);
            sequence++;
            return new Opened(header[0] & 0xff, plain, plain.length);
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    private static byte[] slice(byte[] bytes, int from, int length) {
        byte[] slice = new byte[length];
        System.arraycopy(bytes, from, slice, 0, length);
        return slice;
    }
}
