package io.daxfs.fuse.lowlevel;

/**
 * FUSE cannot be used on this machine (no libfuse3, no /dev/fuse, no fusermount3); the message
 * says what to run. {@code DaxFuse} reports it as a DaxException with ENODEV.
 */
public final class FuseUnavailableException extends RuntimeException {
    public FuseUnavailableException(String message) {
        super(message);
    }
}
