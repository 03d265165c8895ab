package io.meshcap.plan;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshcap.MeshcapException;
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
            return parse(new ObjectMapper().readTree(in), "bundled " + FILE_NAME);
        } catch (IOException e) {
            throw MeshcapException.failure("cannot read the bundled preset catalogue: " + e.getMessage(), e);
        }
    }

    /** The catalogue in {@code directory/presets.json}. */
    public static PresetCatalogue load(Path directory) {
        Path file = directory.resolve(FILE_NAME);
        try {
            return parse(new ObjectMapper().readTree(Files.readAllBytes(file)), file.toString());
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

    private static PresetCatalogue parse(JsonNode root, String source) {
        JsonNode interfaces = root.path("interfaces");
        JsonNode list = root.path("presets");
        if (!list.isArray() || list.isEmpty()) {
            throw MeshcapException.usage(source + ": no \"presets\" array");
        }
        Map<String, Preset> presets = new LinkedHashMap<>();
        for (JsonNode node : list) {
            String where = source + ": preset " + node.path("name").asText("#" + (presets.size() + 1));
            Preset preset = preset(node, interfaces, where);
            if (presets.put(preset.name(), preset) != null) {
                throw MeshcapException.usage(where + ": defined twice");
            }
        }
        return new PresetCatalogue(presets, groups(root.path("groups"), presets, source));
    }

    private static Map<String, List<Preset>> groups(JsonNode node, Map<String, Preset> presets, String source) {
        Map<String, List<Preset>> groups = new LinkedHashMap<>();
        node.fields().forEachRemaining(entry -> {
            String where = source + ": group " + entry.getKey();
            if (presets.containsKey(entry.getKey())) {
                throw MeshcapException.usage(where + ": a preset has the same name");
            }
            List<Preset> members = new ArrayList<>();
            for (JsonNode name : entry.getValue().path("presets")) {
                Preset member = presets.get(name.asText());
                if (member == null) {
                    throw MeshcapException.usage(where + ": no preset named '" + name.asText() + "'");
                }
                members.add(member);
            }
            if (members.isEmpty()) {
                throw MeshcapException.usage(where + ": no \"presets\" listed");
            }
            groups.put(entry.getKey(), List.copyOf(members));
        });
        return groups;
    }

    private static Preset preset(JsonNode node, JsonNode interfaces, String where) {
        String interfaceName = text(node, "interface", where);
        JsonNode interfaceNode = interfaces.path(interfaceName);
        if (interfaceNode.isMissingNode()) {
            throw MeshcapException.usage(where + ": interface '" + interfaceName + "' is not described under \"interfaces\"");
        }
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
            for (JsonNode refinement : node.path("refinements")) {
                if (!refinement.isTextual()) {
                    throw new IllegalArgumentException("\"refinements\" must list template strings");
                }
                refinements.add(FilterTemplate.parse(refinement.asText()));
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
                node.path("reassociate").asBoolean(false));
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode value = node.path(field);
        if (!value.isTextual() || value.asText().isBlank()) {
            throw MeshcapException.usage(where + ": missing \"" + field + "\"");
        }
        return value.asText();
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
