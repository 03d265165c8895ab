package io.meshcap.capture.k8s;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshcap.MeshcapException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Asks the API server whether the current user may do something, with a SelfSubjectAccessReview, as
 * {@code kubectl auth can-i} does: before meshcap creates anything, so a strategy whose later steps would be
 * refused (an ephemeral container that could never be stopped because exec is forbidden) is never started.
 * Answers are kept for the run, so many pods in one namespace ask once.
 */
final class AccessReview {

    private final KubernetesClient client;
    private final Consumer<String> notes;
    private final Map<Permission, Optional<Boolean>> answers = new ConcurrentHashMap<>();

    AccessReview(KubernetesClient client, Consumer<String> notes) {
        this.client = client;
        this.notes = notes;
    }

    /**
     * The permissions of {@code needed} the server says are denied. A question the server cannot answer (it
     * refuses access reviews, an old or unusual server) counts as allowed, with a note: the request itself
     * will then say.
     */
    List<Permission> denied(List<Permission> needed) {
        return needed.stream().filter(p -> !answers.computeIfAbsent(p, this::ask).orElse(true)).toList();
    }

    /**
     * Refuses a strategy before it creates anything when the server denies any permission it needs.
     *
     * @param alternative appended to the fix, e.g. "or use --strategy node"
     * @throws MeshcapException naming every denied permission and the Role of examples/rbac.yaml that grants them
     */
    void require(List<Permission> needed, Strategy strategy, String alternative) {
        require(needed, "--strategy " + strategy.flagValue(), "meshcap-" + strategy.flagValue(), alternative);
    }

    /**
     * Refuses what {@code needs} names before anything is created when the server denies any permission of
     * {@code needed}.
     *
     * @param needs       what needs them, e.g. "--decrypt"
     * @param role        the Role of examples/rbac.yaml that grants them
     * @param alternative appended to the fix, e.g. "or leave --decrypt out"
     * @throws MeshcapException naming every denied permission and the Role
     */
    void require(List<Permission> needed, String needs, String role, String alternative) {
        List<Permission> denied = denied(needed);
        if (!denied.isEmpty()) {
            throw MeshcapException.failure("forbidden: you may not " + String.join(", ", denied.stream()
                    .map(Permission::describe).toList()) + " (the API server's answer to a SelfSubjectAccessReview, "
                    + "as kubectl auth can-i asks it), which " + needs + " needs; grant it (see examples/rbac.yaml, "
                    + "Role " + role + ")" + (alternative.isEmpty() ? "" : " " + alternative));
        }
    }

    private Optional<Boolean> ask(Permission permission) {
        SelfSubjectAccessReview review = new SelfSubjectAccessReviewBuilder()
                .withNewMetadata().endMetadata()
                .withNewSpec().withNewResourceAttributes()
                    .withVerb(permission.verb())
                    .withGroup(permission.group().isEmpty() ? null : permission.group())
                    .withResource(permission.resource())
                    .withSubresource(permission.subresource().isEmpty() ? null : permission.subresource())
                    .withNamespace(permission.namespace().isEmpty() ? null : permission.namespace())
                .endResourceAttributes().endSpec()
                .build();
        try {
            SelfSubjectAccessReview answer = client.authorization().v1().selfSubjectAccessReview().create(review);
            if (answer.getStatus() == null || answer.getStatus().getAllowed() == null) {
                notes.accept("note: the API server did not say whether you may " + permission.describe()
                        + "; going ahead");
                return Optional.empty();
            }
            return Optional.of(answer.getStatus().getAllowed());
        } catch (KubernetesClientException e) {
            if (e.getCode() <= 0) {
                throw ApiFailures.explain(client, e, "check whether you may " + permission.describe(), "");
            }
            notes.accept("note: could not check whether you may " + permission.describe() + " (HTTP " + e.getCode()
                    + " to a SelfSubjectAccessReview); going ahead");
            return Optional.empty();
        }
    }
}
