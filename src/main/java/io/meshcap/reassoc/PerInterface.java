package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import java.util.Arrays;
import java.util.function.Function;

/**
 * A value per interface of the record stream (its REDIRECT ports, what its name declares), worked out from the
 * interface on its first record and then found by id: looked up for every packet, so an array rather than a map of
 * boxed ids.
 */
final class PerInterface<T> {

    private final Function<CaptureInterface, T> compute;
    private Object[] values = new Object[4];

    PerInterface(Function<CaptureInterface, T> compute) {
        this.compute = compute;
    }

    /** The value of interface {@code id}, worked out from {@code captureInterface} the first time. */
    @SuppressWarnings("unchecked")
    T get(int id, CaptureInterface captureInterface) {
        if (id >= values.length) {
            values = Arrays.copyOf(values, Math.max(id + 1, 2 * values.length));
        }
        Object value = values[id];
        if (value == null) {
            value = compute.apply(captureInterface);
            values[id] = value;
        }
        return (T) value;
    }

    /** The value of interface {@code id}, or null when it has not been asked for with its interface. */
    @SuppressWarnings("unchecked")
    T find(int id) {
        return id < values.length ? (T) values[id] : null;
    }

    /** The value of interface {@code id}, which must have been asked for with its interface before. */
    @SuppressWarnings("unchecked")
    T get(int id) {
        return (T) values[id];
    }
}
