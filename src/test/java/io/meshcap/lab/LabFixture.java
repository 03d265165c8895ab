package io.meshcap.lab;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that brings a uniquely named lab up before a test class and always takes it down after,
 * also when start-up fails half-way or the JVM is stopped (a shutdown hook covers what afterAll cannot).
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
        } finally {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
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
