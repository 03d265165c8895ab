/**
 * TLS secrets: NSS key logs ({@link io.meshcap.tls.KeyLog}) and what carries them into and out of capture files.
 * TLS 1.3 decryption with them ({@link io.meshcap.tls.TlsSession}), on TCP streams put back in order
 * ({@link io.meshcap.tls.StreamReassembler}).
 */
package io.meshcap.tls;
