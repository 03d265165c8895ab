package io.meshcap.capture.k8s;

/**
 * A pod named on the command line, kubectl style: {@code NAME} in the current namespace or {@code NS/NAME}.
 *
 * @param namespace the namespace, validated
 * @param name      the pod name, validated
 */
public record PodRef(String namespace, String name) {

    private static final String FLAG = "--pod";

    public PodRef {
        KubeNames.namespace(namespace, FLAG);
        KubeNames.podName(name, FLAG);
    }

    /**
     * Parses {@code [NS/]NAME}; a namespace in the text wins over {@code defaultNamespace}, as in
     * {@code kubectl debug ns/pod}.
     */
    public static PodRef parse(String text, String defaultNamespace) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            return new PodRef(defaultNamespace, text);
        }
        return new PodRef(text.substring(0, slash), text.substring(slash + 1));
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
