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

    /** A rough upper bound of the blocks {@link #collect} will write (to keep transactions small). */
    default int estimatedBlocks() {
        return 1;
    }
}
