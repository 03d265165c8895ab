package io.meshcap.format;

/**
 * Address-to-name records (a pcapng Name Resolution Block), so Wireshark shows the names the capturing host knew.
 *
 * @param body the block's records and options as pcapng writes them (little-endian), carried unread
 */
public record NameResolution(byte[] body) implements CaptureBlock {
}
