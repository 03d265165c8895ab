package io.meshcap.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The part of the TLS 1.3 key schedule (RFC 8446 7.1 to 7.3) that turns a traffic secret from a key log into
 * record protection keys: HKDF-Expand-Label (RFC 5869 HKDF-Expand with TLS's label encoding), the write key and
 * IV of a secret, and the next secret after a KeyUpdate. The key log holds the secrets themselves, so no
 * HKDF-Extract and no transcript hash is needed. And TLS 1.2's PRF, which turns a master secret into keys.
 */
final class KeySchedule {

    /** RFC 8446 5.3: every AEAD nonce of TLS 1.3 is 12 bytes. */
    static final int IV_LENGTH = 12;
    private static final String LABEL_PREFIX = "tls13 ";
    private static final byte[] NO_CONTEXT = new byte[0];

    private KeySchedule() {
    }

    /** A write key and IV derived from one traffic secret. */
    record TrafficKeys(byte[] key, byte[] iv) {
    }

    /** {@code [sender]_write_key} and {@code [sender]_write_iv} of a traffic secret (RFC 8446 7.3). */
    static TrafficKeys trafficKeys(CipherSuite suite, byte[] secret) {
        return new TrafficKeys(expandLabel(suite, secret, "key", NO_CONTEXT, suite.keyLength()),
                expandLabel(suite, secret, "iv", NO_CONTEXT, IV_LENGTH));
    }

    /** The secret that replaces {@code secret} after a KeyUpdate (RFC 8446 7.2, "traffic upd"). */
    static byte[] nextSecret(CipherSuite suite, byte[] secret) {
        return expandLabel(suite, secret, "traffic upd", NO_CONTEXT, suite.hashLength());
    }

    /**
     * HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length), where HkdfLabel
     * is the length (2 bytes), "tls13 " + label (1-byte length prefix) and the context (1-byte length prefix).
     */
    static byte[] expandLabel(CipherSuite suite, byte[] secret, String label, byte[] context, int length) {
        byte[] fullLabel = (LABEL_PREFIX + label).getBytes(StandardCharsets.US_ASCII);
        byte[] info = new byte[2 + 1 + fullLabel.length + 1 + context.length];
        info[0] = (byte) (length >>> 8);
        info[1] = (byte) length;
        info[2] = (byte) fullLabel.length;
        System.arraycopy(fullLabel, 0, info, 3, fullLabel.length);
        info[3 + fullLabel.length] = (byte) context.length;
        System.arraycopy(context, 0, info, 4 + fullLabel.length, context.length);
        return expand(suite, secret, info, length);
    }

    /**
     * TLS 1.2's PRF (RFC 5246 5) with the suite's hash: P_hash(secret, label + seed), where A(0) = label + seed,
     * A(i) = HMAC(secret, A(i-1)) and the output is HMAC(secret, A(1) + label + seed) + HMAC(secret, A(2) + ...).
     */
    static byte[] prf12(CipherSuite suite, byte[] secret, byte[] label, byte[] seed, int length) {
        Mac mac = mac(suite, secret);
        byte[] labelAndSeed = new byte[label.length + seed.length];
        System.arraycopy(label, 0, labelAndSeed, 0, label.length);
        System.arraycopy(seed, 0, labelAndSeed, label.length, seed.length);
        byte[][] a = {labelAndSeed};
        return concatenate(length, () -> {
            a[0] = mac.doFinal(a[0]);
            mac.update(a[0]);
            return mac.doFinal(labelAndSeed);
        });
    }

    /** RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) | info | i), concatenated and cut to {@code length}. */
    private static byte[] expand(CipherSuite suite, byte[] pseudoRandomKey, byte[] info, int length) {
        Mac mac = mac(suite, pseudoRandomKey);
        byte[][] previous = {new byte[0]};
        int[] counter = {0};
        return concatenate(length, () -> {
            mac.update(previous[0]);
            mac.update(info);
            mac.update((byte) ++counter[0]);
            previous[0] = mac.doFinal();
            return previous[0];
        });
    }

    /** The blocks {@code next} makes, one after the other, cut to {@code length} bytes. */
    private static byte[] concatenate(int length, Supplier<byte[]> next) {
        byte[] output = new byte[length];
        for (int filled = 0; filled < length; ) {
            byte[] block = next.get();
            int take = Math.min(block.length, length - filled);
            System.arraycopy(block, 0, output, filled, take);
            filled += take;
        }
        return output;
    }

    /** The suite's HMAC keyed with {@code key}. */
    private static Mac mac(CipherSuite suite, byte[] key) {
        try {
            Mac mac = Mac.getInstance(suite.mac());
            mac.init(new SecretKeySpec(key, suite.mac()));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK provides " + suite.mac(), e);
        }
    }
}
