package io.meshcap.http;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The request header fields a sidecar may add, drop or rewrite between the legs of one call, loaded from
 * {@code filters/proxy-headers.json}: they are left out when two legs' requests are compared.
 */
public final class ProxyHeaders {

    static final String RESOURCE = "/filters/proxy-headers.json";

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Field(String name) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Prefix(String prefix) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Document(String requestId, List<Field> fields, List<Prefix> prefixes) {
    }

    private static final ProxyHeaders BUNDLED = load();

    private final String requestId;
    private final Set<String> names;
    private final List<String> prefixes;

    private ProxyHeaders(Document document) {
        this.requestId = document.requestId();
        this.names = document.fields().stream().map(Field::name).collect(Collectors.toUnmodifiableSet());
        this.prefixes = document.prefixes().stream().map(Prefix::prefix).toList();
    }

    /** The list shipped in the jar. */
    public static ProxyHeaders bundled() {
        return BUNDLED;
    }

    private static ProxyHeaders load() {
        try (InputStream in = ProxyHeaders.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath: the jar was built without filters/");
            }
            return new ProxyHeaders(new ObjectMapper().readValue(in, Document.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** The field that carries the request ID both legs share when the app's request carries one too. */
    public String requestId() {
        return requestId;
    }

    /** Whether a field (lower-case name) may differ between the legs of one call. */
    public boolean mayDiffer(String name) {
        return names.contains(name) || prefixes.stream().anyMatch(name::startsWith);
    }
}
