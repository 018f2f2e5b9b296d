package io.daxfs.types;


/**
 * Mount choices.
 *
 * @param readOnly         refuse every change; the image is mapped read-only (a journal that
 *                         needs replay is replayed in memory only)
 * @param commitIntervalMs how often dirty metadata is committed without an fsync (0: only on
 *                         fsync, sync, a full journal and unmount)
 * @param atime            when reading a file or listing a directory updates its access time
 */
public record MountOptions(boolean readOnly, long commitIntervalMs, Atime atime) {
    public static final MountOptions DEFAULT = new MountOptions(false, 5000, Atime.RELATIME);

    /** When an access updates atime (Linux's mount options of the same names). */
    public enum Atime {
        /**
         * Only when atime is older than mtime or ctime, or more than a day old: programs that
         * ask "was it read since it changed?" (mail readers, tmpwatch) get their answer, and a
         * file read again and again costs no metadata write per read.
         */
        RELATIME,
        /** On every access. */
        STRICTATIME,
        /** Never (atime changes only by utimes). */
        NOATIME
    }

    public MountOptions {
        if (atime == null) {
            throw new IllegalArgumentException("atime mode is null");
        }
    }

    public MountOptions withReadOnly(boolean ro) {
        return new MountOptions(ro, commitIntervalMs, atime);
    }

    public MountOptions withCommitIntervalMs(long ms) {
        return new MountOptions(readOnly, ms, atime);
    }

    public MountOptions withAtime(Atime mode) {
        return new MountOptions(readOnly, commitIntervalMs, mode);
    }
}
