package io.daxfs.types;


/**
 * Geometry choices for {@code format}. Zero means "pick the default for this size".
 *
 * @param inodes      number of inodes (default: one per 16 KiB of device, at least 1024)
 * @param journalSize journal size in bytes (default: 1/64 of the device, between 1 MiB and 256 MiB)
 * @param progress    receives progress while the device is initialised
 */
public record FormatOptions(long inodes, long journalSize, ProgressListener progress) {
    public static final FormatOptions DEFAULT = new FormatOptions(0, 0, ProgressListener.NONE);

    public FormatOptions withInodes(long n) {
        return new FormatOptions(n, journalSize, progress);
    }

    public FormatOptions withJournalSize(long bytes) {
        return new FormatOptions(inodes, bytes, progress);
    }

    public FormatOptions withProgress(ProgressListener p) {
        return new FormatOptions(inodes, journalSize, p);
    }
}
