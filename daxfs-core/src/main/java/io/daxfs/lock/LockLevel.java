package io.daxfs.lock;

/**
 * The lock hierarchy of daxfs, outermost first (docs/LOCKING.md explains each). A thread may
 * acquire a lock only at a level deeper than every lock it holds, except where
 * {@link #nestable} says two locks of one level may be held together (the code that does so
 * orders them itself, as documented there).
 */
public enum LockLevel {
    /** Cross-directory rename: one at a time, so ancestry cannot change during the loop check. */
    RENAME(false),
    /** A directory's entries. Parent before child; two parents: ancestor first, else lower inode number. */
    DIRECTORY(true),
    /** Link and open counts of an inode; the decision to free it. */
    LIFE(false),
    /** An inode's I/O lock (read shared; write, truncate, fallocate exclusive). */
    IO(false),
    /** An inode's invalidate lock (faults shared; truncate, punch, collapse, insert, zero range exclusive). */
    INVALIDATE(false),
    /**
     * A DAX entry lock: a bit in a mapping entry, not a lock object ({@code io.daxfs.dax.EntryLocks}).
     * In tests the checker sees each held entry lock as a lock of this level, so a thread holds at
     * most one, and takes none while it holds a lock of COMMIT or deeper.
     */
    ENTRY(false),
    /**
     * A mapping's page table ({@code io.daxfs.mm.PageTable}): installing and revoking windows.
     * Taken under an entry lock by faults and writeback; held across an Arena close, never
     * across a wait for another lock.
     */
    WINDOWS(false),
    /**
     * An inode's block-map lock: serialises the paths that add blocks to a file (write(),
     * fallocate, DAX write faults, which hold only the invalidate lock shared). Taken before the
     * journal handle, as ext4 starts its handle inside i_data_sem's caller.
     */
    BLOCKMAP(false),
    /** One journal commit or checkpoint at a time. */
    COMMIT(false),
    /** The journal's transaction lock: handles shared, the commit's collection exclusive. */
    TRANSACTION(false),
    /** The orphan list head and the orphan links of every inode. */
    ORPHANS(false),
    /** An inode's attributes (size, times, counts) against the commit that encodes them. */
    ATTRIBUTES(false),
    /** Free-space and inode-number allocators. */
    ALLOCATOR(false),
    /** An extent map's own read/write lock: held only inside one ExtentMap method (a leaf). */
    EXTENT_MAP(false),
    /** A entry index's short internal lock (innermost: never held while waiting, allocating blocks, copying or doing I/O). */
    INDEX(false);

    private final boolean nestable;

    LockLevel(boolean nestable) {
        this.nestable = nestable;
    }

    /** True when a thread may hold several locks of this level (ordered by the caller). */
    public boolean nestable() {
        return nestable;
    }
}
