package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshcap.MeshcapException;
import io.meshcap.capture.k8s.LaunchSettings;
import io.meshcap.capture.k8s.PodInfo;
import io.meshcap.capture.k8s.Strategy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@EnableKubernetesMockClient(crud = true)
class KubernetesOptionsTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @Command(name = "capture")
    static final class Host {
        @Mixin
        KubernetesOptions kubernetes;
    }

    private static KubernetesOptions parse(String... args) {
        Host host = new Host();
        CommandLine cli = new CommandLine(host);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.parseArgs(args);
        return host.kubernetes;
    }

    private void pod(String namespace, String name) {
        client.pods().inNamespace(namespace).resource(new PodBuilder().withNewMetadata().withName(name)
                .withNamespace(namespace).addToLabels("app", "gw").endMetadata().withNewSpec().addNewContainer()
                .withName("istio-proxy").endContainer().endSpec().build()).create();
    }

    @Test
    void podWithNamespacePrefixOverridesDashN() {
        pod("istio-system", "istio-ingressgateway-5f7b");
        List<PodInfo> pods = parse("--pod", "istio-system/istio-ingressgateway-5f7b", "-n", "shop").discover(client);
        assertEquals("istio-system/istio-ingressgateway-5f7b", pods.get(0).ref().toString());
    }

    @Test
    void selectorUsesDashN() {
        pod("istio-system", "gw-a");
        pod("istio-system", "gw-b");
        List<PodInfo> pods = parse("-l", "app=gw", "-n", "istio-system").discover(client);
        assertEquals(List.of("gw-a", "gw-b"), pods.stream().map(PodInfo::name).toList());
    }

    @Test
    void hostilePodNameReachesNoServer() {
        KubernetesOptions options = parse("--pod", "x; rm -rf /", "-n", "shop");
        MeshcapException e = assertThrows(MeshcapException.class, () -> options.discover(client));
        assertEquals(MeshcapException.Kind.USAGE, e.kind());
        assertEquals(0, server.getRequestCount());
    }

    @Test
    void podAndSelectorExcludeEachOther() {
        KubernetesOptions options = parse("--pod", "a", "--selector", "app=x");
        assertEquals("--pod and --selector exclude each other; give one",
                assertThrows(MeshcapException.class, options::validate).getMessage());
    }

    @Test
    void flagsThatNeedNoClusterAreCheckedBeforeOneIsContacted() {
        MeshcapException e = assertThrows(MeshcapException.class, parse("-l", "app=x", "--max-parallel", "0")::validate);
        assertEquals(MeshcapException.Kind.USAGE, e.kind());
        assertEquals(MeshcapException.Kind.USAGE, assertThrows(MeshcapException.class,
                parse("--pod", "a", "--container", "no such")::validate).kind());
        assertEquals(0, server.getRequestCount());
    }

    @Test
    void defaultsAreAutoTheBundledImageAndNoContainer() {
        KubernetesOptions options = parse();
        assertFalse(options.requested());
        StringWriter announced = new StringWriter();
        LaunchSettings settings = options.settings(new PrintWriter(announced, true));
        assertEquals("meshcap: run " + settings.runId() + " (if meshcap is stopped before it cleans up: meshcap cleanup"
                + " --run " + settings.runId() + ")" + System.lineSeparator(), announced.toString());
        assertEquals(Strategy.AUTO, settings.strategy());
        assertEquals(LaunchSettings.DEFAULT_IMAGE, settings.image());
        assertEquals(Optional.empty(), options.container());
        assertEquals(KubernetesOptions.DEFAULT_MAX_PARALLEL, options.maxParallel);
    }

    @Test
    void strategyImageAndContainerFlags() {
        KubernetesOptions options = parse("--pod", "a", "--strategy", "node", "--image", "registry.local/netshoot:1",
                "--container", "istio-proxy");
        assertTrue(options.requested());
        LaunchSettings settings = options.settings(new PrintWriter(new StringWriter()));
        assertEquals(Strategy.NODE, settings.strategy());
        assertEquals("registry.local/netshoot:1", settings.image());
        assertEquals(Optional.of("istio-proxy"), options.container());
    }

    @Test
    void aReadyTimeoutNoHelperCouldOutliveIsRefusedInWords() {
        MeshcapException refused = assertThrows(MeshcapException.class,
                parse("--ready-timeout", "99999999999")::validate);
        assertEquals(MeshcapException.Kind.USAGE, refused.kind());
        assertEquals("--ready-timeout must be between 1 and 43200 seconds (the debug container's lifetime), not"
                + " 99999999999", refused.getMessage());
    }

    @Test
    void eachLimitIsAcceptedAndOneBeyondItRefused() {
        parse("--pod", "a", "--max-parallel", "1").validate();
        parse("--pod", "a", "--ready-timeout", "1").validate();
        parse("--pod", "a", "--ready-timeout", "43200").validate();
        assertEquals("--max-parallel must be at least 1 (pods set up at once), not 0", assertThrows(MeshcapException.class,
                parse("--pod", "a", "--max-parallel", "0")::validate).getMessage());
        for (String beyond : new String[] {"0", "43201"}) {
            assertEquals("--ready-timeout must be between 1 and 43200 seconds (the debug container's lifetime), not "
                    + beyond, assertThrows(MeshcapException.class,
                            parse("--pod", "a", "--ready-timeout", beyond)::validate).getMessage());
        }
    }

    @Test
    void aPodCommandChecksItsFlagsBeforeContactingTheCluster() {
        // The kubeconfig does not exist: a flag checked only after connecting would be reported as that instead.
        Map<List<String>, String> mistakes = Map.of(
                List.of("--ready-timeout", "0"),
                "--ready-timeout must be between 1 and 43200 seconds (the debug container's lifetime), not 0",
                List.of("--port", "0"), "--port: port 0 is not within 1-65535",
                List.of("--cluster-cidr", "10.0.0.0/33"),
                "invalid CIDR '10.0.0.0/33': prefix /33 is longer than the 32 bits of the address");
        mistakes.forEach((flag, message) -> {
            List<String> args = new ArrayList<>(List.of("inspect", "--pod", "a", "--kubeconfig", "/nonexistent/config"));
            args.addAll(flag);
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertEquals(2, run.exitCode(), run.toString());
            assertEquals("meshcap: " + message + "\n", run.err());
        });
    }
}
