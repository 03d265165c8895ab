package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PodRefTest {

    @Test
    void nameAloneUsesTheDefaultNamespace() {
        assertEquals(new PodRef("shop", "reviews-v1-7d9c"), PodRef.parse("reviews-v1-7d9c", "shop"));
    }

    @Test
    void namespaceInTheTextWins() {
        assertEquals(new PodRef("istio-system", "istio-ingressgateway-5f7b"),
                PodRef.parse("istio-system/istio-ingressgateway-5f7b", "shop"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"x; rm -rf /", "x/../../etc", "$(reboot)", "Reviews", "-rf", "a b", "x\nrm", ""})
    void hostileOrInvalidNamesAreRejectedAsUsageErrors(String name) {
        MeshcapException e = assertThrows(MeshcapException.class, () -> PodRef.parse(name, "shop"));
        assertEquals(MeshcapException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().startsWith("--pod: "), e.getMessage());
    }

    @Test
    void containerAndNamespaceRulesAreDnsLabels() {
        assertThrows(MeshcapException.class, () -> KubeNames.containerName("istio.proxy", "--container"));
        assertThrows(MeshcapException.class, () -> KubeNames.namespace("a".repeat(64), "-n"));
        assertEquals("istio-proxy", KubeNames.containerName("istio-proxy", "--container"));
    }

    @Test
    void aValidNameComesBackAsGivenUpToTheLongestKubernetesAllows() {
        String longestPod = "p".repeat(253);
        String longestNamespace = "n".repeat(63);
        assertEquals(longestPod, KubeNames.podName(longestPod, "--pod"));
        assertEquals(longestNamespace, KubeNames.namespace(longestNamespace, "-n"));
        assertEquals("reviews-v1-7d9c.shop", KubeNames.podName("reviews-v1-7d9c.shop", "--pod"));
        assertEquals("--pod: '" + longestPod + "p' is not a valid pod name (lower-case letters, digits and '-' and"
                + " '.', at most 253 characters; see kubectl get pods)",
                assertThrows(MeshcapException.class, () -> KubeNames.podName(longestPod + "p", "--pod")).getMessage());
        assertEquals("-n: 'Shop' is not a valid namespace (lower-case letters, digits and '-', at most 63"
                + " characters; see kubectl get pods)",
                assertThrows(MeshcapException.class, () -> KubeNames.namespace("Shop", "-n")).getMessage());
    }

    @Test
    void anEmptyPartIsNamedAsSuch() {
        assertEquals("--pod: the namespace is empty",
                assertThrows(MeshcapException.class, () -> PodRef.parse("/reviews-v1-7d9c", "shop")).getMessage());
        assertEquals("--pod: the pod name is empty",
                assertThrows(MeshcapException.class, () -> PodRef.parse("shop/", "default")).getMessage());
        assertEquals("-c: the container name is empty",
                assertThrows(MeshcapException.class, () -> KubeNames.containerName(null, "-c")).getMessage());
    }
}
