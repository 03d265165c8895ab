package io.meshcap.lab;

import io.meshcap.testing.OwnerRecords;
import io.meshcap.testing.TestOwner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that brings a uniquely named lab up before a test class and always takes it down after,
 * also when start-up fails half-way or the JVM is stopped (a shutdown hook covers what afterAll cannot). A JVM that
 * is killed (as PIT kills a test JVM that runs past its time limit) runs neither, so the JVM that owns each lab is
 * recorded before anything of the lab exists ({@link #own}), and every fixture first removes the labs of owners that
 * are gone ({@link #sweepLabsOfDeadRuns()}).
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LabFixture LAB = LabFixture.create(config -> config.withIpv6(true));
 *
 * @Test
 * void something(@TempDir Path dir) throws Exception {
 *     try (Recording lo = LAB.record(LAB.topology().podNamespace(), "lo", dir.resolve("lo.pcap"))) {
 *         Ledger ledger = LAB.traffic(1, 1);
 *         lo.stop();
 *         // compare tshark's view of lo.file() with the ledger
 *     }
 * }
 * }</pre>
 */
public final class LabFixture implements BeforeAllCallback, AfterAllCallback {

    /** Test labs are named {@code mctest-<8 hex>}, so they never collide with a user's lab or each other. */
    public static final String NAME_PREFIX = "mctest-";
    /** Who owns each test lab ({@link TestOwner}), outside the lab's run directory; a user's lab has no record. */
    static final OwnerRecords OWNERS = new OwnerRecords("/run/meshcap/test-labs");

    private final Lab lab;
    private final Thread shutdownHook;

    private LabFixture(LabConfig config) {
        this.lab = Lab.of(config);
        this.shutdownHook = new Thread(lab::down, "lab-teardown-" + config.name());
    }

    /** A default lab (ports 8080 and 9080, proxy uid 1337, IPv4) with a unique name. */
    public static LabFixture create() {
        return create(UnaryOperator.identity());
    }

    /** A lab with a unique name and the given changes to the default config. */
    public static LabFixture create(UnaryOperator<LabConfig> customise) {
        return new LabFixture(customise.apply(LabConfig.defaults().withName(uniqueName())));
    }

    public static String uniqueName() {
        return NAME_PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            own(lab.config().name());
            lab.up();
        } catch (RuntimeException e) {
            lab.down();
            throw e;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            lab.down();
            OWNERS.disown(lab.config().name());
        } finally {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
    }

    /**
     * Records this JVM as the owner of the lab {@code name} before any of it exists, after removing the labs of
     * owners that are gone. Call it before making a lab any way ({@code Lab.up()}, {@code meshcap lab up},
     * {@code meshcap demo}): a JVM killed at any moment after it leaves nothing unowned.
     */
    public static void own(String name) {
        sweepLabsOfDeadRuns();
        OWNERS.own(name);
    }

    /** Forgets the owner of the lab {@code name} that the test made some other way, once that lab is gone. */
    public static void disown(String name) {
        OWNERS.disown(name);
    }

    /**
     * Takes down every lab whose recorded owner is gone, whole or half made, and returns their names. Labs without an
     * owner (a user's, the demo's) and labs of live owners (this JVM's, another suite's) are left as they are.
     */
    static List<String> sweepLabsOfDeadRuns() {
        // Only its name matters to down(): namespaces, pid files and the run directory all follow from it.
        return OWNERS.sweep(name -> Lab.of(LabConfig.defaults().withName(name)).down());
    }

    public Lab lab() {
        return lab;
    }

    public LabTopology topology() {
        return lab.topology();
    }

    public Ledger traffic(int inbound, int outbound) {
        return lab.traffic(inbound, outbound);
    }

    /** Starts an unfiltered tcpdump on an interface of one of this lab's namespaces. */
    public Recording record(String namespace, String iface, Path file) throws IOException {
        return Recording.start(namespace, iface, file);
    }
}
