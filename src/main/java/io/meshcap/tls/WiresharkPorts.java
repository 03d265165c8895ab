package io.meshcap.tls;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The TCP ports Wireshark dissects as a protocol other than TLS, from {@code filters/wireshark-ports.json}. A TLS
 * connection to one of them is handed to that protocol, and most (HTTP first of all: 8080, 80) take any bytes and so
 * never let Wireshark look for TLS: the keys in the file do not decrypt such a connection until the port is decoded
 * as TLS. A pcapng cannot carry that setting, so meshcap says it.
 */
public final class WiresharkPorts {

    static final String RESOURCE = "/filters/wireshark-ports.json";

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Entry(String protocol, List<String> ports) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Document(List<Entry> protocols) {
    }

    private static final WiresharkPorts BUNDLED = load();

    private final Map<Integer, String> protocolByPort;

    private WiresharkPorts(Map<Integer, String> protocolByPort) {
        this.protocolByPort = Map.copyOf(protocolByPort);
    }

    /** The table shipped in the jar. */
    public static WiresharkPorts bundled() {
        return BUNDLED;
    }

    /** The protocol Wireshark dissects this TCP port as when it is not TLS, e.g. {@code http} for 8080. */
    public Optional<String> protocolOf(int port) {
        return Optional.ofNullable(protocolByPort.get(port));
    }

    private static WiresharkPorts load() {
        try (InputStream in = WiresharkPorts.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath: the jar was built without filters/");
            }
            Map<Integer, String> byPort = new HashMap<>();
            for (Entry entry : new ObjectMapper().readValue(in, Document.class).protocols()) {
                for (String range : entry.ports()) {
                    int dash = range.indexOf('-');
                    int first = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
                    int last = dash < 0 ? first : Integer.parseInt(range.substring(dash + 1));
                    for (int port = first; port <= last; port++) {
                        byPort.put(port, entry.protocol());
                    }
                }
            }
            return new WiresharkPorts(byPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }
}
