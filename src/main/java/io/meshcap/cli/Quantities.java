package io.meshcap.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Converters for the quantities capture flags take, written the way tcpdump users write them. */
final class Quantities {

    private static final Pattern AMOUNT = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");

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
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "", "s" -> Duration.ofSeconds(n);
                case "ms" -> Duration.ofMillis(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> throw new TypeConversionException("'" + text + "': unknown unit; use ms, s, m or h");
            };
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
            long n = Long.parseLong(m.group(1));
            int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
                case "", "B" -> 0;
                case "K", "KB", "KIB" -> 10;
                case "M", "MB", "MIB" -> 20;
                case "G", "GB", "GIB" -> 30;
                default -> throw new TypeConversionException("'" + text + "': unknown unit; use K, M or G");
            };
            return n << shift;
        }
    }
}
