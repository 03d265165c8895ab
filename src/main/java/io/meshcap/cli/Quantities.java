package io.meshcap.cli;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Converters for the numbers flags take, written the way tcpdump users write them; a value that does not fit is
 * refused in the user's words, never as a Java overflow.
 */
final class Quantities {

    private static final Pattern AMOUNT = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");
    private static final Pattern WHOLE_NUMBER = Pattern.compile("[-+]?\\d+");

    /**
     * The longest --duration: a year. Longer is surely a typo (and past some point cannot be added to a clock);
     * an open-ended capture leaves --duration out.
     */
    static final Duration LONGEST = Duration.ofHours(8760);

    private Quantities() {
    }

    /** {@code 30}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 250ms}. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            Matcher m = AMOUNT.matcher(text.strip());
            if (!m.matches()) {
                throw new TypeConversionException("'" + text + "' is not a duration; write e.g. 30s, 5m or 1h");
            }
            long millisPerUnit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "", "s" -> 1000;
                case "ms" -> 1;
                case "m" -> 60_000;
                case "h" -> 3_600_000;
                default -> throw new TypeConversionException("'" + text + "': unknown unit; use ms, s, m or h");
            };
            long most = LONGEST.toMillis() / millisPerUnit;
            if (!fitsIn(m.group(1), most)) {
                throw new TypeConversionException("'" + text + "' is too long: at most " + LONGEST.toHours()
                        + "h (a year); leave --duration out to capture until Ctrl-C");
            }
            return Duration.ofMillis(Long.parseLong(m.group(1)) * millisPerUnit);
        }
    }

    /** {@code 1000}, {@code 500K}, {@code 100M}, {@code 2G} (powers of 1024). */
    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String text) {
            Matcher m = AMOUNT.matcher(text.strip());
            if (!m.matches()) {
                throw new TypeConversionException("'" + text + "' is not a size; write e.g. 500K, 100M or 2G");
            }
            String unit = m.group(2).toUpperCase(Locale.ROOT);
            int shift = switch (unit) {
                case "", "B" -> 0;
                case "K", "KB", "KIB" -> 10;
                case "M", "MB", "MIB" -> 20;
                case "G", "GB", "GIB" -> 30;
                default -> throw new TypeConversionException("'" + text + "': unknown unit; use K, M or G");
            };
            long most = Long.MAX_VALUE >> shift;
            if (!fitsIn(m.group(1), most)) {
                throw new TypeConversionException("'" + text + "' is too large: at most " + most + unit);
            }
            return Long.parseLong(m.group(1)) << shift;
        }
    }

    /**
     * Whole numbers for every int and long option, so that {@code --ring 99999999999} is "too large" rather than
     * "not an int".
     */
    static final class WholeNumberConverter<T extends Number> implements ITypeConverter<T> {

        private final long least;
        private final long most;
        private final LongFunction<T> box;

        private WholeNumberConverter(long least, long most, LongFunction<T> box) {
            this.least = least;
            this.most = most;
            this.box = box;
        }

        static WholeNumberConverter<Integer> ints() {
            return new WholeNumberConverter<>(Integer.MIN_VALUE, Integer.MAX_VALUE, value -> (int) value);
        }

        static WholeNumberConverter<Long> longs() {
            return new WholeNumberConverter<>(Long.MIN_VALUE, Long.MAX_VALUE, value -> value);
        }

        @Override
        public T convert(String text) {
            if (!WHOLE_NUMBER.matcher(text.strip()).matches()) {
                throw new TypeConversionException("'" + text + "' is not a whole number");
            }
            BigInteger value = new BigInteger(text.strip());
            if (value.compareTo(BigInteger.valueOf(most)) > 0) {
                throw new TypeConversionException("'" + text + "' is too large: at most " + most);
            }
            if (value.compareTo(BigInteger.valueOf(least)) < 0) {
                throw new TypeConversionException("'" + text + "' is too small: at least " + least);
            }
            return box.apply(value.longValueExact());
        }
    }

    /** Whether a string of decimal digits stands for a number no larger than {@code most}. */
    private static boolean fitsIn(String digits, long most) {
        return new BigInteger(digits).compareTo(BigInteger.valueOf(most)) <= 0;
    }
}
