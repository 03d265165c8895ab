package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Several tools' outputs read as one dump. */
class RuleDumpReaderTest {

    @Test
    void outputsAreJoinedSoThatNoLastLineRunsIntoTheNextFirst() {
        assertEquals("*nat\nCOMMIT\n*filter\nCOMMIT\n",
                RuleDumpReader.concatenate(List.of("*nat\nCOMMIT", "", "*filter\nCOMMIT\n")));
    }

    @Test
    void anyTableCountsAsRulesIstiosOrNot() {
        assertTrue(RuleDumpReader.holdsRules(RuleDumps.text("default-injection.iptables-save")));
        assertTrue(RuleDumpReader.holdsRules("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"));
        assertFalse(RuleDumpReader.holdsRules(""));
        assertFalse(RuleDumpReader.holdsRules("# Warning: iptables-legacy tables present, use iptables-legacy-save\n"));
    }
}
