package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MainTest {

    @Test
    void unknownOptionIsAUsageError() {
        assertEquals(2, Main.run("--no-such-option"));
    }

    @Test
    void versionExitsZero() {
        assertEquals(0, Main.run("--version"));
    }
}
