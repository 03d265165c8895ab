package io.meshcap.cli;

import io.meshcap.Version;
import picocli.CommandLine;

/** {@code --version}: meshcap's version and the runtime it runs on. */
public final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {Version.userApplication(), "Java " + Runtime.version() + " on " + System.getProperty("os.name")};
    }
}
