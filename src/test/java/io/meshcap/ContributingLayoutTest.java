package io.meshcap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** CONTRIBUTING.md's layout is the map a new contributor reads: every source package must be on it. */
class ContributingLayoutTest {

    private static final Path SOURCES = Path.of("src/main/java/io/meshcap");

    @Test
    void everyPackageIsListedInTheLayout() throws IOException {
        String contributing = Files.readString(Path.of("CONTRIBUTING.md"));
        String layout = contributing.substring(contributing.indexOf("## Layout"), contributing.indexOf("## Conventions"));
        List<String> missing;
        try (Stream<Path> directories = Files.walk(SOURCES)) {
            missing = directories.filter(Files::isDirectory).filter(dir -> !dir.equals(SOURCES))
                    .map(dir -> dir.getFileName() + "/")
                    .filter(name -> !layout.contains(" " + name))
                    .toList();
        }
        assertEquals(List.of(), missing, "packages missing from CONTRIBUTING.md's layout");
    }
}
