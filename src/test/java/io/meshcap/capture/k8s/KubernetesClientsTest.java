package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshcap.MeshcapException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    /** A kubeconfig with two contexts on two servers, the first one current unless {@code current} is null. */
    private Path twoContexts(String current) throws IOException {
        return Files.writeString(home.resolve("two.kc"), String.join("\n",
                "apiVersion: v1", "kind: Config",
                "clusters:",
                "- name: east", "  cluster: {server: 'https://east.example:6443'}",
                "- name: west", "  cluster: {server: 'https://west.example:6443'}",
                "contexts:",
                "- name: east", "  context: {cluster: east, user: u, namespace: shop}",
                "- name: west", "  context: {cluster: west, user: u}",
                current == null ? "" : "current-context: " + current,
                "users:", "- name: u", "  user: {token: not-a-secret}", ""));
    }

    @Test
    void aContextIsPickedByNameAndItsNamespaceIsTheDefault() throws IOException {
        Path kubeconfig = twoContexts("east");

        Config east = KubernetesClients.config(Optional.empty(), Optional.of(kubeconfig));
        Config west = KubernetesClients.config(Optional.of("west"), Optional.of(kubeconfig));

        assertEquals(List.of("https://east.example:6443/", "shop"), List.of(east.getMasterUrl(), east.getNamespace()));
        assertEquals("https://west.example:6443/", west.getMasterUrl());
        assertEquals(3, east.getRequestRetryBackoffLimit(), "a server that is down is said within seconds");
        try (KubernetesClient client = KubernetesClients.connect(Optional.of("east"), Optional.of(kubeconfig))) {
            assertEquals("https://east.example:6443/", client.getMasterUrl().toString());
            assertEquals("shop", KubernetesClients.defaultNamespace(client));
        }
        try (KubernetesClient client = KubernetesClients.connect(Optional.of("west"), Optional.of(kubeconfig))) {
            assertEquals("default", KubernetesClients.defaultNamespace(client), "a context without a namespace");
        }
    }

    @Test
    void aContextThatIsNotThereIsRefusedAsKubectlRefusesIt() throws IOException {
        for (String current : new String[] {"east", null}) {
            Path kubeconfig = twoContexts(current);

            MeshcapException e = assertThrows(MeshcapException.class,
                    () -> KubernetesClients.config(Optional.of("north"), Optional.of(kubeconfig)));

            assertEquals(MeshcapException.Kind.USAGE, e.kind());
            assertEquals("--context: no context named 'north' in the kubeconfig; list them with: kubectl config "
                    + "get-contexts", e.getMessage(), "current context " + current);
        }
    }
}
