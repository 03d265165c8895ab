package io.meshcap.lab;

import com.sun.jna.Native;
import io.meshcap.MeshcapException;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.tls.TlsProtocol;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Builds the java command line of a lab process. The class path is what this code was loaded from: the meshcap jar,
 * or (under Maven's test phase, before any jar exists) the classes directory plus the library jars. Those are copied into
 * the run directory first, because the sidecar's uid cannot read root's home (where jars and ~/.m2 usually live),
 * and because a lab outlives rebuilds: a running JVM fails when its jar is overwritten underneath it.
 */
final class ChildJvm {

    /** Small heaps, no JIT tiers beyond C1, no perf data file: the lab's JVMs idle and must stay light. */
    static final List<String> OPTIONS =
            List.of("-Xmx48m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData");
    /** Marks a process as belonging to a lab, so clean-up never touches a process that reused a stale pid. */
    static final String LAB_PROPERTY = "-Dmeshcap.lab=";
    private static final String READABLE_FILE = "rw-r--r--";
    private static final String READABLE_DIRECTORY = "rwxr-xr-x";

    private ChildJvm() {
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The java argv for a lab process (pure): options, extra system properties, class path, main class, args. */
    static List<String> command(String labName, String classpath, List<String> properties, Class<?> main,
            List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(javaBinary());
        argv.addAll(OPTIONS);
        argv.add(LAB_PROPERTY + labName);
        argv.addAll(properties);
        argv.add("-cp");
        argv.add(classpath);
        argv.add(main.getName());
        argv.addAll(args);
        return List.copyOf(argv);
    }

    /** Copies this code's class path into the run directory (once per lab) and returns it as a -cp value. */
    static String stageClasspath(RunDirectory run) {
        Path target = run.classpath();
        List<Path> sources = codeSources();
        List<String> staged = new ArrayList<>();
        try {
            boolean fresh = !Files.isDirectory(target);
            if (fresh) {
                Files.createDirectories(target);
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(READABLE_DIRECTORY));
            }
            for (int i = 0; i < sources.size(); i++) {
                Path source = sources.get(i);
                Path copy = target.resolve(i + "-" + source.getFileName());
                if (fresh) {
                    copyReadable(source, copy);
                }
                staged.add(copy.toString());
            }
        } catch (IOException e) {
            throw MeshcapException.failure("cannot stage the lab's class path in " + target + ": " + e.getMessage(), e);
        }
        return String.join(File.pathSeparator, staged);
    }

    /**
     * Where the lab's classes and libraries were loaded from: one jar, or a classes directory and the jars of JNA
     * and BouncyCastle (TLS, providers, utilities, PKIX).
     */
    static List<Path> codeSources() {
        Set<Path> sources = new LinkedHashSet<>();
        for (Class<?> type : List.of(ChildJvm.class, Native.class, TlsProtocol.class,
                Digest.class, CMSObjectIdentifiers.class, X509CertificateHolder.class)) {
            try {
                sources.add(Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()));
            } catch (URISyntaxException | NullPointerException e) {
                throw MeshcapException.failure("cannot tell where " + type.getName() + " was loaded from; run meshcap"
                        + " from its jar (java -jar meshcap.jar)", e);
            }
        }
        return List.copyOf(sources);
    }

    private static void copyReadable(Path source, Path copy) throws IOException {
        if (!Files.isDirectory(source)) {
            Files.copy(source, copy);
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString(READABLE_FILE));
            return;
        }
        try (Stream<Path> tree = Files.walk(source)) {
            for (Path path : (Iterable<Path>) tree::iterator) {
                Path destination = copy.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(destination);
                    Files.setPosixFilePermissions(destination, PosixFilePermissions.fromString(READABLE_DIRECTORY));
                } else {
                    Files.copy(path, destination);
                    Files.setPosixFilePermissions(destination, PosixFilePermissions.fromString(READABLE_FILE));
                }
            }
        }
    }
}
