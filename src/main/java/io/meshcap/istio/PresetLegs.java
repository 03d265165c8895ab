package io.meshcap.istio;

import io.meshcap.MeshcapException;
import io.meshcap.plan.FilterBuilder;
import io.meshcap.plan.FilterInputs;
import io.meshcap.plan.FilterNotes;
import io.meshcap.plan.FilterParameter;
import io.meshcap.plan.Preset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What each bundled capture leg would record in a namespace with these rules: its filter, and where its capture
 * point sits relative to the redirect. {@code inspect} shows it so a capture can be planned before it is run.
 */
public final class PresetLegs {

    /** The role of the presets every pod has; gateway presets also need the cluster's networks. */
    private static final String SIDECAR_ROLE = "sidecar";
    private static final String LOOPBACK = "lo";

    /**
     * One leg.
     *
     * @param preset             the preset's name
     * @param interfaceName      where it captures
     * @param filter             the BPF filter it would use, or null when a value is missing
     * @param missing            what the filter still needs (flags to give), or null
     * @param capturePoint       before or after the REDIRECT
     * @param capturePointDetail the capture point in words
     * @param warnings           what this leg will not show, or will show wrongly, in this namespace
     * @param notes              what its filter assumes
     */
    public record Leg(String preset, String interfaceName, String filter, String missing, String capturePoint,
            String capturePointDetail, List<String> warnings, List<String> notes) {

        public Leg {
            warnings = List.copyOf(warnings);
            notes = List.copyOf(notes);
        }
    }

    private PresetLegs() {
    }

    /** The sidecar presets, and the gateway ones when the inputs name the cluster's networks. */
    public static List<Leg> of(Collection<Preset> presets, InterceptionModel model, FilterInputs inputs) {
        boolean gateways = !inputs.clusterNets().isEmpty();
        return presets.stream()
                .filter(preset -> gateways || preset.role().equals(SIDECAR_ROLE))
                .map(preset -> leg(preset, model, inputs))
                .toList();
    }

    private static Leg leg(Preset preset, InterceptionModel model, FilterInputs inputs) {
        String filter = null;
        String missing = null;
        try {
            filter = FilterBuilder.build(preset, inputs, null).expression();
        } catch (MeshcapException e) {
            missing = e.getMessage();
        }
        FilterNotes caveats = FilterNotes.of(List.of(preset), inputs);
        List<String> warnings = new ArrayList<>(warnings(preset, model, inputs));
        warnings.addAll(caveats.warnings());
        return new Leg(preset.name(), preset.interfaceName(), filter, missing,
                preset.capturePoint().relativeToRedirect(), preset.capturePoint().description(), warnings,
                caveats.notes());
    }

    /** What this namespace's rules do to the leg that its filter cannot express. */
    private static List<String> warnings(Preset preset, InterceptionModel model, FilterInputs inputs) {
        List<String> warnings = new ArrayList<>();
        boolean appPorts = preset.template().parameters().contains(FilterParameter.APP_PORTS);
        boolean sidecar = preset.role().equals(SIDECAR_ROLE);
        if (preset.interfaceName().equals(LOOPBACK)) {
            if (appPorts) {
                inboundLoopback(model, inputs, warnings);
            } else {
                outboundLoopback(model, warnings);
            }
        } else if (model.mode() == InterceptionMode.AMBIENT && sidecar) {
            warnings.add(appPorts ? hboneInbound(model) : hboneOutbound(model));
        } else if (sidecar && !appPorts && model.interceptsOutbound() && bypassesOutbound(model)) {
            warnings.add("calls that bypass the proxy (destinations or ports excluded or not included, or owners the"
                    + " rules leave out) leave eth0 from the app's own port, which lies in the ephemeral range too, so"
                    + " this leg also shows them, in plaintext");
        }
        return warnings;
    }

    private static boolean bypassesOutbound(InterceptionModel model) {
        return model.outboundOwners().selects() || !model.outboundExcludedCidrs().isEmpty()
                || !model.outboundExcludedPorts().isEmpty() || !model.outboundCapturesAll();
    }

    /** The app-to-proxy leg: only the owners the rules select, and never the calls rerouted from another interface. */
    private static void outboundLoopback(InterceptionModel model, List<String> warnings) {
        if (!model.interceptsOutbound()) {
            return;
        }
        if (model.outboundOwners().selects()) {
            warnings.add("the rules redirect only some applications' sockets (by group or user, see outbound owners):"
                    + " the others' calls leave eth0 directly and never show here");
        }
        for (ReroutedInterface rerouted : model.reroutedInterfaces()) {
            warnings.add("calls rerouted from " + rerouted.name() + " (KubeVirt) never show here: capture "
                    + rerouted.name() + " to see them");
        }
    }

    /** The proxy-to-app leg: absent for ports the rules let past the proxy, and not from 127.0.0.6 when transparent. */
    private static void inboundLoopback(InterceptionModel model, FilterInputs inputs, List<String> warnings) {
        if (!model.interceptsInbound()) {
            return;
        }
        for (int port : inputs.appPorts()) {
            if (!model.interceptsInboundPort(port)) {
                warnings.add("port " + port + " is excluded from inbound interception: its calls reach the app"
                        + " over eth0 without the proxy, so this leg will not show them");
            }
        }
        if (model.inboundLoopbackSource() == LoopbackSource.ORIGINAL_CLIENT) {
            warnings.add(modeName(model) + ": the proxy connects to the app from the real client's address, so this"
                    + " leg shows CLIENT:port -> POD_IP:port, not " + IstioDefaults.ENVOY_INBOUND_SOURCE_V4 + " (or "
                    + IstioDefaults.ENVOY_INBOUND_SOURCE_V6 + ")");
        }
    }

    private static String hboneInbound(InterceptionModel model) {
        return "ambient mode: mesh clients reach the pod as HBONE, TLS to port " + model.hboneTunnelPortOrDefault()
                + ", not to the app port, so this filter sees only calls from outside the mesh; the tunnels (port "
                + model.hboneTunnelPortOrDefault() + ") each carry many app connections";
    }

    private static String hboneOutbound(InterceptionModel model) {
        return "ambient mode: ztunnel's upstream connections are HBONE, TLS to the peer's port "
                + model.hboneTunnelPortOrDefault() + ", each carrying many app connections, so they do not pair one to"
                + " one with the app's connections on lo";
    }

    private static String modeName(InterceptionModel model) {
        return model.mode() == InterceptionMode.TPROXY ? "TPROXY mode" : "ambient mode";
    }
}
