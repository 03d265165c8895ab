package io.meshcap.tls;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opens the protected records one side of a TLS 1.3 connection sends under one traffic secret (RFC 8446 5.2 and
 * 5.3): the AEAD nonce is the write IV XORed with the record's sequence number, the additional data is the record
 * header, and the plaintext ends with the real content type followed by zero padding.
 */
final class RecordDecryptor implements RecordProtection {

    private static final int SEQUENCE_BYTES = 8;

    private final CipherSuite suite;
    private final Cipher cipher;
    private byte[] secret;
    private SecretKeySpec key;
    private byte[] iv;
    private long sequence;

    RecordDecryptor(CipherSuite suite, byte[] secret) {
        this.suite = suite;
        try {
            this.cipher = Cipher.getInstance(suite.cipher());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK provides " + suite.cipher(), e);
        }
        useSecret(secret);
    }

    @Override
    public Opened open(byte[] header, byte[] body, int from, int to) {
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, suite.nonce(nonce()));
            cipher.updateAAD(header);
            byte[] plain = cipher.doFinal(body, from, to - from);
            int end = plain.length - 1;
            while (end >= 0 && plain[end] == 0) {
                end--;
            }
            if (end < 0) {
                // All padding and no content type: RFC 8446 5.4 makes this a decode error.
                return null;
            }
            sequence++;
            return new Opened(plain[end] & 0xff, plain, end);
        } catch (AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            // A body shorter than the tag, or similar: it does not open either.
            return null;
        }
    }

    CipherSuite suite() {
        return suite;
    }

    /** After a KeyUpdate: the next generation of the secret, with the sequence number back at 0. */
    void update() {
        useSecret(KeySchedule.nextSecret(suite, secret));
    }

    private void useSecret(byte[] newSecret) {
        KeySchedule.TrafficKeys keys = KeySchedule.trafficKeys(suite, newSecret);
        secret = newSecret;
        key = new SecretKeySpec(keys.key(), suite.keyAlgorithm());
        iv = keys.iv();
        sequence = 0;
    }

    /** The write IV XORed with the sequence number, right-aligned (RFC 8446 5.3). */
    private byte[] nonce() {
        byte[] nonce = iv.clone();
        for (int i = 0; i < SEQUENCE_BYTES; i++) {
            nonce[nonce.length - 1 - i] ^= (byte) (sequence >>> (8 * i));
        }
        return nonce;
    }
}
