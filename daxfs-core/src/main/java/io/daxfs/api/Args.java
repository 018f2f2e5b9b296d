package io.daxfs.api;

import java.util.Objects;

/**
 * Checks of what callers pass to the API, made before an operation starts. Inside an operation a
 * runtime exception is taken for an internal failure, which aborts the journal and turns the file
 * system read-only; a null argument must be the caller's NullPointerException instead.
 */
final class Args {
    private Args() {
    }

    /** {@code options}, checked: neither the array nor an element may be null. */
    static <T> T[] options(T[] options) {
        Objects.requireNonNull(options, "options");
        for (T o : options) {
            Objects.requireNonNull(o, "an option is null");
        }
        return options;
    }
}
