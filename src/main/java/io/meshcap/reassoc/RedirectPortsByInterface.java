package io.meshcap.reassoc;

import io.meshcap.format.CaptureInterface;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The REDIRECT ports to undo on each capture interface. One capture can hold several pods' {@code lo} legs (a
 * {@code --selector} capture), and each pod's rules may name other ports: every leg is re-associated with its own
 * pod's ports. Interfaces are matched by name, as the merge labels them: the leg's label, or
 * {@code LABEL/IFNAME} when a leg's file holds several interfaces.
 */
public final class RedirectPortsByInterface {

    private final Map<String, RedirectPorts> byLabel;
    private final RedirectPorts fallback;

    private RedirectPortsByInterface(Map<String, RedirectPorts> byLabel, RedirectPorts fallback) {
        this.byLabel = Map.copyOf(byLabel);
        this.fallback = fallback;
    }

    /** The same ports on every interface: one pod, or a file whose legs all share them. */
    public static RedirectPortsByInterface everywhere(RedirectPorts ports) {
        return new RedirectPortsByInterface(Map.of(), ports);
    }

    /**
     * Each leg's own ports, by leg label; {@code fallback} on any other interface.
     */
    public static RedirectPortsByInterface byLeg(Map<String, RedirectPorts> byLabel, RedirectPorts fallback) {
        return new RedirectPortsByInterface(new LinkedHashMap<>(byLabel), fallback);
    }

    /** The ports to undo on {@code captureInterface}. */
    public RedirectPorts of(CaptureInterface captureInterface) {
        String name = captureInterface.name();
        if (name == null || byLabel.isEmpty()) {
            return fallback;
        }
        RedirectPorts exact = byLabel.get(name);
        if (exact != null) {
            return exact;
        }
        int slash = name.lastIndexOf('/');
        return slash < 0 ? fallback : byLabel.getOrDefault(name.substring(0, slash), fallback);
    }
}
