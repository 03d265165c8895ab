package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.AnyNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.meshcap.MeshcapException;
import java.net.ConnectException;
import java.net.URL;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A client call that throws, which the mock API server cannot make happen on demand: the connection refused
 * half-way through {@code meshcap cleanup}, played by a Mockito client.
 */
class LeftoverCleanupFaultsTest {

    @Test
    void anUnreachableApiServerIsOneLineNamingWhatWasTriedAndTheFix() throws Exception {
        KubernetesClient client = mock(KubernetesClient.class);
        when(client.getMasterUrl()).thenReturn(new URL("https://127.0.0.1:6443/"));
        MixedOperation<Pod, PodList, PodResource> pods = mock();
        AnyNamespaceOperation<Pod, PodList, PodResource> everywhere = mock();
        FilterWatchListDeletable<Pod, PodList, PodResource> meshcaps = mock();
        when(client.pods()).thenReturn(pods);
        when(pods.inAnyNamespace()).thenReturn(everywhere);
        when(everywhere.withLabelSelector(MeshcapObjects.SELECTOR)).thenReturn(meshcaps);
        when(meshcaps.list()).thenThrow(
                new KubernetesClientException("An error has occurred.", new ConnectException("Connection refused")));

        MeshcapException e = assertThrows(MeshcapException.class,
                () -> new LeftoverCleanup(client, note -> { }).run(Optional.empty(), Optional.empty(), false));

        assertEquals(MeshcapException.Kind.FAILURE, e.kind());
        assertEquals("cannot connect to the Kubernetes API at https://127.0.0.1:6443 (connection refused); check "
                + "--context/--kubeconfig", e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
    }
}
