package io.meshcap.istio;

import io.meshcap.text.JsonValues;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Istio's well-known ports, loaded from {@code filters/ports.json} on the classpath. */
public final class PortGuide {

    static final String RESOURCE = "/filters/ports.json";

    /** Components in the order a socket in a pod's namespace most likely belongs to them. */
    private static final List<String> POD_COMPONENTS = List.of("sidecar", "ztunnel", "gateway", "istiod");

    /** One well-known port. */
    public record Entry(String component, int port, String protocol, String bind, String process, String role,
            String capture) {

        /** The entry an element of the document's {@code ports} array describes. */
        static Entry of(Map<String, Object> fields) {
            return new Entry(text(fields, "component"), ((Number) fields.get("port")).intValue(),
                    text(fields, "protocol"), text(fields, "bind"), text(fields, "process"), text(fields, "role"),
                    text(fields, "capture"));
        }

        private static String text(Map<String, Object> fields, String name) {
            Object value = fields.get(name);
            return value == null ? null : value.toString();
        }
    }

    private final List<Entry> entries;

    private PortGuide(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** The guide shipped in the jar. */
    public static PortGuide bundled() {
        try (InputStream in = PortGuide.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath: the jar was built without filters/");
            }
            List<Entry> entries = new ArrayList<>();
            for (Object port : JsonValues.array(JsonValues.object(JsonValues.read(in.readAllBytes())).get("ports"))) {
                entries.add(Entry.of(JsonValues.object(port)));
            }
            return new PortGuide(entries);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Whether a port is one of a component's own ports, e.g. the sidecar's 15090. */
    public boolean isOwnPort(String component, int port) {
        return entries.stream().anyMatch(e -> e.component().equals(component) && e.port() == port);
    }

    /**
     * The role of a listening socket found in a pod: the entry whose process matches the owner, else the first
     * component in pod order (a socket with no owner in the pod is ztunnel's in ambient mode).
     */
    public Optional<Entry> roleOf(int port, String protocol, String processName) {
        return entries.stream()
                .filter(e -> e.port() == port && e.protocol().equals(protocol))
                .min(Comparator.<Entry>comparingInt(e -> matchesProcess(e, processName) ? 0 : 1)
                        .thenComparingInt(e -> POD_COMPONENTS.indexOf(e.component())));
    }

    private static boolean matchesProcess(Entry entry, String processName) {
        return processName == null ? entry.component().equals("ztunnel") : entry.process().equals(processName);
    }
}
