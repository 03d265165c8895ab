package io.meshcap.format;

/**
 * What a capture file holds besides its interfaces, in file order: packets ({@link CaptureRecord}) and the blocks
 * that travel with them, which a merge carries to its output at their place among the packets.
 */
public sealed interface CaptureBlock
        permits CaptureRecord, DecryptionSecrets, InterfaceStatistics, OpaqueBlock {
}
