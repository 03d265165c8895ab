package io.meshcap.format.pcapng;

import static io.meshcap.format.pcapng.PcapngFormat.*;

/**
 * How the value of each option meshcap carries is laid out, per block type: what must be byte-swapped when a
 * big-endian section's options are carried into meshcap's little-endian output. Options whose layout is unknown
 * cannot be converted, so they are carried from little-endian sections only.
 */
enum OptionLayout {
    /** Text or bytes: the same in either byte order. */
    BYTES,
    UINT32,
    UINT64,
    /** A type byte; a libpcap filter string (type 0) is text, a BPF program is left out of big-endian sections. */
    FILTER,
    /** A type byte, then a hardware verdict (type 1, bytes) or an eBPF one (types 2 and 3, 64 bits). */
    VERDICT,
    /** A custom option: a Private Enterprise Number, then bytes. */
    CUSTOM,
    /** Never carried: a custom option its author asked not to be copied into other files. */
    NOT_COPYABLE,
    UNKNOWN;

    // Option codes shared by every block type.
    private static final int CUSTOM_STRING = 2988;
    private static final int CUSTOM_BYTES = 2989;
    private static final int CUSTOM_STRING_NOT_COPYABLE = 19372;
    private static final int CUSTOM_BYTES_NOT_COPYABLE = 19373;

    static OptionLayout of(int blockType, int code) {
        switch (code) {
            case OPT_COMMENT:
                return BYTES;
            case CUSTOM_STRING, CUSTOM_BYTES:
                return CUSTOM;
            case CUSTOM_STRING_NOT_COPYABLE, CUSTOM_BYTES_NOT_COPYABLE:
                return NOT_COPYABLE;
            default:
                break;
        }
        return switch (blockType) {
            case INTERFACE_DESCRIPTION -> interfaceOption(code);
            case ENHANCED_PACKET, PACKET_OBSOLETE -> packetOption(code);
            case INTERFACE_STATISTICS -> code >= 4 && code <= 8 ? UINT64 : UNKNOWN; // isb_ifrecv .. isb_usrdeliv
            case NAME_RESOLUTION -> code >= 2 && code <= 4 ? BYTES : UNKNOWN; // ns_dnsname, ns_dnsIP4addr, ns_dnsIP6addr
            default -> UNKNOWN;
        };
    }

    private static OptionLayout interfaceOption(int code) {
        return switch (code) {
            case 2, 3, 4, 5, 6, 7, 12, 13, 15, 18 -> BYTES; // name, description, addresses, os, fcslen, hardware, tz name
            case 8, 16, 17 -> UINT64; // if_speed, if_txspeed, if_rxspeed
            case 10 -> UINT32; // if_tzone
            case 11 -> FILTER;
            default -> UNKNOWN;
        };
    }

    private static OptionLayout packetOption(int code) {
        return switch (code) {
            case 2, 6 -> UINT32; // epb_flags, epb_queue
            case 3 -> BYTES; // epb_hash
            case 4, 5 -> UINT64; // epb_dropcount, epb_packetid
            case 7 -> VERDICT;
            default -> UNKNOWN;
        };
    }
}
