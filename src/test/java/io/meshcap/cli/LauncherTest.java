package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.format.OutputFormat;
import io.meshcap.testing.RandomCapture;
import io.meshcap.testing.Tshark;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./meshcap} launcher keeps stdout for the data asked for, whatever state its class-data sharing archive
 * is in: after the jar was rebuilt behind it (as {@code mvn package} or {@code scripts/test} do), with a corrupt
 * archive, a stale one, or none. The launcher runs from a copy of the project layout in a temporary directory,
 * with a jar the test builds from the compiled classes.
 */
class LauncherTest {

    private static final int PACKETS = 5;
    private static final byte[] PCAPNG_MAGIC = {0x0a, 0x0d, 0x0d, 0x0a};
    private static final long COMMAND_TIMEOUT_SECONDS = 300;

    @TempDir
    Path root;
    private Path jar;
    private Path archive;
    private Path capture;

    @BeforeEach
    void layOutAProject() throws IOException {
        Files.copy(Path.of("meshcap").toAbsolutePath(), root.resolve("meshcap"));
        Path target = Files.createDirectory(root.resolve("target"));
        jar = target.resolve("meshcap.jar");
        archive = target.resolve("meshcap.jsa");
        buildJar("first build");
        capture = RandomCapture.write(root.resolve("x.pcap"), OutputFormat.PCAP, PACKETS, 1);
    }

    /**
     * Builds target/meshcap.jar from the compiled classes, with the dependencies on its manifest class path (relative,
     * as class-data sharing needs), one second newer than anything before. {@code build} changes its content.
     */
    private void buildJar(String build) throws IOException {
        List<Path> classPath = Arrays.stream(System.getProperty("surefire.test.class.path",
                System.getProperty("java.class.path")).split(File.pathSeparator)).map(Path::of).toList();
        Path classes = classPath.stream().filter(p -> p.endsWith("classes")).findFirst().orElseThrow();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "io.meshcap.cli.Main");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath.stream()
                .filter(p -> p.toString().endsWith(".jar"))
                .map(p -> jar.getParent().relativize(p.toAbsolutePath()).toString())
                .collect(Collectors.joining(" ")));
        Instant previous = Files.exists(jar) ? Files.getLastModifiedTime(jar).toInstant() : Instant.now();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
                Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(file).toString()));
                Files.copy(file, out);
            }
            out.putNextEntry(new JarEntry("build.txt"));
            out.write(build.getBytes());
        }
        Files.setLastModifiedTime(jar, FileTime.from(later(previous, Files.getLastModifiedTime(jar).toInstant())));
    }

    private static Instant later(Instant previous, Instant now) {
        return now.isAfter(previous.plusSeconds(1)) ? now : previous.plusSeconds(1);
    }

    /** Makes an archive as the launcher does after a build: the classes of a short run, on the current jar. */
    private void archiveForTheCurrentJar() throws IOException {
        Ran made = run(root.resolve("archive.out"), List.of(javaBinary(), "-XX:ArchiveClassesAtExit=" + archive,
                "-jar", jar.toString(), "--version"));
        assertEquals(0, made.exitCode(), made.stderr());
        assertTrue(Files.exists(archive));
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Runs the launcher with {@code args}, stdout into a file; the JVM it finds on PATH is the tests' own. */
    private Ran launcher(Path stdout, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(root.resolve("meshcap").toString()));
        argv.addAll(List.of(args));
        return run(stdout, argv);
    }

    /** How a command ended. */
    private record Ran(int exitCode, String stderr) {
    }

    /**
     * Runs a command with stdout into a file. Not {@link io.meshcap.sys.CommandRunner}: making an archive on a
     * machine busy with other test runs can take longer than its limit for administrative commands.
     */
    private Ran run(Path stdout, List<String> argv) throws IOException {
        Path stderr = Files.createTempFile(root, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(argv).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().remove("MESHCAP_JAVA_OPTS");
        builder.environment().put("PATH", Path.of(javaBinary()).getParent() + File.pathSeparator + System.getenv("PATH"));
        Process process = builder.start();
        try {
            assertTrue(process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS), argv + " did not finish");
        } catch (InterruptedException e) {
            process.destroyForcibly();
            throw new AssertionError(e);
        }
        return new Ran(process.exitValue(), Files.readString(stderr));
    }

    private void assertStdoutIsTheCaptureAlone(String state) throws IOException {
        Path stdout = root.resolve("merged.pcapng");
        Ran merge = launcher(stdout, "merge", capture.toString(), "-o", "-");
        assertEquals(0, merge.exitCode(), state + ": " + merge.stderr());
        byte[] head = Arrays.copyOf(Files.readAllBytes(stdout), PCAPNG_MAGIC.length);
        assertTrue(Arrays.equals(PCAPNG_MAGIC, head), state + ": stdout does not start with the pcapng header: "
                + new String(Files.readAllBytes(stdout), 0, Math.min(200, (int) Files.size(stdout))));
        assertEquals(PACKETS, Tshark.capinfosCount(stdout), state);

        Path json = root.resolve("streams.json");
        Ran streams = launcher(json, "streams", "--json", capture.toString());
        assertEquals(0, streams.exitCode(), state + ": " + streams.stderr());
        new ObjectMapper().readTree(json.toFile()); // throws on anything but JSON
        assertTrue(Files.readString(json).startsWith("{"), state + ": " + Files.readString(json));
    }

    @Test
    void stdoutStaysCleanAfterTheJarIsRebuiltBehindTheLauncher() throws IOException {
        archiveForTheCurrentJar();
        buildJar("rebuilt by mvn package");
        assertStdoutIsTheCaptureAlone("jar rebuilt after the archive was made");
        assertTrue(Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) > 0,
                "the launcher made the archive again for the new jar");
    }

    @Test
    void jvmWarningsGoToStderrWhateverStateTheArchiveIsIn() throws IOException {
        assertStdoutIsTheCaptureAlone("no archive");
        assertTrue(Files.exists(archive), "the launcher made one");

        byte[] noise = new byte[64 << 10];
        new Random(1).nextBytes(noise);
        Files.write(archive, noise);
        assertStdoutIsTheCaptureAlone("a corrupt archive");

        archiveForTheCurrentJar();
        Path stale = Files.copy(archive, root.resolve("stale.jsa"));
        buildJar("second build");
        Files.delete(archive);
        Files.copy(stale, archive);
        // Newer than the jar, so the launcher trusts it, and the JVM has to refuse it.
        Files.setLastModifiedTime(archive, FileTime.from(Files.getLastModifiedTime(jar).toInstant().plusSeconds(1)));
        Path stdout = root.resolve("stale.out");
        Ran run = launcher(stdout, "merge", capture.toString(), "-o", "-");
        assertEquals(0, run.exitCode(), run.stderr());
        assertTrue(run.stderr().contains("[warning][cds"), "the JVM's refusal is on stderr: " + run.stderr());
        assertEquals(PACKETS, Tshark.capinfosCount(stdout));
        assertFalse(Files.readString(stdout, java.nio.charset.StandardCharsets.ISO_8859_1).contains("[warning]"));
    }
}
