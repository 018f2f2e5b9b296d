package io.daxfs.journal;

import io.daxfs.types.DaxException;

/**
 * Something whose in-memory state must reach the device through the journal: an inode, a
 * directory, a bitmap, the fs info block. It registers itself with {@link Journal#markDirty};
 * the next commit calls {@link #collect} once, while no handle is open, so it sees a state that
 * contains whole handles only.
 */
public interface DirtySource {
    /** Writes the current state into block images. Called with no handle open. */
    void collect(CommitBuilder builder) throws DaxException;

    /**
     * Told, by {@link Journal#markDirty} and {@link Journal#markTimesDirty}, the id of the
     * transaction that carries a change just made; {@code content} is false for a change of
     * times only (which fdatasync need not wait for).
     */
    default void dirtied(long tid, boolean content) {
    }

    /**
     * An upper bound of the blocks {@link #collect} will write (to keep transactions within the
     * ring), not counting {@link #sharedBlock}.
     */
    default int estimatedBlocks() {
        return 1;
    }

    /**
     * A block whose image this source writes together with other sources, or -1: an inode's
     * record shares its inode-table block with 15 others. The journal counts such a block once
     * per transaction however many of its sources are dirty; counting it per source made a
     * transaction of small-file creates look 14x larger than it was and commit that much
     * more often.
     */
    default long sharedBlock() {
        return -1;
    }
}
