package io.meshcap.reassoc;

import static io.meshcap.reassoc.Packets.ep;
import static io.meshcap.reassoc.Packets.ip;
import static io.meshcap.reassoc.Packets.link;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.LinkType;
import io.meshcap.format.ReadBack;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The small parts re-association is built from, each judged by what it gives back: the summary line, the comments on
 * first packets, the per-interface table, the REDIRECT ports' bounds.
 */
class ReassociationPartsTest {

    @Test
    void theSummaryLineCountsPacketsAndConnectionsInTheirOwnNumber() {
        assertEquals("no connection to a REDIRECT port was captured, so nothing needed re-associating",
                new ReassociationStats(0, 0, 0, 0).describe());
        assertEquals("re-associated 1 packet of 1 redirected connection; 0 left unchanged (original destination"
                + " unknown)", new ReassociationStats(1, 1, 0, 0).describe());
        assertEquals("re-associated 120 packets of 4 redirected connections; 3 left unchanged (original destination"
                + " unknown)", new ReassociationStats(4, 120, 3, 2).describe());
    }

    @Test
    void firstPacketCommentsGoOnTheirPositionsAndEveryRecordPassesThrough() {
        FirstPacketComments comments = new FirstPacketComments(Map.of(2L, "meshcap stream 1", 0L, "meshcap stream 0"));
        CaptureInterface lo = new CaptureInterface(LinkType.EN10MB, 0, "pod/lo", null);
        byte[] frame = link(LinkType.EN10MB, ip(ep("198.18.0.2", 40000), ep("198.18.0.1", 8080), Packets.SYN, 1, 0));
        List<String> seen = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            List<CaptureRecord> out = comments.apply(lo, Packets.record(0, i, frame));
            assertEquals(1, out.size(), "record " + i);
            assertEquals(i * 1000L, out.get(0).timestampNanos());
            seen.add(ReadBack.comment(out.get(0)));
        }
        assertEquals(java.util.Arrays.asList("meshcap stream 0", null, "meshcap stream 1", null), seen);
    }

    @Test
    void theTableOfInterfacesGrowsToAnyIdAndKnowsOnlyWhatItWasAsked() {
        CaptureInterface lo = new CaptureInterface(LinkType.EN10MB, 0, "lo", null);
        PerInterface<String> names = new PerInterface<>(CaptureInterface::name);
        for (int id = 0; id < 10; id++) {
            assertEquals("lo", names.get(id, lo));
        }
        assertEquals("lo", names.get(100, lo));
        for (int id = 10; id < 300; id++) {
            if (id != 100) {
                assertNull(names.find(id), "interface " + id);
            }
        }
        assertEquals("lo", names.find(9));
        assertEquals("lo", names.find(100));
    }

    @Test
    void redirectPortsAreOneTo65535() {
        assertEquals(new RedirectPorts(1, 65535), RedirectPorts.of(1, 65535));
        for (int[] ports : new int[][] {{0, 15006}, {15001, 0}, {65536, 15006}, {15001, 65536}}) {
            assertThrows(IllegalArgumentException.class, () -> new RedirectPorts(ports[0], ports[1]),
                    ports[0] + "/" + ports[1]);
        }
    }
}
