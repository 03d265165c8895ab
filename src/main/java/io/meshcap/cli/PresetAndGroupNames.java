package io.meshcap.cli;

import io.meshcap.plan.PresetCatalogue;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** The bundled groups (sidecar, gateway) and preset names, for the capture command's help and completion. */
final class PresetAndGroupNames implements Iterable<String> {

    @Override
    public Iterator<String> iterator() {
        PresetCatalogue catalogue = PresetCatalogue.bundled();
        List<String> names = new ArrayList<>(catalogue.groupNames());
        new PresetNames().forEach(names::add);
        return names.iterator();
    }
}
