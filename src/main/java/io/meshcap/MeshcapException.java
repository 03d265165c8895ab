package io.meshcap;

/**
 * The one failure type meshcap raises on purpose. Its kind decides the exit code; its message is shown
 * to the user as is, so it says what went wrong and, where there is one, the fix.
 */
public final class MeshcapException extends RuntimeException {

    /** What kind of failure, and so which exit code. */
    public enum Kind {
        /** The user asked for something that cannot work as written: exit 2. */
        USAGE(2),
        /** The request was fine but the work failed: exit 1. */
        FAILURE(1);

        private final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    private final Kind kind;

    private MeshcapException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public static MeshcapException usage(String message) {
        return new MeshcapException(Kind.USAGE, message, null);
    }

    public static MeshcapException failure(String message) {
        return new MeshcapException(Kind.FAILURE, message, null);
    }

    public static MeshcapException failure(String message, Throwable cause) {
        return new MeshcapException(Kind.FAILURE, message, cause);
    }

    public Kind kind() {
        return kind;
    }

    public int exitCode() {
        return kind.exitCode();
    }
}
