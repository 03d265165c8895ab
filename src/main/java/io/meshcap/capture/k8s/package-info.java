/**
 * Captures in Kubernetes pods through the API (fabric8 kubernetes-client with the JDK HTTP client).
 *
 * <p>The path of a capture, and the one class for each step:
 * <ol>
 *   <li>{@link io.meshcap.capture.k8s.KubernetesClients#connect}: a client, kubectl's way (kubeconfig, context).</li>
 *   <li>{@link io.meshcap.capture.k8s.PodDiscovery}: the target pods as immutable
 *       {@link io.meshcap.capture.k8s.PodInfo}s (addresses, node, containers, proxy, annotations, ports).</li>
 *   <li>{@link io.meshcap.capture.k8s.KubernetesCaptureSource#open} (or
 *       {@link io.meshcap.capture.k8s.PodSources#openAll} for a selector): picks a
 *       {@link io.meshcap.capture.k8s.Strategy} and sets it up; one launcher class per strategy
 *       ({@code ExecLauncher}, {@code EphemeralContainerLauncher}, {@code NodePodLauncher}).</li>
 *   <li>{@link io.meshcap.capture.k8s.KubernetesCaptureSource#facts()}: rules, port range, sockets,
 *       addresses and routes read inside the pod; {@link io.meshcap.capture.k8s.PodFacts#targetFacts} turns them into
 *       the filters' and re-association's values with the same rule reading as a local namespace
 *       ({@link io.meshcap.istio.InterceptionFacts}). {@code inspect --pod} and {@code ports --pod} open a source,
 *       read its facts and close it.</li>
 *   <li>{@link io.meshcap.capture.k8s.KubernetesCaptureSource#start}: one tcpdump per leg over exec, its pcap
 *       stream copied into the engine's sink.</li>
 *   <li>{@link io.meshcap.capture.k8s.KubernetesCaptureSource#bundle()}: the metadata files for next to the
 *       capture; {@link io.meshcap.capture.k8s.KubernetesCaptureSource#close()}: stop and clean up, once.</li>
 * </ol>
 *
 * <p>Commands are argv lists ({@link io.meshcap.capture.k8s.CaptureArgv}); pod specs are built by pure
 * functions ({@link io.meshcap.capture.k8s.EphemeralContainerSpec}, {@link io.meshcap.capture.k8s.NodePodSpec}).
 * API errors become messages with their fix in {@code ApiFailures}. Tests run against fabric8's mock server in
 * CRUD mode, with exec sessions scripted as websocket frames ({@code MockCluster} in the tests).
 */
package io.meshcap.capture.k8s;
