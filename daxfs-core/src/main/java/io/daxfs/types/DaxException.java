package io.daxfs.types;


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
        super(errno.name() + ": " + oneLine(detail));
        this.errno = errno;
        this.detail = oneLine(detail);
    }

    public DaxException(Errno errno, String detail, Throwable cause) {
        super(errno.name() + ": " + oneLine(detail), cause);
        this.errno = errno;
        this.detail = oneLine(detail);
    }

    /** Escapes control characters (a file name may hold a newline) so that the message stays one line. */
    private static String oneLine(String s) {
        if (s == null || s.chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\0' -> b.append("\\0");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
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
