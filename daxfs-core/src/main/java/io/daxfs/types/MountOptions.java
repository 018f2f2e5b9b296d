package io.daxfs.types;


/**
 * Mount choices.
 *
 * @param readOnly         refuse every change; the image is mapped read-only (a journal that
 *                         needs replay is replayed in memory only)
 * @param commitIntervalMs how often dirty metadata is committed without an fsync (0: only on
 *                         fsync, sync, a full journal and unmount)
 */
public record MountOptions(boolean readOnly, long commitIntervalMs) {
    public static final MountOptions DEFAULT = new MountOptions(false, 5000);

    public MountOptions withReadOnly(boolean ro) {
        return new MountOptions(ro, commitIntervalMs);
    }

    public MountOptions withCommitIntervalMs(long ms) {
        return new MountOptions(readOnly, ms);
    }
}
