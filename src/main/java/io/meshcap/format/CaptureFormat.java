package io.meshcap.format;

/**
 * One file format in the registry of {@link CaptureFormats}: it says whether a file's first four bytes are
 * its magic number ("mine" or "not mine"), and opens a reader for files that are ("error" is a
 * {@link io.meshcap.MeshcapException} from there on).
 */
public interface CaptureFormat {

    /** Short name, e.g. {@code pcapng}. */
    String name();

    /** Whether the file's first four bytes, read as a big-endian int, are this format's magic number. */
    boolean recognises(int magic);

    /**
     * Opens a reader on input positioned at the magic number; reads the file header, so header errors
     * surface here.
     */
    CaptureReader open(ByteInput input);
}
