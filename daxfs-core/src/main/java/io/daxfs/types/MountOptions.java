package io.daxfs.types;


/**
 * Mount choices.
 *
 * @param readOnly         refuse every change; the image is mapped read-only (a journal that
 *                         needs replay is replayed in memory only)
 * @param commitIntervalMs how often dirty metadata is committed without an fsync (0: only on
 *                         fsync, sync, a full journal and unmount)
 * @param atime            when reading a file or listing a directory updates its access time
 * @param cacheBudget      heap, in bytes, that cached inodes and directory contents may take
 *                         before clean, unused ones are evicted (0: {@link #defaultCacheBudget()})
 * @param freeInBackground free huge files that lost their last name and handle on a background
 *                         thread, so the unlink, rename or close that let go of one returns at
 *                         once (a server's workers); otherwise the calling thread frees it before
 *                         returning, and statfs counts the space free when the call returns
 */
public record MountOptions(boolean readOnly, long commitIntervalMs, Atime atime, long cacheBudget,
                           boolean freeInBackground) {
    public static final MountOptions DEFAULT = new MountOptions(false, 5000, Atime.RELATIME, 0, false);

    public MountOptions(boolean readOnly, long commitIntervalMs, Atime atime) {
        this(readOnly, commitIntervalMs, atime, 0, false);
    }

    /**
     * The cache budget when none is given: a quarter of the JVM's maximum heap, at most 256 MiB.
     * A system property {@code daxfs.cache.budget} (bytes) overrides it (tests use it to run
     * every suite with eviction going on).
     */
    public static long defaultCacheBudget() {
        long prop = Long.getLong("daxfs.cache.budget", 0);
        return prop > 0 ? prop : Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 4);
    }

    /** The budget in effect: {@link #cacheBudget} or, when 0, the default. */
    public long effectiveCacheBudget() {
        return cacheBudget > 0 ? cacheBudget : defaultCacheBudget();
    }

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
        if (cacheBudget < 0) {
            throw new IllegalArgumentException("cache budget " + cacheBudget + " is negative");
        }
    }

    public MountOptions withReadOnly(boolean ro) {
        return new MountOptions(ro, commitIntervalMs, atime, cacheBudget, freeInBackground);
    }

    public MountOptions withCommitIntervalMs(long ms) {
        return new MountOptions(readOnly, ms, atime, cacheBudget, freeInBackground);
    }

    public MountOptions withAtime(Atime mode) {
        return new MountOptions(readOnly, commitIntervalMs, mode, cacheBudget, freeInBackground);
    }

    /** The inode cache's memory budget in bytes (0: the default). */
    public MountOptions withCacheBudget(long bytes) {
        return new MountOptions(readOnly, commitIntervalMs, atime, bytes, freeInBackground);
    }

    /** Whether huge unlinked files are freed on a background thread (see {@link #freeInBackground}). */
    public MountOptions withFreeInBackground(boolean background) {
        return new MountOptions(readOnly, commitIntervalMs, atime, cacheBudget, background);
    }
}
