package io.meshcap.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The ground truth of one traffic run: every connection, in the order it was made, with the pod and mesh addresses
 * it ran between. Serialises to and from JSON for tests, {@code meshcap demo} and people.
 *
 * @param lab         the lab's name
 * @param podIpv4     the pod's eth0 address (POD_IP)
 * @param podIpv6     the pod's IPv6 address, or null when the lab has none
 * @param connections every connection, in order
 */
public record Ledger(String lab, String podIpv4, String podIpv6, List<LedgerEntry> connections) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public Ledger {
        connections = List.copyOf(connections);
    }

    public List<LedgerEntry> of(LedgerEntry.Kind kind) {
        return connections.stream().filter(entry -> entry.kind() == kind).toList();
    }

    /** Every connection carried its payload intact, through the sidecar. */
    public boolean allVerified() {
        return connections.stream().allMatch(entry -> entry.verified() && entry.viaSidecar());
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Ledger fromJson(String json) {
        try {
            return JSON.readValue(json, Ledger.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the ledger as JSON, replacing an existing file. */
    public void write(Path file) throws IOException {
        Files.writeString(file, toJson());
    }
}
