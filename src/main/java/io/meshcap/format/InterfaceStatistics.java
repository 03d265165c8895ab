package io.meshcap.format;

/**
 * Counters of one interface at one moment (a pcapng Interface Statistics Block): packets received and dropped,
 * capture start and end. Times are nanoseconds since the epoch, in the options too (readers convert them from the
 * input interface's resolution).
 *
 * @param interfaceId    the interface, numbered as {@link CaptureRecord#interfaceId()}
 * @param timestampNanos when the counters were taken
 * @param options        the counters (isb_ifrecv, isb_ifdrop, ...), start and end time, comments
 */
public record InterfaceStatistics(int interfaceId, long timestampNanos, RawOptions options) implements CaptureBlock {

    public InterfaceStatistics withInterfaceId(int id) {
        return new InterfaceStatistics(id, timestampNanos, options);
    }
}
