package io.meshcap.capture.k8s;

import io.meshcap.istio.IstioDefaults;

/**
 * The pod's Istio sidecar.
 *
 * @param container  its container name (istio-proxy), a regular or a native-sidecar init container
 * @param image      its image reference
 * @param version    the image tag, which is the Istio version for Istio's own images, or "unknown"
 * @param uid        the proxy uid the interception rules exempt (runAsUser)
 * @param uidAssumed true when no runAsUser was set and {@link #DEFAULT_UID} is assumed
 * @param privileged whether the proxy runs privileged (only then can tcpdump run inside it)
 */
public record ProxyInfo(String container, String image, String version, long uid, boolean uidAssumed,
        boolean privileged) {

    /** Istio's default proxy container name. */
    public static final String CONTAINER_NAME = "istio-proxy";
    /** Istio's default proxy uid. */
    public static final long DEFAULT_UID = IstioDefaults.PROXY_UID;
}
