package io.daxfs.types;


/**
 * Geometry choices for {@code format}. Zero means "pick the default for this size".
 *
 * @param inodes      number of inodes (default: one per 16 KiB of device, at least 1024)
 * @param journalSize journal size in bytes (default: 1/64 of the device, between 1 MiB and 256 MiB)
 * @param progress    receives progress while the device is initialised
 * @param sparse      for a new image file: leave it sparse, taking host space only as it is
 *                    written, instead of reserving all of it when it is created (the default);
 *                    a host file system that fills up under a sparse image shows later, as
 *                    media errors. Ignored for devices and memory.
 */
public record FormatOptions(long inodes, long journalSize, ProgressListener progress, boolean sparse) {
    public static final FormatOptions DEFAULT = new FormatOptions(0, 0, ProgressListener.NONE, false);

    /** Options for a preallocated image. */
    public FormatOptions(long inodes, long journalSize, ProgressListener progress) {
        this(inodes, journalSize, progress, false);
    }

    public FormatOptions withInodes(long n) {
        return new FormatOptions(n, journalSize, progress, sparse);
    }

    public FormatOptions withJournalSize(long bytes) {
        return new FormatOptions(inodes, bytes, progress, sparse);
    }

    public FormatOptions withProgress(ProgressListener p) {
        return new FormatOptions(inodes, journalSize, p, sparse);
    }

    /** A sparse image file ({@code true}) or a preallocated one ({@code false}, the default). */
    public FormatOptions withSparse(boolean s) {
        return new FormatOptions(inodes, journalSize, progress, s);
    }
}
