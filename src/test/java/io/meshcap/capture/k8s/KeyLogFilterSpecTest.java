package io.meshcap.capture.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshcap.istio.EnvoyConfigDump;
import org.junit.jupiter.api.Test;

/**
 * The key-logging EnvoyFilter for the mock pod and the config dump of src/test/resources/envoy, against its golden
 * (src/test/resources/k8s/envoyfilter-keylog.yaml), whose fields were checked by hand against Envoy's TlsKeyLog
 * (api/envoy/extensions/transport_sockets/tls/v3/tls.proto) and Istio's EnvoyFilter (networking/v1alpha3).
 */
@EnableKubernetesMockClient(crud = true)
class KeyLogFilterSpecTest {

    KubernetesMockServer server;
    KubernetesClient client;

    static String golden() {
        return MockCluster.text("/k8s/envoyfilter-keylog.yaml").replaceAll("(?m)^#.*\n", "");
    }

    @Test
    void theFilterIsItsReviewedGolden() {
        new MockCluster(server, client).create(MockCluster.targetPod().build());
        PodInfo pod = new PodDiscovery(client).get(new PodRef(MockCluster.NAMESPACE, MockCluster.POD));

        String yaml = client.getKubernetesSerialization().asYaml(KeyLogFilterSpec.build(pod, MockCluster.RUN_ID,
                EnvoyConfigDump.parse(MockCluster.text("/envoy/config-dump-reviews.json")).keyLogTargets()));

        assertEquals(golden(), yaml);
    }

    @Test
    void aLongPodNameIsCutToANameTheApiAcceptsNeverEndingInADash() {
        // 22 characters of prefix and run, then the pod's: the 253rd character is the dash.
        String pod = "a".repeat(230) + "-" + "b".repeat(30);

        assertEquals("meshcap-keylog-k3x9q2-" + "a".repeat(230), KeyLogFilterSpec.name("k3x9q2", pod));
        assertEquals("meshcap-keylog-k3x9q2-reviews-v1-7d9c", KeyLogFilterSpec.name("k3x9q2", "reviews-v1-7d9c"));
    }
}
