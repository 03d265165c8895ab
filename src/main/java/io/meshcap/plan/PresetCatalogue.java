package io.meshcap.plan;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.meshcap.MeshcapException;
import io.meshcap.text.JsonValues;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The capture presets, loaded from {@code presets.json}: the copy bundled in the jar (built from the
 * repository's {@code filters/} folder), or a user's directory given with {@code --filters}.
 */
public final class PresetCatalogue {

    static final String FILE_NAME = "presets.json";
    private static final String BUNDLED = "/filters/" + FILE_NAME;

    private final Map<String, Preset> presets;
    private final Map<String, List<Preset>> groups;

    private PresetCatalogue(Map<String, Preset> presets, Map<String, List<Preset>> groups) {
        this.presets = presets;
        this.groups = groups;
    }

    /** The catalogue bundled with meshcap. */
    public static PresetCatalogue bundled() {
        try (InputStream in = PresetCatalogue.class.getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw MeshcapException.failure("the preset catalogue " + BUNDLED + " is missing from the jar; rebuild meshcap");
            }
            return parse(JsonValues.read(in.readAllBytes()), "bundled " + FILE_NAME);
        } catch (IOException e) {
            throw MeshcapException.failure("cannot read the bundled preset catalogue: " + e.getMessage(), e);
        }
    }

    /** The catalogue in {@code directory/presets.json}. */
    public static PresetCatalogue load(Path directory) {
        Path file = directory.resolve(FILE_NAME);
        try {
            return parse(JsonValues.read(Files.readAllBytes(file)), file.toString());
        } catch (NoSuchFileException e) {
            throw MeshcapException.usage("--filters " + directory + ": no " + FILE_NAME
                    + " there (copy the filters/ folder of the meshcap repository and edit it)");
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw MeshcapException.usage(file + ": " + (at == null ? "" : "line " + at.getLineNr() + ", column "
                    + at.getColumnNr() + ": ") + "not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw MeshcapException.usage("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** The bundled catalogue, or the one in {@code directory} when it is not null. */
    public static PresetCatalogue bundledOr(Path directory) {
        return directory == null ? bundled() : load(directory);
    }

    private static PresetCatalogue parse(Object document, String source) {
        Map<String, Object> root = JsonValues.object(document);
        Map<String, Object> interfaces = JsonValues.object(root.get("interfaces"));
        List<Object> list = JsonValues.array(root.get("presets"));
        if (list.isEmpty()) {
            throw MeshcapException.usage(source + ": no \"presets\" array");
        }
        Map<String, Preset> presets = new LinkedHashMap<>();
        for (Object element : list) {
            Map<String, Object> node = JsonValues.object(element);
            Object name = node.get("name");
            String where = source + ": preset " + (name != null ? name : "#" + (presets.size() + 1));
            Preset preset = preset(node, interfaces, where);
            if (presets.put(preset.name(), preset) != null) {
                throw MeshcapException.usage(where + ": defined twice");
            }
        }
        return new PresetCatalogue(presets, groups(JsonValues.object(root.get("groups")), presets, source));
    }

    private static Map<String, List<Preset>> groups(Map<String, Object> node, Map<String, Preset> presets,
                                                    String source) {
        Map<String, List<Preset>> groups = new LinkedHashMap<>();
        node.forEach((group, members) -> {
            String where = source + ": group " + group;
            if (presets.containsKey(group)) {
                throw MeshcapException.usage(where + ": a preset has the same name");
            }
            List<Preset> listed = new ArrayList<>();
            for (Object name : JsonValues.array(JsonValues.object(members).get("presets"))) {
                Preset member = presets.get(String.valueOf(name));
                if (member == null) {
                    throw MeshcapException.usage(where + ": no preset named '" + name + "'");
                }
                listed.add(member);
            }
            if (listed.isEmpty()) {
                throw MeshcapException.usage(where + ": no \"presets\" listed");
            }
            groups.put(group, List.copyOf(listed));
        });
        return groups;
    }

    private static Preset preset(Map<String, Object> node, Map<String, Object> interfaces, String where) {
        String interfaceName = text(node, "interface", where);
        if (!(interfaces.get(interfaceName) instanceof Map<?, ?>)) {
            throw MeshcapException.usage(where + ": interface '" + interfaceName + "' is not described under \"interfaces\"");
        }
        Map<String, Object> interfaceNode = JsonValues.object(interfaces.get(interfaceName));
        String redirect = text(interfaceNode, "redirect", where + ": interface " + interfaceName);
        if (!redirect.equals("before") && !redirect.equals("after")) {
            throw MeshcapException.usage(where + ": interface " + interfaceName + ": redirect must be 'before' or 'after'");
        }
        CapturePoint capturePoint = new CapturePoint(redirect.equals("before"),
                text(interfaceNode, "capturePoint", where + ": interface " + interfaceName));
        FilterTemplate template;
        List<FilterTemplate> refinements = new ArrayList<>();
        try {
            template = FilterTemplate.parse(text(node, "template", where));
            for (Object refinement : JsonValues.array(node.get("refinements"))) {
                if (!(refinement instanceof String text)) {
                    throw new IllegalArgumentException("\"refinements\" must list template strings");
                }
                refinements.add(FilterTemplate.parse(text));
            }
        } catch (IllegalArgumentException e) {
            throw MeshcapException.usage(where + ": " + e.getMessage());
        }
        return new Preset(
                text(node, "name", where),
                text(node, "role", where),
                interfaceName,
                capturePoint,
                template,
                refinements,
                text(node, "summary", where),
                text(node, "capturePointDetail", where),
                text(node, "shows", where),
                text(node, "doesNotShow", where),
                Boolean.TRUE.equals(node.get("reassociate")));
    }

    private static String text(Map<String, Object> node, String field, String where) {
        if (!(node.get(field) instanceof String value) || value.isBlank()) {
            throw MeshcapException.usage(where + ": missing \"" + field + "\"");
        }
        return value;
    }

    /** All presets, in catalogue order. */
    public Collection<Preset> presets() {
        return presets.values();
    }

    /** Group names, in catalogue order. */
    public Collection<String> groupNames() {
        return groups.keySet();
    }

    /**
     * The presets a name stands for: the members of a group, or the one preset of that name.
     *
     * @throws MeshcapException (usage) listing the names that exist
     */
    public List<Preset> resolve(String name) {
        List<Preset> group = groups.get(name);
        if (group == null && !presets.containsKey(name)) {
            throw MeshcapException.usage("unknown preset or group '" + name + "'; " + known());
        }
        return group != null ? group : List.of(presets.get(name));
    }

    /** Whether the name is a group of presets rather than one preset. */
    public boolean isGroup(String name) {
        return groups.containsKey(name);
    }

    /**
     * The preset with this name.
     *
     * @throws MeshcapException (usage) listing the names that exist
     */
    public Preset preset(String name) {
        Preset preset = presets.get(name);
        if (preset == null) {
            throw MeshcapException.usage("unknown preset '" + name + "'; " + known());
        }
        return preset;
    }

    private String known() {
        String groupNames = String.join(", ", groups.keySet());
        return "known presets: " + String.join(", ", presets.keySet())
                + (groups.isEmpty() ? "" : "; groups of presets (for meshcap capture): " + groupNames);
    }
}
