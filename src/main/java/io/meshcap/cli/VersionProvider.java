package io.meshcap.cli;

import io.meshcap.Version;
import picocli.CommandLine;

/** {@code --version}: meshcap's version, the commit it was built from, and the Java runtime it runs on. */
public final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {
            Version.userApplication(),
            "commit " + Version.commit(),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ") at "
                    + System.getProperty("java.home") + ", on " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch"),
        };
    }
}
