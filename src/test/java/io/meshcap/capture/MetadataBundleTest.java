package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundle of what was learnt about each target, beside the capture: where it goes, and that it is private. */
class MetadataBundleTest {

    @TempDir
    Path dir;

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void theBundleOfACaptureIsTheFileNameWithMeta() {
        assertEquals(Path.of("/data/run1/capture.pcapng.meta"),
                MetadataBundle.directoryFor(Path.of("/data/run1/capture.pcapng")));
    }

    @Test
    void eachTargetGetsAPrivateDirectoryOfPrivateFilesNamedSafely() throws IOException {
        Path output = dir.resolve("capture.pcapng");
        Map<String, String> files = new LinkedHashMap<>();
        files.put("iptables-save.txt", "*nat\n-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001\n");
        files.put("../ss -tlnp.txt", "LISTEN 0 4096 *:15006\n");

        Path written = MetadataBundle.write(output, "shop/reviews-v1-abc", files);

        assertEquals(dir.resolve("capture.pcapng.meta/shop_reviews-v1-abc"), written);
        try (Stream<Path> listed = Files.list(written)) {
            assertEquals(List.of(".._ss_-tlnp.txt", "iptables-save.txt"),
                    listed.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals("*nat\n-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001\n",
                Files.readString(written.resolve("iptables-save.txt")));
        assertEquals("LISTEN 0 4096 *:15006\n", Files.readString(written.resolve(".._ss_-tlnp.txt")));
        assertEquals("rw-------", mode(written.resolve("iptables-save.txt")));
        assertEquals("rw-------", mode(written.resolve(".._ss_-tlnp.txt")));
        assertEquals("rwx------", mode(written));
        assertEquals("rwx------", mode(dir.resolve("capture.pcapng.meta")));
    }

    @Test
    void aSecondCaptureToTheSameFileReplacesTheTargetsFilesAndKeepsTheOthers() throws IOException {
        Path output = dir.resolve("capture.pcapng");
        MetadataBundle.write(output, "shop/reviews", Map.of("rules.txt", "old rules, much longer than the new ones"));
        MetadataBundle.write(output, "shop/ratings", Map.of("rules.txt", "ratings"));

        Path written = MetadataBundle.write(output, "shop/reviews", Map.of("rules.txt", "new"));

        assertEquals("new", Files.readString(written.resolve("rules.txt")));
        assertEquals("ratings", Files.readString(dir.resolve("capture.pcapng.meta/shop_ratings/rules.txt")));
        assertEquals("rw-------", mode(written.resolve("rules.txt")));
    }

    @Test
    void aBundleThatCannotBeWrittenIsAFailureNamingTheDirectory() throws IOException {
        Path output = dir.resolve("capture.pcapng");
        Files.writeString(dir.resolve("capture.pcapng.meta"), "a file where the bundle's directory goes");

        MeshcapException failure = assertThrows(MeshcapException.class,
                () -> MetadataBundle.write(output, "shop/reviews", Map.of("rules.txt", "x")));

        assertEquals(MeshcapException.Kind.FAILURE, failure.kind());
        assertTrue(failure.getMessage().startsWith("cannot write the metadata bundle " + dir.resolve(
                "capture.pcapng.meta/shop_reviews") + ": "), failure.getMessage());
    }

    @Test
    void aStreamedCaptureKeepsItsBundlesInTheXdgCacheWhenItIsAnAbsolutePath() throws IOException {
        Path cache = dir.resolve("xdg-cache");

        Path kept = MetadataBundle.streamedCaptures(Map.of("XDG_CACHE_HOME", cache.toString()), dir.resolve("home"));

        assertEquals(cache.resolve("meshcap"), kept);
        assertEquals("rwx------", mode(kept));
        assertTrue(Files.notExists(dir.resolve("home")), "the home directory is not touched");
    }

    @Test
    void aStreamedCaptureKeepsItsBundlesInTheHomeCacheWithoutAnXdgCacheOrWithARelativeOne() throws IOException {
        Path home = dir.resolve("home");
        Path expected = home.resolve(".cache/meshcap");

        assertEquals(expected, MetadataBundle.streamedCaptures(Map.of(), home));
        assertEquals("rwx------", mode(expected));
        // The specification ignores a relative XDG_CACHE_HOME; an existing directory is used as it is.
        assertEquals(expected, MetadataBundle.streamedCaptures(Map.of("XDG_CACHE_HOME", "relative/cache"), home));
        assertTrue(Files.notExists(Path.of("relative")), "nothing made under the current directory");
    }

    @Test
    void aCacheThatCannotBeCreatedIsAFailureThatSaysWhatToDo() throws IOException {
        Path cache = Files.writeString(dir.resolve("not-a-directory"), "x");

        MeshcapException failure = assertThrows(MeshcapException.class,
                () -> MetadataBundle.streamedCaptures(Map.of("XDG_CACHE_HOME", cache.toString()), dir));

        assertEquals(MeshcapException.Kind.FAILURE, failure.kind());
        String message = failure.getMessage();
        assertTrue(message.startsWith("cannot create " + cache.resolve("meshcap") + " for the pod's metadata of a"
                + " streamed capture: "), message);
        assertTrue(message.endsWith("; set XDG_CACHE_HOME to a writable directory, or keep the capture with -o FILE"
                + " --live -"), message);
    }
}
