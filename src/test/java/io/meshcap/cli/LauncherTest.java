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
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 * archive, a stale one, or none; and the archive it makes holds the classes the quick commands load, picocli's
 * included. The launcher runs from a copy of the project layout in a temporary directory, with a jar the test builds
 * from the compiled classes.
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
        Path classList = Path.of("scripts", "class-list");
        Files.createDirectories(root.resolve(classList).getParent());
        Files.copy(classList, root.resolve(classList), StandardCopyOption.COPY_ATTRIBUTES); // the archive's runs
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

    /** Has the launcher make its archive for the current jar, as its first run after a build does. */
    private void archiveForTheCurrentJar() throws IOException {
        Files.deleteIfExists(archive);
        Ran made = launcher(root.resolve("archive.out"), "--version");
        assertEquals(0, made.exitCode(), made.stderr());
        assertTrue(Files.exists(archive), "the launcher made no archive: " + made.stderr());
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Runs the launcher with {@code args}, stdout into a file; the JVM it finds on PATH is the tests' own. */
    private Ran launcher(Path stdout, String... args) throws IOException {
        return launcherWithJavaOptions(stdout, null, args);
    }

    /** Like {@link #launcher}, with {@code MESHCAP_JAVA_OPTS} set to {@code javaOptions} unless that is null. */
    private Ran launcherWithJavaOptions(Path stdout, String javaOptions, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(root.resolve("meshcap").toString()));
        argv.addAll(List.of(args));
        return run(stdout, argv, javaOptions);
    }

    /** How a command ended. */
    private record Ran(int exitCode, String stderr) {
    }

    /**
     * Runs a command with stdout into a file. Not {@link io.meshcap.sys.CommandRunner}: making an archive on a
     * machine busy with other test runs can take longer than its limit for administrative commands.
     */
    private Ran run(Path stdout, List<String> argv, String javaOptions) throws IOException {
        Path stderr = Files.createTempFile(root, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(argv).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().remove("MESHCAP_JAVA_OPTS");
        if (javaOptions != null) {
            builder.environment().put("MESHCAP_JAVA_OPTS", javaOptions);
        }
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
        // Newer than the jar, so the launcher trusts it, and the JVM has to refuse it (a static archive, silently).
        Files.setLastModifiedTime(archive, FileTime.from(Files.getLastModifiedTime(jar).toInstant().plusSeconds(1)));
        Path stdout = root.resolve("stale.out");
        Ran run = launcher(stdout, "merge", capture.toString(), "-o", "-");
        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals(PACKETS, Tshark.capinfosCount(stdout));
        assertFalse(Files.readString(stdout, java.nio.charset.StandardCharsets.ISO_8859_1).contains("[warning]"));
    }

    /**
     * Java 17's dynamic archive, which the launcher used to make, left out every picocli class (compiled for Java 5),
     * and those are most of what a quick command loads; the launcher's static archive holds them.
     */
    @Test
    void theQuickCommandsLoadTheirClassesFromTheArchive() throws IOException {
        String rules = "src/test/resources/rules/default-injection.iptables-save";
        Files.createDirectories(root.resolve(rules).getParent());
        Files.copy(Path.of(rules), root.resolve(rules)); // as in a checkout, where the launcher's list runs it
        archiveForTheCurrentJar();
        Map<List<String>, List<String>> classesOfCommands = Map.of(
                List.of("filter", "inbound-mtls", "--pod-ip", "10.1.2.3", "--port", "8080"),
                List.of("picocli.CommandLine", "io.meshcap.cli.FilterCommand", "io.meshcap.plan.PresetCatalogue",
                        "com.sun.jna.Native", "io.meshcap.plan.LibpcapFilters"),
                List.of("cidr", "10.0.0.0/8"), List.of("picocli.CommandLine", "io.meshcap.cli.CidrCommand"),
                List.of("inspect", "--rules", root.resolve(rules).toString()),
                List.of("picocli.CommandLine", "io.meshcap.cli.InspectCommand", "io.meshcap.istio.IptablesSaveParser",
                        "io.meshcap.istio.PortGuide"));
        for (Map.Entry<List<String>, List<String>> command : classesOfCommands.entrySet()) {
            Path log = root.resolve("classes.log");
            Ran run = launcherWithJavaOptions(root.resolve("command.out"),
                    "-XX:+UseSerialGC -Xlog:class+load=info:file=" + log, command.getKey().toArray(String[]::new));
            assertEquals(0, run.exitCode(), command.getKey() + ": " + run.stderr());
            List<String> loaded = Files.readAllLines(log);
            for (String name : command.getValue()) {
                String line = loaded.stream().filter(l -> l.contains(" " + name + " source: ")).findFirst()
                        .orElseThrow(() -> new AssertionError(command.getKey() + " did not load " + name));
                assertTrue(line.endsWith("source: shared objects file"), command.getKey() + ": " + line);
            }
        }
        Path log = root.resolve("version.log");
        Ran version = launcherWithJavaOptions(root.resolve("version.out"), "-Xlog:class+load=info:file=" + log,
                "--version");
        assertEquals(0, version.exitCode(), version.stderr());
        assertTrue(Files.readString(root.resolve("version.out")).startsWith("meshcap "));
        assertFalse(Files.readString(log).contains(" picocli.CommandLine source: "), "--version started picocli");
    }
}
