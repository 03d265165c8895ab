package io.meshcap.capture.k8s;

import io.meshcap.MeshcapException;
import io.meshcap.plan.PortRange;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What was read inside the pod's network namespace: the output of each {@link CaptureArgv#facts()} command,
 * or why it failed.
 *
 * @param outputs name → text, in the order run (a failed command's text says "exit N: stderr")
 */
public record PodFacts(Map<String, String> outputs) {

    static final String PORT_RANGE = "ip_local_port_range";

    public PodFacts {
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    /** The pod's ephemeral port range, if it could be read ({@code 32768\t60999}). */
    public Optional<PortRange> ephemeralRange() {
        try {
            return Optional.of(PortRange.parse(outputs.getOrDefault(PORT_RANGE, "")));
        } catch (MeshcapException e) {
            return Optional.empty();
        }
    }
}
