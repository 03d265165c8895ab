package io.meshcap.output;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.List;

/** File-system errors in the user's words, and the one meshcap treats apart: a full disk. */
public final class IoErrors {

    /** What the JDK says for ENOSPC and EDQUOT (it passes strerror's text through). */
    private static final List<String> FULL = List.of("No space left on device", "Disk quota exceeded");

    private IoErrors() {
    }

    /** True when {@code failure} or one of its causes is a write refused because the disk (or quota) is full. */
    public static boolean diskFull(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException io && FULL.stream().anyMatch(reason(io)::contains)) {
                return true;
            }
        }
        return false;
    }

    /** Why an operation failed, without the path the JDK repeats in some messages. */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return String.valueOf(e.getMessage());
    }
}
