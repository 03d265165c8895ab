/**
 * TLS secrets: NSS key logs ({@link io.meshcap.tls.KeyLog}) and what carries them into and out of capture files.
 */
package io.meshcap.tls;
