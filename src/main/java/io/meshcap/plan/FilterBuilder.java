package io.meshcap.plan;

import io.meshcap.MeshcapException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders a preset's template with a target's values and has libpcap accept the result. */
public final class FilterBuilder {

    private FilterBuilder() {
    }

    /**
     * Builds the filter for one leg, compiled by this machine's libpcap.
     *
     * @param extraFilter a user's expression to AND with the preset's, or null
     * @throws MeshcapException (usage) naming the missing flags, or carrying libpcap's message
     */
    public static LegFilter build(Preset preset, FilterInputs inputs, String extraFilter) {
        return build(preset, inputs, extraFilter, FilterCheck.HERE);
    }

    /**
     * Builds the filter for one leg, compiled by the libpcap that {@code check} names.
     *
     * @param extraFilter a user's expression to AND with the preset's, or null
     * @throws MeshcapException (usage) naming the missing flags, or carrying libpcap's message
     */
    public static LegFilter build(Preset preset, FilterInputs inputs, String extraFilter, FilterCheck check) {
        // In the enum's order, so a flag that supplies two values (--pod-ip: the address and its loopback) is
        // named once, with the value it gives directly.
        Map<String, String> missing = preset.template().parameters().stream()
                .filter(p -> !inputs.has(p))
                .sorted()
                .collect(Collectors.toMap(FilterParameter::option, FilterParameter::meaning, (first, later) -> first,
                        LinkedHashMap::new));
        if (!missing.isEmpty()) {
            throw MeshcapException.usage("preset " + preset.name() + " needs " + missing.entrySet().stream()
                    .map(flag -> flag.getKey() + " (" + flag.getValue() + ")")
                    .collect(Collectors.joining(" and ")));
        }
        String expression = preset.templateFor(inputs::has).render(inputs::render);
        boolean extra = extraFilter != null && !extraFilter.isBlank();
        String combined = extra ? "(" + expression + ") and (" + extraFilter + ")" : expression;
        if (check == FilterCheck.HERE) {
            BpfCompiler.check(expression, "preset " + preset.name());
            if (extra) {
                // Checked alone first, so an error points at the user's part rather than the combination.
                BpfCompiler.check(extraFilter, "--extra-filter");
                BpfCompiler.check(combined, "preset " + preset.name() + " with --extra-filter");
            }
        }
        return new LegFilter(preset, combined);
    }
}
