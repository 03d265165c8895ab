package io.meshcap.format;

/**
 * A vendor's block that its author marked as safe to copy into other files (pcapng Custom Block 0x00000BAD).
 *
 * @param enterpriseNumber the IANA Private Enterprise Number of the vendor that defines the content
 * @param content          what follows that number in the block, carried unread
 */
public record CustomBlock(int enterpriseNumber, byte[] content) implements CaptureBlock {
}
