package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a run has created and not yet removed, as Ctrl-C's announcements name it and the clean-up command for it. */
class ClusterFootprintTest {

    @Test
    void objectsAreNamedInTheOrderCreatedUntilTheyAreGone() {
        ClusterFootprint footprint = new ClusterFootprint();
        assertTrue(footprint.isEmpty());
        footprint.add("node pod shop/meshcap-node-x", "shop");
        footprint.add("debug container shop/reviews:meshcap-1", "shop");
        footprint.add("node pod shop/meshcap-node-x", "shop");

        assertEquals(List.of("node pod shop/meshcap-node-x", "debug container shop/reviews:meshcap-1"),
                footprint.objects());
        footprint.remove("node pod shop/meshcap-node-x");
        assertEquals(List.of("debug container shop/reviews:meshcap-1"), footprint.objects());
        assertFalse(footprint.isEmpty());
        footprint.remove("debug container shop/reviews:meshcap-1");
        assertTrue(footprint.isEmpty());
    }

    @Test
    void theCleanUpCommandNamesTheOneNamespaceOrAllOfThem() {
        ClusterFootprint footprint = new ClusterFootprint();
        footprint.add("node pod shop/meshcap-node-x", "shop");
        footprint.add("debug container shop/reviews:meshcap-1", "shop");
        assertEquals("meshcap cleanup --run r1 -n shop", footprint.cleanupCommand("r1"));

        footprint.add("node pod billing/meshcap-node-y", "billing");
        assertEquals("meshcap cleanup --run r1 --all-namespaces", footprint.cleanupCommand("r1"));
    }
}
