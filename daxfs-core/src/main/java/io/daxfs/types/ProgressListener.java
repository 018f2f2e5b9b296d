package io.daxfs.types;


/** Receives progress of a long operation (format, fsck, copy). Called from the working thread. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (phase, done, total) -> { };

    /**
     * {@code done} of {@code total} units of the whole operation are complete; {@code phase}
     * names the stage now running (a label, not a separate counter), so one progress bar fits.
     */
    void progress(String phase, long done, long total);
}
