package io.meshcap.plan;

import io.meshcap.capture.CaptureLimits;
import io.meshcap.capture.LegPlan;
import io.meshcap.format.CaptureInterface;
import io.meshcap.net.Addresses;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Turns a target, a preset (or group) and the target's values into the legs to capture. */
public final class CapturePlanner {

    private CapturePlanner() {
    }

    /**
     * Plans the legs for one target.
     *
     * @param target      the target's name, e.g. {@code default/reviews-v1-abc}
     * @param presets     what to capture (from {@link PresetCatalogue#resolve})
     * @param inputs      the target's values
     * @param extraFilter ANDed with every leg's filter, or null
     * @param metadata    what is known about the target; each leg adds its own capture point and filter
     */
    public static List<LegPlan> plan(String target, List<Preset> presets, FilterInputs inputs, String extraFilter,
            CaptureLimits limits, Map<String, String> metadata) {
        return plan(target, presets, inputs, extraFilter, limits, metadata, FilterCheck.HERE);
    }

    /** Plans the legs for one target, their filters compiled by the libpcap that {@code check} names. */
    public static List<LegPlan> plan(String target, List<Preset> presets, FilterInputs inputs, String extraFilter,
            CaptureLimits limits, Map<String, String> metadata, FilterCheck check) {
        return presets.stream().map(preset -> {
            LegFilter filter = FilterBuilder.build(preset, inputs, extraFilter, check);
            Map<String, String> legMetadata = new LinkedHashMap<>(metadata);
            // The stream table tells a lone eth0 leg's directions by the pod's addresses (and reads them from here).
            if (!inputs.podIps().isEmpty()) {
                legMetadata.putIfAbsent(CaptureInterface.POD_IPS_KEY, inputs.podIps().stream().map(Addresses::format)
                        .collect(Collectors.joining(",")));
            }
            legMetadata.put("preset", preset.name());
            legMetadata.put("interface", preset.interfaceName());
            legMetadata.put("capture-point", preset.capturePoint().relativeToRedirect());
            legMetadata.put("filter", filter.expression());
            return new LegPlan(target, preset.interfaceName(), preset.name(), filter.expression(),
                    preset.reassociate(), limits, legMetadata);
        }).toList();
    }
}
