package io.meshcap.format;

/**
 * What a capture file holds besides its interfaces, in file order: packets ({@link CaptureRecord}) and the blocks
 * that travel with them, which a merge carries to its output at their place among the packets. A {@link PacketView}
 * is a packet not yet copied out of its reader's buffer.
 */
public sealed interface CaptureBlock
        permits CaptureRecord, DecryptionSecrets, InterfaceStatistics, OpaqueBlock, PacketView {
}
