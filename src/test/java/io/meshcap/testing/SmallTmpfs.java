package io.meshcap.testing;

import io.meshcap.sys.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A small tmpfs mounted on a new directory of the test's own: a disk that fills (or is read-only) on demand.
 * Unmounted on {@link #close()}, so its contents never outlive the test.
 */
public final class SmallTmpfs implements AutoCloseable {

    private final Path mount;

    private SmallTmpfs(Path mount) {
        this.mount = mount;
    }

    /**
     * Mounts a tmpfs on {@code parent/name}, which must not exist yet.
     *
     * @param options mount options, e.g. {@code size=512k} or {@code ro,size=1m}
     */
    public static SmallTmpfs mount(Path parent, String name, String options) throws IOException {
        Path mount = Files.createDirectory(parent.resolve(name));
        CommandRunner.check("mount a small tmpfs", List.of("mount", "-t", "tmpfs", "-o", options, "meshcap-test",
                mount.toString()));
        return new SmallTmpfs(mount);
    }

    public Path path() {
        return mount;
    }

    public Path resolve(String file) {
        return mount.resolve(file);
    }

    @Override
    public void close() {
        if (!CommandRunner.run(List.of("umount", mount.toString())).ok()) {
            CommandRunner.run(List.of("umount", "-l", mount.toString()));
        }
    }
}
