package io.daxfs.api;

/** Receives progress of a long operation (format, fsck, copy). Called from the working thread. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (phase, done, total) -> { };

    /** {@code done} of {@code total} units of {@code phase} are complete. */
    void progress(String phase, long done, long total);
}
