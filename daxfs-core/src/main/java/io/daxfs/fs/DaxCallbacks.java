package io.daxfs.fs;

import io.daxfs.types.DaxException;

/**
 * What the file system asks of the layer that maps its files into memory (the DAX layer, which
 * sits above {@code fs} and registers itself with {@link Volume#attachDax}). Page numbers
 * are file offsets / 4 KiB; ranges are {@code [firstPage, endPage)}.
 *
 * <p>The file system calls these with the locks each method names; the DAX layer never calls
 * back into a path that takes the I/O or invalidate lock.
 */
public interface DaxCallbacks {
    /** For a volume nothing maps (and as the default before the DAX layer attaches). */
    DaxCallbacks NONE = new DaxCallbacks() {
        @Override
        public BusyWait breakLayout(Inode in, long firstPage, long endPage) {
            return null;
        }

        @Override
        public void invalidateClean(Inode in, long firstPage, long endPage) {
        }

        @Override
        public void writeback(Inode in, long firstPage, long endPage) {
        }

        @Override
        public void writebackAll(long endPage) {
        }

        @Override
        public void evicted(Inode in) {
        }

        @Override
        public boolean hasState(Inode in) {
            return false;
        }

        @Override
        public void unmount() {
        }
    };

    /** A busy page found by a layout break: the caller waits for it with no layout lock held. */
    @FunctionalInterface
    interface BusyWait {
        /** Returns when the page is no longer busy (pinned); interruptible. */
        void await() throws InterruptedException;
    }

    /**
     * Breaks the layout of a range about to lose or move its blocks (truncate, punch hole, zero
     * range, collapse, insert). Caller holds the I/O and invalidate locks exclusive. Unmaps the
     * range from every mapping of {@code in}, then scans every entry of the range for a busy
     * page: returns one to wait for (nothing was deleted; the caller drops the invalidate lock,
     * waits, retakes it and calls again), or null after deleting every entry of the range, when
     * the blocks may be freed.
     */
    BusyWait breakLayout(Inode in, long firstPage, long endPage);

    /**
     * Removes the clean zero-page entries of a range that just got blocks (write(), fallocate),
     * so that mapped readers stop seeing the zero page there. Caller holds the I/O lock
     * exclusive and no journal handle.
     */
    void invalidateClean(Inode in, long firstPage, long endPage);

    /**
     * Makes the data stored through mappings of the range durable (fsync, msync): each dirty
     * entry is write-protected, flushed and marked clean. Caller holds no inode lock.
     */
    void writeback(Inode in, long firstPage, long endPage) throws DaxException;

    /**
     * sync: as {@link #writeback} of pages {@code [0, endPage)} of every file that has mapping
     * state. Caller holds no inode lock.
     */
    void writebackAll(long endPage) throws DaxException;

    /** The inode was freed: forget its mapping state. No mapping of it remains. */
    void evicted(Inode in);

    /**
     * True while the layer keeps state for {@code in} (a mapping index, dirty or pinned pages):
     * the inode cache then keeps the inode object, which that state is tied to.
     */
    boolean hasState(Inode in);

    /** Unmount: revokes every mapping and waits until no page is pinned. */
    void unmount();
}
