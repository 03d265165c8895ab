package io.meshcap.capture.k8s;

import io.meshcap.MeshcapException;
import java.util.regex.Pattern;

/**
 * Kubernetes' own name rules, checked before any request is made: a name that breaks them can only be a
 * typo or an attempt to smuggle something into a URL or a command line, and the API would refuse it anyway.
 */
public final class KubeNames {

    /** RFC 1123 label: namespaces and container names. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final int DNS_LABEL_MAX = 63;

    /** RFC 1123 subdomain: pod names. */
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile(
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final int DNS_SUBDOMAIN_MAX = 253;

    private KubeNames() {
    }

    /** Returns {@code name} if it is a valid pod name, else fails with a usage error naming the flag. */
    public static String podName(String name, String flag) {
        return check(name, flag, "pod name", DNS_SUBDOMAIN, DNS_SUBDOMAIN_MAX);
    }

    /** Returns {@code name} if it is a valid namespace, else fails with a usage error naming the flag. */
    public static String namespace(String name, String flag) {
        return check(name, flag, "namespace", DNS_LABEL, DNS_LABEL_MAX);
    }

    /** Returns {@code name} if it is a valid container name, else fails with a usage error naming the flag. */
    public static String containerName(String name, String flag) {
        return check(name, flag, "container name", DNS_LABEL, DNS_LABEL_MAX);
    }

    private static String check(String name, String flag, String what, Pattern rule, int max) {
        if (name == null || name.isEmpty()) {
            throw MeshcapException.usage(flag + ": the " + what + " is empty");
        }
        if (name.length() > max || !rule.matcher(name).matches()) {
            throw MeshcapException.usage(flag + ": '" + name + "' is not a valid " + what
                    + " (lower-case letters, digits and '-'" + (rule == DNS_SUBDOMAIN ? " and '.'" : "")
                    + ", at most " + max + " characters; see kubectl get pods)");
        }
        return name;
    }
}
