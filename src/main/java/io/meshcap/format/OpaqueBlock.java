package io.meshcap.format;

/**
 * A block carried from input to output unread, at its place among the packets: name resolution (address-to-name
 * records, so Wireshark shows the names the capturing host knew) and vendors' custom blocks marked as safe to copy.
 *
 * @param blockType the pcapng block type, e.g. 0x00000004 for name resolution
 * @param body      everything between the block's length fields, little-endian where its layout is known
 */
public record OpaqueBlock(int blockType, byte[] body) implements CaptureBlock {
}
