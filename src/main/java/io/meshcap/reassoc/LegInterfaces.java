package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.PacketView;
import io.meshcap.merge.RecordTransform;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where re-associated packets go, and the leg they belong to.
 *
 * <p>Re-association writes every packet it rewrites on an interface of its own beside the leg's, {@code LEG
 * (re-associated)} ({@link #reassociated}): the only mark pcapng allows that costs no byte per packet (a comment or
 * any other option costs at least 12), so that a capture whose every request packet is rewritten grows by its
 * framing alone. Wireshark filters on it ({@code frame.interface_name contains "(re-associated)"}) and still sees one
 * TCP conversation across both interfaces, because it keys conversations by addresses and ports, not interfaces.
 *
 * <p>meshcap's own stream table must see them as one too: an instance lists a stream's interfaces in the order they
 * are declared and counts a re-associated interface's packets as its leg's, the latest interface of the leg's name
 * declared before it ({@link #onLegs}).
 */
final class LegInterfaces {

    /** What a re-associated interface's name adds to its leg's. */
    static final String SUFFIX = " (re-associated)";
    private static final String NOTE = "re-associated=the packets of this leg whose destination meshcap put back to"
            + " the original one (iptables REDIRECT had sent them to the sidecar); the other packets of their"
            + " connections are on the leg's own interface";

    private final List<CaptureInterface> interfaces = new ArrayList<>();
    private final List<Integer> legIds = new ArrayList<>();

    /** The interface the rewritten packets of {@code leg} are written on: its name and description, marked. */
    static CaptureInterface reassociated(CaptureInterface leg) {
        String name = Objects.requireNonNullElse(leg.name(), "") + SUFFIX;
        return leg.relabelled(name.strip(), leg.description() == null ? NOTE : leg.description() + "; " + NOTE);
    }

    /** Adds the next interface of the stream (ids count from 0 in declaration order); returns its id. */
    int declare(CaptureInterface captureInterface) {
        int id = interfaces.size();
        interfaces.add(captureInterface);
        legIds.add(legOf(captureInterface, id));
        return id;
    }

    /**
     * {@code next} with each record of a re-associated interface handed over as its leg's (the leg's id and
     * interface), so that both halves of a connection make one stream.
     */
    RecordTransform onLegs(RecordTransform next) {
        return new RecordTransform() {
            @Override
            public List<CaptureRecord> apply(CaptureInterface captureInterface, CaptureRecord record) {
                int leg = legIds.get(record.interfaceId());
                return leg == record.interfaceId() ? next.apply(captureInterface, record)
                        : next.apply(interfaces.get(leg), record.withInterfaceId(leg));
            }

            @Override
            public boolean pass(CaptureInterface captureInterface, PacketView packet, List<CaptureRecord> before) {
                int leg = legIds.get(packet.interfaceId());
                if (leg == packet.interfaceId()) {
                    return next.pass(captureInterface, packet, before);
                }
                packet.moveTo(leg);
                return next.pass(interfaces.get(leg), packet, before);
            }
        };
    }

    private int legOf(CaptureInterface captureInterface, int id) {
        String name = captureInterface.name();
        if (name == null || !name.endsWith(SUFFIX.strip())) {
            return id;
        }
        String legName = name.substring(0, name.length() - SUFFIX.strip().length()).strip();
        for (int earlier = id - 1; earlier >= 0; earlier--) {
            CaptureInterface candidate = interfaces.get(earlier);
            if (legName.equals(Objects.requireNonNullElse(candidate.name(), ""))
                    && candidate.linkType() == captureInterface.linkType()) {
                return earlier;
            }
        }
        return id;
    }
}
