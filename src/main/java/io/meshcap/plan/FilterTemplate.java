package io.meshcap.plan;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A BPF expression with {@code ${parameter}} placeholders, checked when it is loaded so that a catalogue
 * with a misspelt parameter fails at start-up rather than producing a wrong filter.
 */
public final class FilterTemplate {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");

    private final String text;
    private final Set<FilterParameter> parameters;

    private FilterTemplate(String text, Set<FilterParameter> parameters) {
        this.text = text;
        this.parameters = parameters;
    }

    /**
     * Parses a template.
     *
     * @throws IllegalArgumentException naming the unknown placeholder
     */
    public static FilterTemplate parse(String text) {
        Set<FilterParameter> found = EnumSet.noneOf(FilterParameter.class);
        Matcher matcher = PLACEHOLDER.matcher(text);
        while (matcher.find()) {
            String name = matcher.group(1);
            found.add(FilterParameter.byPlaceholder(name).orElseThrow(() -> new IllegalArgumentException(
                    "unknown parameter ${" + name + "} in template: " + text)));
        }
        String withoutPlaceholders = PLACEHOLDER.matcher(text).replaceAll("");
        if (withoutPlaceholders.contains("${")) {
            throw new IllegalArgumentException("unterminated ${ in template: " + text);
        }
        return new FilterTemplate(text, found);
    }

    /** The parameters this template needs, in declaration order. */
    public List<FilterParameter> parameters() {
        return new ArrayList<>(parameters);
    }

    /** Replaces every placeholder with the value {@code values} renders for it. */
    public String render(Function<FilterParameter, String> values) {
        Matcher matcher = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            FilterParameter parameter = FilterParameter.byPlaceholder(matcher.group(1)).orElseThrow();
            matcher.appendReplacement(out, Matcher.quoteReplacement(values.apply(parameter)));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    @Override
    public String toString() {
        return text;
    }
}
