package io.meshcap.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.release.ReleaseArchive.Installed;
import io.meshcap.release.ReleaseArchive.Run;
import io.meshcap.testing.GitHead;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archives and the krew manifest that `mvn verify` made, checked the way a user meets them: installed
 * as krew installs the plugin and run as kubectl-meshcap with no Maven, java or JDK on PATH.
 */
class ReleaseArchiveIT {

    private static final Path EXAMPLES = Path.of("examples/captures");

    /** Installed once for the tests that only run it: unpacking and the first run's class-data archive take a while. */
    @TempDir
    static Path krew;
    private static Installed plugin;

    @TempDir
    Path temp;

    @BeforeAll
    static void install() throws Exception {
        plugin = ReleaseArchive.installLinux(krew);
    }

    @Test
    void theKrewManifestPassesKrewsChecksAndNamesTheLinuxArchiveByItsDigest() throws Exception {
        KrewManifest manifest = KrewManifest.read(ReleaseArchive.directory().resolve("meshcap.yaml"));
        assertEquals("meshcap", manifest.name());
        assertEquals("v" + ReleaseArchive.version(), manifest.version());
        KrewManifest.Platform platform = manifest.platform();
        assertEquals(Map.of("os", "linux", "arch", "amd64"), platform.matchLabels());
        assertTrue(platform.uri().endsWith("/" + ReleaseArchive.linuxName() + ".tar.gz"), platform.uri());
        assertEquals(sha256(ReleaseArchive.linuxArchive()), platform.sha256());
        assertEquals("kubectl-meshcap", platform.bin());
        assertFalse(manifest.description().isBlank());
        for (String caveat : List.of("examples/rbac.yaml", "root", "apt-get install -y tcpdump iptables iproute2")) {
            assertTrue(manifest.caveats().contains(caveat), "caveats lack " + caveat + ":\n" + manifest.caveats());
        }
    }

    @Test
    void sha256SumsListsEveryArtifactWithItsDigest() throws Exception {
        Map<String, String> sums = new LinkedHashMap<>();
        for (String line : Files.readAllLines(ReleaseArchive.directory().resolve("SHA256SUMS"))) {
            String[] fields = line.split("  ", 2);
            sums.put(fields[1], fields[0]);
        }
        Map<String, String> expected = new LinkedHashMap<>();
        for (Path artifact : List.of(ReleaseArchive.plainArchive(), ReleaseArchive.linuxArchive(),
                ReleaseArchive.directory().resolve("meshcap.yaml"))) {
            expected.put(artifact.getFileName().toString(), sha256(artifact));
        }
        assertEquals(expected, sums);
    }

    @Test
    void theKrewInstalledPluginRunsOnItsOwnRuntimeWithoutMavenOrAJdk() throws Exception {
        try (var onPath = Files.list(plugin.bin())) {
            assertTrue(onPath.noneMatch(p -> List.of("java", "mvn", "javac").contains(p.getFileName().toString())));
        }

        Run version = plugin.run("--version");
        assertEquals(0, version.exitCode(), version.toString());
        List<String> lines = version.out().lines().toList();
        assertEquals("meshcap " + ReleaseArchive.version(), lines.get(0));
        assertTrue(lines.get(1).matches("commit " + GitHead.abbreviated() + "(-dirty)?"), version.toString());
        assertTrue(lines.get(2).contains(" at " + plugin.directory().resolve("runtime").toRealPath() + ","), version.toString());
        assertEquals("", version.err(), "nothing but the version, not even a JVM warning");
        assertTrue(Files.isRegularFile(plugin.directory().resolve("lib/meshcap.jsa")),
                "the first run (this or another test's) prepares the class-data archive next to the jar");

        Run filter = plugin.run("filter", "inbound-mtls", "--pod-ip", "10.1.2.3", "--port", "8080");
        assertEquals(0, filter.exitCode(), filter.toString());
        assertEquals("(dst host 10.1.2.3 and dst port 8080) or (src host 10.1.2.3 and src port 8080)\n", filter.out());

        Run cidr = plugin.run("cidr", "192.168.0.0/12");
        assertEquals(0, cidr.exitCode(), cidr.toString());
        assertEquals("192.160.0.0/12\n", cidr.out());
        assertTrue(cidr.err().contains("host bits cleared"), cidr.toString());

        Path merged = temp.resolve("merged.pcapng");
        Path sidecar = EXAMPLES.resolve("lab-sidecar.pcapng").toAbsolutePath();
        Path raw = EXAMPLES.resolve("lab-outbound-raw.pcapng").toAbsolutePath();
        Run merge = plugin.run("merge", sidecar.toString(), raw.toString(), "-o", merged.toString());
        assertEquals(0, merge.exitCode(), merge.toString());
        assertEquals("", merge.out());
        assertEquals(Tshark.count(sidecar) + Tshark.count(raw), Tshark.count(merged));
    }

    @Test
    void aDamagedClassDataArchiveCostsOnlyStartUpTimeNeverTheOutput() throws Exception {
        Installed own = ReleaseArchive.installLinux(temp);
        Files.writeString(own.directory().resolve("lib/meshcap.jsa"), "not a class-data archive");

        Run cidr = own.run("cidr", "192.168.0.0/12");

        assertEquals(0, cidr.exitCode(), cidr.toString());
        assertEquals("192.160.0.0/12\n", cidr.out());
        assertFalse(cidr.err().contains("["), "no JVM log lines: " + cidr);
    }

    @Test
    void withoutLibpcapFilterSaysWhatToInstallInOneLine() throws Exception {
        // pcap4j loads the library named by this property: a name that does not exist is a machine without libpcap.
        Run filter = plugin.run(Map.of("MESHCAP_JAVA_OPTS", "-Dorg.pcap4j.core.pcapLibName=/nonexistent/libpcap.so"),
                "filter", "inbound-mtls", "--pod-ip", "10.1.2.3", "--port", "8080");

        assertEquals(1, filter.exitCode(), filter.toString());
        assertEquals("", filter.out());
        assertEquals(1, filter.err().lines().count(), filter.toString());
        assertTrue(filter.err().startsWith("meshcap: "), filter.toString());
        assertTrue(filter.err().contains("apt-get install -y libpcap0.8"), filter.toString());
    }

    @Test
    void thePlainArchiveRunsOnTheJavaItIsGivenAndSaysHowToGetOneWhenThereIsNone() throws Exception {
        Installed plain = ReleaseArchive.installPlain(temp);
        String javaHome = System.getProperty("java.home");

        Run version = plain.run(Map.of("JAVA_HOME", javaHome), "--version");
        assertEquals(0, version.exitCode(), version.toString());
        assertTrue(version.out().contains(" at " + javaHome + ","), version.toString());

        Run none = plain.run("cidr", "10.0.0.0/8");
        assertEquals(1, none.exitCode(), none.toString());
        assertEquals("", none.out());
        assertTrue(none.err().startsWith("meshcap: no Java runtime found"), none.toString());
        assertTrue(none.err().contains("apt-get install -y openjdk-17-jre-headless"), none.toString());

        Path java11 = Files.createDirectories(temp.resolve("jdk-11/bin"));
        Files.writeString(java11.resolve("java"), "#!/bin/sh\necho this old java must not run\n");
        assertTrue(java11.resolve("java").toFile().setExecutable(true));
        Files.writeString(java11.resolveSibling("release"), "IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"11.0.22\"\n");
        Run old = plain.run(Map.of("JAVA_HOME", java11.getParent().toString()), "cidr", "10.0.0.0/8");
        assertEquals(1, old.exitCode(), old.toString());
        assertEquals("", old.out());
        assertTrue(old.err().contains("is Java 11, and meshcap needs a Java 17 or newer runtime"), old.toString());
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
