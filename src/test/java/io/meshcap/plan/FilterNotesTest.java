package io.meshcap.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meshcap.net.Addresses;
import io.meshcap.net.Cidr;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The caveats printed with a set of filters: only for the presets whose filters they concern. */
class FilterNotesTest {

    private static final PresetCatalogue CATALOGUE = PresetCatalogue.bundled();
    private static final String ASSUMED = "assuming the kernel's default ephemeral range 32768-60999; pass the pod's"
            + " real one with --ephemeral-range (its /proc/sys/net/ipv4/ip_local_port_range)";
    private static final String APP_PORT_INSIDE = "application port 40000 lies inside the ephemeral range 32768-60999,"
            + " so filters that select that range also select traffic to it";

    private static FilterInputs inputs(boolean rangeAssumed, List<Cidr> clusterNets) {
        return new FilterInputs(List.of(Addresses.parse("198.18.0.2", "test")), List.of(8080, 40000),
                new PortRange(32768, 60999), rangeAssumed, 15001, clusterNets);
    }

    @Test
    void anAssumedRangeAndAnAppPortInsideItConcernOnlyFiltersThatUseTheRange() {
        FilterNotes outbound = FilterNotes.of(CATALOGUE.resolve("sidecar"), inputs(true, List.of()));
        assertEquals(List.of(ASSUMED), outbound.notes());
        assertEquals(List.of(APP_PORT_INSIDE), outbound.warnings());

        FilterNotes read = FilterNotes.of(CATALOGUE.resolve("outbound-mtls"), inputs(false, List.of()));
        assertEquals(List.of(), read.notes());
        assertEquals(List.of(APP_PORT_INSIDE), read.warnings());

        FilterNotes inbound = FilterNotes.of(CATALOGUE.resolve("inbound-plain"), inputs(true, List.of()));
        assertEquals(new FilterNotes(List.of(), List.of()), inbound);
    }

    @Test
    void clusterNetworksWithoutThePodAreWrongOnlyForFiltersThatUseThem() {
        List<Cidr> elsewhere = List.of(Cidr.parse("10.0.0.0/8"));
        assertEquals(List.of(), FilterNotes.of(CATALOGUE.resolve("inbound-mtls"), inputs(false, elsewhere)).warnings());
        List<String> warnings = FilterNotes.of(CATALOGUE.resolve("gateway"), inputs(false, elsewhere)).warnings();
        assertEquals(1, warnings.size(), warnings.toString());
        assertEquals(true, warnings.get(0).startsWith("the gateway's address 198.18.0.2 lies outside the cluster"
                + " networks 10.0.0.0/8: "), warnings.get(0));
    }

    @Test
    void notesAndWarningsArePrintedOneALineNotesFirst() {
        StringWriter err = new StringWriter();
        new FilterNotes(List.of("one", "two"), List.of("three")).print(new PrintWriter(err, true));
        assertEquals("meshcap: note: one\nmeshcap: note: two\nmeshcap: warning: three\n", err.toString());
    }
}
