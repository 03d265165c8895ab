package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the cluster configuration comes from, and what a broken one is allowed to print. */
class KubernetesClientsTest {

    @TempDir
    Path home;

    @Test
    void withNothingToGoByTheUserIsToldEveryWayToNameACluster() {
        MeshcapException e = assertThrows(MeshcapException.class,
                () -> KubernetesClients.source(Optional.empty(), Map.of(), home));
        assertEquals(MeshcapException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().startsWith("no Kubernetes configuration: give --kubeconfig FILE, set KUBECONFIG"),
                e.getMessage());
    }

    @Test
    void kubectlsOrderIsFollowed() throws IOException {
        Path standard = Files.createDirectories(home.resolve(".kube")).resolve("config");
        Files.writeString(standard, "apiVersion: v1\n");
        Path other = Files.writeString(home.resolve("other"), "apiVersion: v1\n");
        assertEquals(standard.toString(), KubernetesClients.source(Optional.empty(), Map.of(), home));
        assertEquals(other.toString(), KubernetesClients.source(Optional.empty(),
                Map.of("KUBECONFIG", home.resolve("missing") + ":" + other), home));
        assertEquals(other.toString(), KubernetesClients.source(Optional.of(other), Map.of("KUBECONFIG", "x"), home));
        Files.delete(standard);
        assertEquals("the in-cluster service account", KubernetesClients.source(Optional.empty(),
                Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1"), home));
    }

    @Test
    void aKubeconfigVariableNamingNoReadableFileIsRefused() {
        MeshcapException e = assertThrows(MeshcapException.class, () -> KubernetesClients.source(Optional.empty(),
                Map.of("KUBECONFIG", home.resolve("gone").toString()), home));
        assertTrue(e.getMessage().contains("KUBECONFIG names " + home.resolve("gone")), e.getMessage());
    }

    @Test
    void aBrokenKubeconfigIsNamedButItsContentIsNeverPrinted() throws IOException {
        Path broken = Files.writeString(home.resolve("leak.kc"), String.join("\n",
                "apiVersion: v1", "kind: Config", "users:", "- name: u",
                "  user: {token: SUPERSECRETTOKEN123: x}", ""));
        MeshcapException e = assertThrows(MeshcapException.class,
                () -> KubernetesClients.config(Optional.empty(), Optional.of(broken)));
        assertEquals(MeshcapException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains(broken.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("SUPERSECRET"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
