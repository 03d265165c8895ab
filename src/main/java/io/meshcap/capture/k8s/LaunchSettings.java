package io.meshcap.capture.k8s;

import io.meshcap.MeshcapException;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How captures are started in a cluster.
 *
 * @param strategy     which strategy, or {@link Strategy#AUTO}
 * @param image        the debug image for the ephemeral container and the node pod
 * @param readyTimeout how long to wait for a helper container to run
 * @param lifetime     how long a helper may live at most: if meshcap dies without cleaning up, the
 *                     helper still ends by itself after this (node pods also get it as activeDeadlineSeconds)
 * @param runId        names and labels what this run creates
 * @param decryption   with --decrypt: how long to wait for the pods' sidecars to log TLS keys; empty without it
 */
public record LaunchSettings(Strategy strategy, String image, Duration readyTimeout, Duration lifetime, String runId,
        Optional<Duration> decryption) {

    /**
     * Ships tcpdump, iptables (legacy and nft), nft, ss, ip and nsenter; pinned so a capture does not change
     * with whatever "latest" is today.
     */
    public static final String DEFAULT_IMAGE = "nicolaka/netshoot:v0.13";
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(120);
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(12);

    private static final Pattern RUN_ID = Pattern.compile("[a-z0-9]{1,16}");

    public LaunchSettings {
        if (image == null || image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
            throw MeshcapException.usage("--image: '" + image + "' is not an image reference");
        }
        if (readyTimeout.isNegative() || readyTimeout.isZero() || lifetime.isNegative() || lifetime.isZero()) {
            throw MeshcapException.usage("timeouts must be positive");
        }
        if (decryption.isPresent() && (decryption.get().isNegative() || decryption.get().isZero())) {
            throw MeshcapException.usage("--decrypt-timeout must be at least 1 second");
        }
        if (!RUN_ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("run id must be 1-16 lower-case letters or digits: " + runId);
        }
    }

    /** The defaults with the given strategy and a fresh run ID. */
    public static LaunchSettings of(Strategy strategy) {
        return new LaunchSettings(strategy, DEFAULT_IMAGE, DEFAULT_READY_TIMEOUT, DEFAULT_LIFETIME,
                MeshcapObjects.newRunId(), Optional.empty());
    }

    public LaunchSettings withImage(String newImage) {
        return new LaunchSettings(strategy, newImage, readyTimeout, lifetime, runId, decryption);
    }

    public LaunchSettings withReadyTimeout(Duration timeout) {
        return new LaunchSettings(strategy, image, timeout, lifetime, runId, decryption);
    }

    public LaunchSettings withRunId(String id) {
        return new LaunchSettings(strategy, image, readyTimeout, lifetime, id, decryption);
    }

    /** With --decrypt: the pods' sidecars log TLS keys, waited for up to {@code timeout}. */
    public LaunchSettings withDecryption(Duration timeout) {
        return new LaunchSettings(strategy, image, readyTimeout, lifetime, runId, Optional.of(timeout));
    }

    /** The name of this run's ephemeral container. */
    public String ephemeralContainerName() {
        return MeshcapObjects.NAME_PREFIX + runId;
    }
}
