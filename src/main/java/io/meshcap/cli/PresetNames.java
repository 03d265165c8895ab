package io.meshcap.cli;

import io.meshcap.plan.Preset;
import io.meshcap.plan.PresetCatalogue;
import java.util.Iterator;

/** The bundled preset names, for help texts and shell completion. */
final class PresetNames implements Iterable<String> {

    @Override
    public Iterator<String> iterator() {
        return PresetCatalogue.bundled().presets().stream().map(Preset::name).iterator();
    }
}
