package io.meshcap.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A krew plugin manifest as krew reads it, with krew's own structural checks (its validation of index plugins):
 * apiVersion and kind, a safe name equal to the file's, a semantic version with a leading v, a one-line short
 * description, and platforms that each have an os/arch selector, a uri, a sha256 of 64 hex digits, a bin and
 * well-formed file operations.
 */
public record KrewManifest(String name, String version, String shortDescription, String description, String caveats,
        List<Platform> platforms) {

    static final String API_VERSION = "krew.googlecontainertools.github.com/v1alpha2";
    private static final Pattern SAFE_NAME = Pattern.compile("[\\w-]+");
    private static final Pattern SEMVER = Pattern.compile("v\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?");
    private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");

    /** One platform: the archive at {@code uri} with digest {@code sha256}, installed by {@code files} to run {@code bin}. */
    public record Platform(Map<String, String> matchLabels, String uri, String sha256, List<FileOperation> files,
            String bin) {
    }

    /** krew's file operation: what matches the glob {@code from} in the unpacked archive goes to {@code to}. */
    public record FileOperation(String from, String to) {

        /** Applies it as krew does: one named file moves to {@code to}; a glob moves each match into {@code to}. */
        void apply(Path unpacked, Path installed) throws IOException {
            String clean = Path.of(to).normalize().toString();
            assertEquals(clean.isEmpty() ? "." : clean, to, "krew wants a clean 'to' path");
            Path direct = unpacked.resolve(from);
            if (Files.exists(direct)) {
                Files.move(direct, installed.resolve(to.equals(".") ? direct.getFileName().toString() : to));
                return;
            }
            PathMatcher glob = FileSystems.getDefault().getPathMatcher("glob:" + from);
            List<Path> matches;
            try (Stream<Path> all = Files.walk(unpacked, Path.of(from).getNameCount())) {
                matches = all.filter(path -> glob.matches(unpacked.relativize(path))).toList();
            }
            assertFalse(matches.isEmpty(), "no file in the archive matches " + from);
            Path target = Files.createDirectories(installed.resolve(to));
            for (Path match : matches) {
                Files.move(match, target.resolve(match.getFileName().toString()));
            }
        }
    }

    /** Reads the manifest and fails, as krew would, on anything its validation rejects. */
    public static KrewManifest read(Path file) throws IOException {
        JsonNode root = new YAMLMapper().readTree(file.toFile());
        assertEquals(API_VERSION, root.path("apiVersion").asText(), "apiVersion");
        assertEquals("Plugin", root.path("kind").asText(), "kind");
        String name = root.path("metadata").path("name").asText();
        assertTrue(SAFE_NAME.matcher(name).matches(), "unsafe plugin name " + name);
        assertEquals(file.getFileName().toString(), name + ".yaml", "krew wants the file named after the plugin");
        JsonNode spec = root.path("spec");
        String version = spec.path("version").asText();
        assertTrue(SEMVER.matcher(version).matches(), "krew wants a semantic version with a leading v: " + version);
        String shortDescription = spec.path("shortDescription").asText();
        assertFalse(shortDescription.isBlank(), "krew wants a short description");
        assertFalse(shortDescription.contains("\n"), "krew wants the short description on one line");
        List<Platform> platforms = new ArrayList<>();
        for (JsonNode platform : spec.path("platforms")) {
            platforms.add(platform(platform));
        }
        assertFalse(platforms.isEmpty(), "krew wants a platform");
        return new KrewManifest(name, version, shortDescription, spec.path("description").asText(),
                spec.path("caveats").asText(), platforms);
    }

    /** The one platform meshcap publishes. */
    public Platform platform() {
        assertEquals(1, platforms.size(), platforms.toString());
        return platforms.get(0);
    }

    private static Platform platform(JsonNode node) {
        JsonNode selector = node.path("selector");
        assertTrue(selector.isObject() && selector.size() > 0, "krew wants a selector: " + node);
        Map<String, String> labels = new LinkedHashMap<>();
        selector.path("matchLabels").fields().forEachRemaining(label -> labels.put(label.getKey(), label.getValue().asText()));
        assertFalse(labels.isEmpty(), "krew wants matchLabels that are not empty: " + node);
        labels.keySet().forEach(key -> assertTrue(key.equals("os") || key.equals("arch"),
                "krew selects only on os and arch, not " + key));
        String uri = node.path("uri").asText();
        assertFalse(uri.isBlank(), "krew wants a uri");
        String sha256 = node.path("sha256").asText();
        assertTrue(SHA256.matcher(sha256).matches(), "krew wants 64 lower-case hex digits: " + sha256);
        String bin = node.path("bin").asText();
        assertFalse(bin.isBlank(), "krew wants a bin");
        List<FileOperation> files = new ArrayList<>();
        for (JsonNode operation : node.path("files")) {
            FileOperation file = new FileOperation(operation.path("from").asText(), operation.path("to").asText());
            assertFalse(file.from().isBlank() || file.to().isBlank(), "krew wants from and to: " + operation);
            files.add(file);
        }
        assertTrue(!node.has("files") || !files.isEmpty(), "krew wants files unset or not empty");
        if (files.isEmpty()) {
            files.add(new FileOperation("*", "."));
        }
        return new Platform(labels, uri, sha256, files, bin);
    }
}
