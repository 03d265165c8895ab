package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

/** The units capture flags take, with the values a user means by them. */
class QuantitiesTest {

    private final Quantities.DurationConverter durations = new Quantities.DurationConverter();
    private final Quantities.SizeConverter sizes = new Quantities.SizeConverter();

    @Test
    void durationsMeanWhatTheySay() {
        assertEquals(Duration.ofSeconds(300), durations.convert("5m"));
        assertEquals(Duration.ofSeconds(30), durations.convert("30"));
        assertEquals(Duration.ofSeconds(30), durations.convert("30s"));
        assertEquals(Duration.ofSeconds(7200), durations.convert("2h"));
        assertEquals(Duration.ofMillis(250), durations.convert("250ms"));
        assertEquals(Duration.ofSeconds(31_536_000), durations.convert("8760h"));
    }

    @Test
    void sizesArePowersOf1024() {
        assertEquals(104_857_600L, sizes.convert("100M"));
        assertEquals(512_000L, sizes.convert("500K"));
        assertEquals(2_147_483_648L, sizes.convert("2G"));
        assertEquals(1000L, sizes.convert("1000"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999999999999999", "9999999999999999h", "99999999999999999s", "8761h"})
    void aDurationTooLongForAnyCaptureIsRefusedInWords(String text) {
        TypeConversionException refused = assertThrows(TypeConversionException.class, () -> durations.convert(text));
        assertEquals("'" + text + "' is too long: at most 8760h (a year); leave --duration out to capture until Ctrl-C",
                refused.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999999G", "99999999999999999999", "9000000000000000000K"})
    void aSizeThatDoesNotFitIsTooLargeNotNegative(String text) {
        TypeConversionException refused = assertThrows(TypeConversionException.class, () -> sizes.convert(text));
        assertTrue(refused.getMessage().startsWith("'" + text + "' is too large: at most "), refused.getMessage());
        assertFalse(refused.getMessage().contains("Exception"), refused.getMessage());
    }

    @Test
    void wholeNumbersReachTheLimitsOfTheirTypeAndNoFurther() {
        Quantities.WholeNumberConverter<Integer> ints = Quantities.WholeNumberConverter.ints();
        assertEquals(2_147_483_647, ints.convert("2147483647"));
        assertEquals(-2_147_483_648, ints.convert("-2147483648"));
        assertEquals("'2147483648' is too large: at most 2147483647",
                assertThrows(TypeConversionException.class, () -> ints.convert("2147483648")).getMessage());
        assertEquals("'-2147483649' is too small: at least -2147483648",
                assertThrows(TypeConversionException.class, () -> ints.convert("-2147483649")).getMessage());
    }
}
