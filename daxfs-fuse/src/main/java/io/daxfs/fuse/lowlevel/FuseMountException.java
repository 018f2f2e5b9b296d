package io.daxfs.fuse.lowlevel;

/**
 * A mount could not be made: {@link #errno()} is the Linux errno that says why, the message the
 * rest. {@code DaxFuse} reports it as a DaxException with that errno.
 */
public final class FuseMountException extends RuntimeException {
    private final int errno;

    public FuseMountException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
