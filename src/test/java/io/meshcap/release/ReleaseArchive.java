package io.meshcap.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The release the build made under target/release/ (src/release/assemble, in pre-integration-test), installed the way
 * krew installs a plugin, and run the way a user runs it: through the {@code kubectl-meshcap} link, with a PATH
 * that holds only a shell, the few tools the launcher uses and that link, so no Maven, java or JDK can be found.
 */
public final class ReleaseArchive {

    /** What the launchers run besides the JVM: the test PATH holds only these (and kubectl-meshcap). */
    private static final List<String> LAUNCHER_TOOLS = List.of("bash", "readlink", "mkdir", "mktemp", "mv", "rm");
    private static final long RUN_LIMIT_SECONDS = 180;

    private ReleaseArchive() {
    }

    public static Path directory() {
        return Path.of(System.getProperty("meshcap.release"));
    }

    public static String version() {
        return System.getProperty("meshcap.version");
    }

    public static String linuxName() {
        return "meshcap-" + version() + "-linux-amd64";
    }

    public static Path linuxArchive() {
        return directory().resolve(linuxName() + ".tar.gz");
    }

    public static Path plainArchive() {
        return directory().resolve("meshcap-" + version() + ".tar.gz");
    }

    /** One run of a released launcher. */
    public record Run(int exitCode, String out, String err) {

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /**
     * The release unpacked into {@code root}: {@code home} is what the user's HOME is, {@code bin} the only
     * directory on PATH.
     */
    public record Installed(Path directory, Path bin, Path home) {

        public Run run(String... args) throws IOException, InterruptedException {
            return run(Map.of(), args);
        }

        /** Runs {@code kubectl-meshcap args} from PATH, in a fresh environment plus {@code environment}. */
        public Run run(Map<String, String> environment, String... args) throws IOException, InterruptedException {
            // As kubectl runs a plugin: by the path it found on PATH.
            List<String> argv = new ArrayList<>(List.of(bin.resolve("kubectl-meshcap").toString()));
            argv.addAll(List.of(args));
            return launch(bin.resolve("kubectl-meshcap"), argv, environment);
        }

        private Run launch(Path program, List<String> argv, Map<String, String> environment)
                throws IOException, InterruptedException {
            assertTrue(Files.isExecutable(program), program + " is not executable");
            Path out = Files.createTempFile(home, "stdout", ".txt");
            Path err = Files.createTempFile(home, "stderr", ".txt");
            ProcessBuilder builder = new ProcessBuilder(argv).directory(home.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            Map<String, String> env = builder.environment();
            env.clear();
            env.put("PATH", bin.toString());
            env.put("HOME", home.toString());
            env.putAll(environment);
            Process process = builder.start();
            if (!process.waitFor(RUN_LIMIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", argv) + " did not finish in " + RUN_LIMIT_SECONDS + " s");
            }
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        }
    }

    /**
     * Unpacks {@code archive} into the empty directory {@code root}/unpacked as krew does: only regular files and
     * directories, nothing outside it. Fails on any other entry, since krew refuses the whole archive then.
     */
    public static Path unpack(Path archive, Path root) throws IOException, InterruptedException {
        Files.createDirectories(root);
        List<String> listing = tar(root, "--list", "--verbose", "--gzip", "--file", archive.toString());
        for (String line : listing) {
            char type = line.charAt(0);
            assertTrue(type == '-' || type == 'd', "krew unpacks only files and directories: " + line);
            String name = line.substring(line.lastIndexOf(' ') + 1);
            assertTrue(!name.startsWith("/") && !name.contains(".."), "krew refuses this entry: " + line);
        }
        Path unpacked = Files.createDirectory(root.resolve("unpacked"));
        // Like krew: the files' times are not kept (the launcher must not depend on them).
        tar(root, "--extract", "--gzip", "--touch", "--file", archive.toString(), "--directory", unpacked.toString());
        return unpacked;
    }

    /**
     * Installs the linux-amd64 archive under {@code root} as krew does with meshcap.yaml: unpacked, its file operations
     * applied, and its bin linked into krew's bin directory by a relative link named kubectl-meshcap.
     */
    public static Installed installLinux(Path root) throws IOException, InterruptedException {
        KrewManifest.Platform platform = KrewManifest.read(directory().resolve("meshcap.yaml")).platform();
        Path unpacked = unpack(linuxArchive(), root);
        Path installed = Files.createDirectories(root.resolve("store/meshcap/v" + version()));
        for (KrewManifest.FileOperation operation : platform.files()) {
            operation.apply(unpacked, installed);
        }
        return linked(installed.resolve(platform.bin()), installed, root);
    }

    /** Installs the plain archive under {@code root}, linked onto PATH as kubectl-meshcap as its README says. */
    public static Installed installPlain(Path root) throws IOException, InterruptedException {
        Path installed = unpack(plainArchive(), root).resolve("meshcap-" + version());
        return linked(installed.resolve("meshcap"), installed, root);
    }

    private static Installed linked(Path executable, Path installed, Path root) throws IOException {
        Path bin = Files.createDirectory(root.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("kubectl-meshcap"), bin.relativize(executable));
        for (String tool : LAUNCHER_TOOLS) {
            Files.createSymbolicLink(bin.resolve(tool), systemTool(tool));
        }
        Path home = Files.createDirectory(root.resolve("home"));
        return new Installed(installed, bin, home);
    }

    private static Path systemTool(String name) {
        return Stream.of("/usr/bin", "/bin").map(dir -> Path.of(dir, name)).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError(name + " is not installed"));
    }

    private static List<String> tar(Path directory, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("tar"));
        argv.addAll(List.of(args));
        Process tar = new ProcessBuilder(argv).directory(directory.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tar.waitFor(RUN_LIMIT_SECONDS, TimeUnit.SECONDS), "tar did not finish");
        assertEquals(0, tar.exitValue(), String.join(" ", argv));
        return out.lines().toList();
    }
}
