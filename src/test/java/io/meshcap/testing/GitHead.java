package io.meshcap.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** What git itself says about the checkout the tests run in: the judge of the commit a build says it came from. */
public final class GitHead {

    private GitHead() {
    }

    /** {@code git rev-parse --short=12 HEAD} in the working directory, or "unknown" when that is not a git checkout. */
    public static String abbreviated() throws IOException, InterruptedException {
        Process git = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!git.waitFor(30, TimeUnit.SECONDS)) {
            git.destroyForcibly();
            throw new IOException("git rev-parse did not finish");
        }
        return git.exitValue() == 0 ? out : "unknown";
    }
}
