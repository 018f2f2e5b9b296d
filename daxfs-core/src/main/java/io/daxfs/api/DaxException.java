package io.daxfs.api;

import java.io.IOException;

/**
 * The one exception type of the daxfs API: an errno-style {@link #errno() code} plus a one-line
 * message saying what was wrong. {@link #getMessage()} reads {@code "ENOENT: /a/b: no such file or
 * directory"}, which is what the CLI prints after {@code "daxfs: "}.
 */
public class DaxException extends IOException {
    private final Errno errno;
    private final String detail;

    public DaxException(Errno errno, String detail) {
        super(errno.name() + ": " + detail);
        this.errno = errno;
        this.detail = detail;
    }

    public DaxException(Errno errno, String detail, Throwable cause) {
        super(errno.name() + ": " + detail, cause);
        this.errno = errno;
        this.detail = detail;
    }

    public Errno errno() {
        return errno;
    }

    /** The message without the errno prefix. */
    public String detail() {
        return detail;
    }

    public static DaxException of(Errno errno, String what) {
        return new DaxException(errno, what + ": " + errno.description());
    }
}
