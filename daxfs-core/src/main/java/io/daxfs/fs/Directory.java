package io.daxfs.fs;

import io.daxfs.journal.CommitBuilder;
import io.daxfs.journal.DirtySource;
import io.daxfs.journal.Journal;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.DirBlock;
import io.daxfs.media.DirIndexNode;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileNames;
import io.daxfs.types.FileType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One directory's entries, read where they live: record blocks (positions are readdir cookies)
 * and, once the directory outgrows one block, an on-device B+tree from name hash to record
 * ({@link DirIndexNode}). Opening a directory reads its block map and block 0's header, nothing
 * more, so the first lookup in a directory of a million entries reads a handful of blocks.
 *
 * <h2>Where a block's current bytes are</h2>
 * A block a change has touched has a heap <em>image</em>: the change edits it, the commit copies
 * it to the journal, and the commit then writes it home. Every other block's home location holds
 * its last committed bytes (the journal writes homes before it advances
 * {@link Journal#committedTid}). So a reader takes the image when there is one and the home
 * otherwise, and a writer drops an image only once the transaction of its last change is
 * committed and it is not waiting for a commit: from then on the home is what the image was.
 * A reader never reads a home while the commit writes it, since that block still has its image.
 *
 * <h2>Locks</h2>
 * Changes hold the inode's {@code dirLock} and a journal handle (so images change only while no
 * commit collects them) and, while they edit blocks, {@link #seq}'s write lock. Lookups hold no
 * lock: they read under an optimistic stamp of {@link #seq}, checking every count and offset
 * they use (a block being edited may read as anything), and keep the answer only if the stamp
 * is still valid; otherwise they read again under its read lock, where an inconsistency is real
 * damage (EUCLEAN). Readers take no other lock under {@code seq}; writers take the allocator's,
 * the extent map's and the inode attribute lock under it. Listings hold {@code dirLock}. A
 * lookup first asks the directory's {@link NameCache}, which writers keep current under the
 * write lock.
 */
final class Directory implements DirtySource {
    /** Where an entry lives: its inode and type, and its record's block and offset (the cookie). */
    record Dentry(long ino, FileType type, int block, int offset) {
        long cookie() {
            return ((long) block << Geometry.BLOCK_SHIFT) + offset + 1;
        }
    }

    /** A heap image of a changed block and the transaction of its last change. */
    private static final class Image {
        final MemorySegment bytes;
        long tid;

        Image(MemorySegment bytes) {
            this.bytes = bytes;
        }
    }

    /**
     * Device blocks by index, appended by writers and read by lock-free readers: a full array is
     * replaced by one twice its size before the count covering the new slot is published, so a
     * reader that reads the count first always finds its slots filled.
     */
    private static final class BlockList {
        private volatile long[] blocks;
        private volatile int count;

        BlockList(long[] initial) {
            blocks = initial;
            count = initial.length;
        }

        int count() {
            return count;
        }

        long get(int i) {
            return blocks[i];
        }

        int capacity() {
            return blocks.length;
        }

        void add(long b) {
            int n = count;
            long[] a = blocks;
            if (n == a.length) {
                a = Arrays.copyOf(a, Math.max(8, n * 2));
                a[n] = b;
                blocks = a;
            } else {
                a[n] = b;
            }
            count = n + 1;
        }

        void removeLast() {
            count = count - 1;
        }
    }

    /** What a lock-free read answers when what it read was inconsistent. */
    private static final Dentry TORN = new Dentry(0, null, -1, -1);
    /** Record blocks an unindexed directory of an older format may have and still get an index on its next new block. */
    private static final int INDEX_LATE_LIMIT = 64;
    /** Record blocks a big directory grows by at once. */
    private static final int RECORD_RUN = 16;
    /** Images kept before a change looks for committed ones to drop. */
    private static final int IMAGES_KEPT = 32;

    private final Inode inode;
    private final long seed;
    private final LongFunction<MemorySegment> home;
    private final LongSupplier committed;
    private final Supplier<FsHooks> hooks;
    /** Keys per leaf and entries per internal node at most: the capacity, or less in tests. */
    private final int leafFill;
    private final int internalFill;
    /** Record blocks from which the directory has an index. */
    private final int indexFrom;

    private final StampedLock seq = new StampedLock();
    // Published to lock-free readers; changed under seq's write lock.
    private final BlockList records;
    private final BlockList nodes;
    private volatile long root;
    private volatile boolean gone;
    /** Recent lookups; replaced only under seq's write lock (see {@link NameCache}). */
    private volatile NameCache names;
    private final ConcurrentHashMap<Long, Image> images = new ConcurrentHashMap<>();
    // Writers only (dirLock and a handle); the commit reads them while no handle is open.
    private final Set<Long> dirty = new HashSet<>();
    /** The committed transaction the last image sweep saw. */
    private long sweptAt = -1;
    /** Record blocks with room for any name; null until the first change needs it. */
    private BitSet roomy;

    private Directory(Inode inode, long seed, LongFunction<MemorySegment> home, LongSupplier committed, Supplier<FsHooks> hooks,
                      long[] records, long[] nodes, long root) {
        this.inode = inode;
        this.seed = seed;
        this.home = home;
        this.committed = committed;
        this.hooks = hooks;
        this.records = new BlockList(records);
        this.nodes = new BlockList(nodes);
        this.root = root;
        this.names = new NameCache(NameCache.MIN_SLOTS);
        int testFill = Integer.getInteger("daxfs.test.dirIndexFill", 0);
        this.leafFill = testFill >= 3 ? Math.min(testFill, DirIndexNode.LEAF_CAPACITY) : DirIndexNode.LEAF_CAPACITY;
        this.internalFill = testFill >= 3 ? Math.min(testFill, DirIndexNode.INTERNAL_CAPACITY) : DirIndexNode.INTERNAL_CAPACITY;
        // Tests: N >= 3 caps nodes at N entries and indexes from the first block; -1 never
        // indexes (a directory as a version 4 image has it).
        this.indexFrom = testFill >= 3 ? 1 : testFill == -1 ? Integer.MAX_VALUE : 2;
    }

    /**
     * Opens directory {@code dir}: its block map (record blocks 0 .. n−1, index nodes from
     * {@link DirIndexNode#NODE_BASE}) and its index root. EUCLEAN when the map has holes or the
     * root is not one of its nodes.
     */
    static Directory open(Inode dir, long seed, LongFunction<MemorySegment> home, LongSupplier committed, Supplier<FsHooks> hooks)
            throws DaxException {
        long n = dir.size >>> Geometry.BLOCK_SHIFT;
        long m = dir.extents.blocks() - n;
        if ((dir.size & (Geometry.BLOCK_SIZE - 1)) != 0 || n > DirIndexNode.MAX_RECORD_BLOCKS || m < 0 || m > Integer.MAX_VALUE) {
            throw new DaxException(Errno.EUCLEAN, "directory " + dir.ino + ": size " + dir.size + " does not match its "
                    + dir.extents.blocks() + " blocks");
        }
        long[] records = new long[(int) n];
        long[] nodes = new long[(int) m];
        for (Extent e : dir.extents.toList()) {
            for (long i = 0; i < e.length(); i++) {
                long fb = e.logical() + i;
                if (fb < n) {
                    records[(int) fb] = e.physical() + i;
                } else if (fb >= DirIndexNode.NODE_BASE && fb - DirIndexNode.NODE_BASE < m) {
                    nodes[(int) (fb - DirIndexNode.NODE_BASE)] = e.physical() + i;
                } else {
                    throw new DaxException(Errno.EUCLEAN, "directory " + dir.ino + ": block " + fb + " mapped outside its records and index");
                }
            }
        }
        long root = 0;
        if (n > 0) {
            MemorySegment first = home.apply(records[0]);
            String what = "directory " + dir.ino + " block 0";
            BlockHeader.verify(first, BlockHeader.DIRECTORY, what);
            if (BlockHeader.a(first) != dir.ino || BlockHeader.b(first) != 0) {
                throw new DaxException(Errno.EUCLEAN, what + ": belongs to inode " + BlockHeader.a(first) + " block " + BlockHeader.b(first));
            }
            root = BlockHeader.c(first);
            if (root != 0 && Arrays.stream(nodes).noneMatch(x -> x == BlockHeader.c(first))) {
                throw new DaxException(Errno.EUCLEAN, what + ": index root " + root + " is not one of the directory's index blocks");
            }
        }
        return new Directory(dir, seed, home, committed, hooks, records, nodes, root);
    }

    // ---------------------------------------------------------------- reading (lock-free)

    /** The entry named {@code name}, or null. Takes no lock (see the class comment). */
    Dentry lookup(String name) throws DaxException {
        NameCache c = names;
        int slot = c.slotOf(name);
        Object seen = c.seen(slot); // before the search: see NameCache
        Dentry hit = NameCache.hit(seen, name);
        if (hit != null) {
            return hit;
        }
        Dentry d = search(name);
        if (d != null) {
            hooks.get().directoryNameFound(inode.ino);
            c.offer(slot, seen, name, d);
            if (c.crowded()) {
                growNames(c);
            }
        }
        return d;
    }

    /** Replaces a crowded name table with an empty one twice its size, under the write lock (see {@link NameCache}). */
    private void growNames(NameCache crowded) {
        long stamp = seq.writeLock();
        try {
            if (names == crowded && !gone) {
                names = new NameCache(crowded.slots() * 2);
            }
        } finally {
            seq.unlockWrite(stamp);
        }
    }

    /** The entry of {@code name} in the directory's blocks, or null. */
    private Dentry search(String name) throws DaxException {
        byte[] nb = FileNames.toBytes(name);
        int hash = DirIndexNode.hash(seed, nb);
        long stamp = seq.tryOptimisticRead();
        if (stamp != 0) {
            Dentry d;
            try {
                d = find(nb, hash, true);
            } catch (IndexOutOfBoundsException torn) {
                d = TORN;
            }
            if (seq.validate(stamp)) {
                return checked(d);
            }
        }
        stamp = seq.readLock();
        try {
            return checked(find(nb, hash, false));
        } finally {
            seq.unlockRead(stamp);
        }
    }

    private Dentry checked(Dentry d) throws DaxException {
        if (d == TORN) {
            throw new DaxException(Errno.EUCLEAN, "directory " + inode.ino + ": damaged index or record block");
        }
        return d;
    }

    /** The entry, null, or TORN when a count, offset or owner read is out of place. */
    private Dentry find(byte[] name, int hash, boolean optimistic) {
        if (gone) {
            return null;
        }
        if (root == 0) {
            for (int b = 0, n = records.count(); b < n; b++) {
                Dentry d = scan(b, name);
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        long from = DirIndexNode.lowest(hash);
        for (int leaves = 0; leaves < 1 << 20; leaves++) {
            long[] bound = new long[1];
            MemorySegment leaf = leafFor(from, bound);
            if (leaf == null) {
                return TORN;
            }
            if (optimistic) {
                hooks.get().directoryLeafReached(inode.ino);
            }
            int n = DirIndexNode.count(leaf);
            for (int i = DirIndexNode.leafSearch(leaf, n, from); i < n; i++) {
                long key = DirIndexNode.leafKey(leaf, i);
                if (DirIndexNode.hashOf(key) != hash) {
                    return null;
                }
                Dentry d = record(key, name);
                if (d != null) {
                    return d;
                }
            }
            // Names with this hash may go on in the next leaf.
            if (bound[0] == 0 || DirIndexNode.hashOf(bound[0]) != hash) {
                return null;
            }
            from = bound[0];
        }
        return TORN;
    }

    /**
     * The leaf whose range holds {@code key}, its upper bound in {@code bound[0]} (0 when it is
     * the last leaf); null when a node read is not a node of this directory's index.
     */
    private MemorySegment leafFor(long key, long[] bound) {
        MemorySegment node = block(root);
        for (int depth = 0; ; depth++) {
            if (!isNode(node)) {
                return null;
            }
            int level = DirIndexNode.level(node);
            int n = DirIndexNode.count(node);
            if (level == 0) {
                return n <= DirIndexNode.LEAF_CAPACITY ? node : null;
            }
            if (depth >= DirIndexNode.MAX_LEVEL || n < 1 || n > DirIndexNode.INTERNAL_CAPACITY) {
                return null;
            }
            int i = DirIndexNode.childFor(node, n, key);
            if (i + 1 < n) {
                bound[0] = DirIndexNode.low(node, i + 1);
            }
            node = block(DirIndexNode.child(node, i));
        }
    }

    private boolean isNode(MemorySegment blk) {
        return blk != null && BlockHeader.magic(blk) == BlockHeader.DIR_INDEX && BlockHeader.a(blk) == inode.ino;
    }

    /** The entry a key names when its record holds {@code name}; null when it holds another; TORN when out of place. */
    private Dentry record(long key, byte[] name) {
        int b = DirIndexNode.blockOf(key);
        int off = DirIndexNode.offsetOf(key);
        if (off < DirBlock.FIRST || off > Geometry.BLOCK_SIZE - DirBlock.HEADER) {
            return TORN;
        }
        MemorySegment blk = recordBlock(b);
        if (blk == null || DirBlock.ino(blk, off) == 0) {
            return TORN;
        }
        return matches(blk, off, name) ? dentry(blk, b, off) : null;
    }

    /** Scans record block {@code b} for {@code name}: its entry, null, or TORN. */
    private Dentry scan(int b, byte[] name) {
        MemorySegment blk = recordBlock(b);
        if (blk == null) {
            return TORN;
        }
        for (int off = DirBlock.FIRST, len; off < Geometry.BLOCK_SIZE; off += len) {
            len = DirBlock.recLen(blk, off);
            if (len < DirBlock.HEADER || (len & 7) != 0 || off + len > Geometry.BLOCK_SIZE) {
                return TORN;
            }
            if (DirBlock.ino(blk, off) != 0 && matches(blk, off, name)) {
                return dentry(blk, b, off);
            }
        }
        return null;
    }

    /** Record block {@code b} if it is one (kind, owner, index), else null. */
    private MemorySegment recordBlock(int b) {
        if (b >= records.count()) {
            return null;
        }
        MemorySegment blk = block(records.get(b));
        return blk != null && BlockHeader.magic(blk) == BlockHeader.DIRECTORY && BlockHeader.a(blk) == inode.ino && BlockHeader.b(blk) == b
                ? blk : null;
    }

    private static boolean matches(MemorySegment blk, int off, byte[] name) {
        if (DirBlock.nameLen(blk, off) != name.length || off + DirBlock.HEADER + name.length > Geometry.BLOCK_SIZE) {
            return false;
        }
        long at = off + DirBlock.HEADER;
        for (int i = 0; i < name.length; i++) {
            if (blk.get(ValueLayout.JAVA_BYTE, at + i) != name[i]) {
                return false;
            }
        }
        return true;
    }

    private static Dentry dentry(MemorySegment blk, int b, int off) {
        FileType t = DirBlock.typeOf(DirBlock.type(blk, off));
        return t == null ? TORN : new Dentry(DirBlock.ino(blk, off), t, b, off);
    }

    /**
     * The current bytes of device block {@code b}: its image if a change made one, else its home
     * (null for a block outside the data area, which only a damaged or torn read names).
     */
    private MemorySegment block(long b) {
        Image im = images.isEmpty() ? null : images.get(b);
        return im != null ? im.bytes : home.apply(b);
    }

    // ---------------------------------------------------------------- listing (dirLock held)

    /**
     * Up to {@code max} entries whose position is at or after {@code cookie} (0 = start), in
     * position order, read block by block (nothing is kept). Caller holds {@code dirLock}.
     */
    List<DirEntry> list(long cookie, int max) throws DaxException {
        List<DirEntry> out = new ArrayList<>();
        int n = records.count();
        long pos = Math.max(0, cookie);
        if (gone || (pos >>> Geometry.BLOCK_SHIFT) >= n) {
            return out; // past the last block (also a cookie too large for an int block index)
        }
        int start = (int) (pos & (Geometry.BLOCK_SIZE - 1));
        for (int b = (int) (pos >>> Geometry.BLOCK_SHIFT); b < n && out.size() < max; b++, start = 0) {
            MemorySegment blk = checkedRecordBlock(b);
            for (int off = DirBlock.FIRST; off < Geometry.BLOCK_SIZE && out.size() < max; off += DirBlock.recLen(blk, off)) {
                long ino = DirBlock.ino(blk, off);
                if (off < start || ino == 0) {
                    continue;
                }
                String name = FileNames.fromBytes(DirBlock.name(blk, off));
                out.add(new DirEntry(name, ino, DirBlock.typeOf(DirBlock.type(blk, off)), ((long) b << Geometry.BLOCK_SHIFT) + off + 1));
            }
        }
        return out;
    }

    /** True when no record is in use. Caller holds {@code dirLock}. */
    boolean isEmpty() throws DaxException {
        for (int b = 0, n = records.count(); b < n; b++) {
            MemorySegment blk = checkedRecordBlock(b);
            for (int off = DirBlock.FIRST; off < Geometry.BLOCK_SIZE; off += DirBlock.recLen(blk, off)) {
                if (DirBlock.ino(blk, off) != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Record block {@code b} with its header and record chain verified (no checksum: see {@link #writable}). */
    private MemorySegment checkedRecordBlock(int b) throws DaxException {
        MemorySegment blk = recordBlock(b);
        String what = "directory " + inode.ino + " block " + b;
        if (blk == null) {
            throw new DaxException(Errno.EUCLEAN, what + ": not this directory's block " + b);
        }
        DirBlock.verifyRecords(blk, what);
        return blk;
    }

    /** Levels of the index (0: the directory has none). For tests. */
    int depthForTests() {
        return root == 0 ? 0 : DirIndexNode.level(block(root)) + 1;
    }

    /** Heap held by the name cache, roughly. For tests. */
    long nameCacheBytesForTests() {
        return names.estimatedBytes();
    }

    /** Heap held, roughly: the block maps, the images, the free-space bits and the name cache. */
    long estimatedBytes() {
        return 200 + 8L * (records.capacity() + nodes.capacity()) + (long) images.size() * (Geometry.BLOCK_SIZE + 96)
                + (roomy == null ? 0 : records.count() / 8) + names.estimatedBytes();
    }

    // ---------------------------------------------------------------- changing (dirLock and a handle held)

    /**
     * Makes sure an entry named {@code name} can be added with no allocation: a record block with
     * room (appending one), and room in the index leaf its key goes to (splitting nodes). Done
     * before anything else in an operation, so ENOSPC here leaves nothing half changed: every
     * step on the way is a complete, consistent change. {@link #add} of the same name in the
     * same directory state then allocates nothing.
     */
    void reserve(Journal.Handle handle, FileBlocks fileBlocks, String name) throws DaxException {
        byte[] nb = FileNames.toBytes(name);
        long stamp = seq.writeLock();
        try {
            prepare(handle, fileBlocks, nb);
        } finally {
            seq.unlockWrite(stamp);
        }
    }

    /**
     * Adds an entry. Caller holds {@code dirLock} and {@code handle}, has checked that the name
     * is absent, and has called {@link #reserve}.
     */
    void add(Journal.Handle handle, FileBlocks fileBlocks, String name, long ino, FileType type) throws DaxException {
        byte[] nb = FileNames.toBytes(name);
        long stamp = seq.writeLock();
        try {
            long key = prepare(handle, fileBlocks, nb);
            int b = DirIndexNode.blockOf(key);
            // Both blocks are copied (and verified) before either changes: damage found here changes nothing.
            MemorySegment leaf = root == 0 ? null : writable(handle, leafPath(key)[0], BlockHeader.DIR_INDEX, -1);
            MemorySegment blk = writable(handle, records.get(b), BlockHeader.DIRECTORY, b);
            if (DirBlock.insert(blk, nb, ino, DirBlock.typeCode(type)) != DirIndexNode.offsetOf(key)) {
                throw new IllegalStateException("directory " + inode.ino + ": record went elsewhere than its slot");
            }
            roomy.set(b, DirBlock.maxFree(blk) >= DirBlock.MAX_RECORD);
            if (leaf != null) {
                DirIndexNode.leafInsert(leaf, key);
            }
        } finally {
            seq.unlockWrite(stamp);
        }
    }

    /** Removes an entry (caller holds {@code dirLock} and a handle). Returns it, or null. */
    Dentry remove(Journal.Handle handle, String name) throws DaxException {
        byte[] nb = FileNames.toBytes(name);
        long stamp = seq.writeLock();
        try {
            Dentry d = entryToChange(nb);
            if (d == null) {
                return null;
            }
            long key = DirIndexNode.key(DirIndexNode.hash(seed, nb), d.block(), d.offset());
            // Both blocks are copied (and verified), and the key found, before either changes.
            MemorySegment leaf = null;
            if (root != 0) {
                leaf = writable(handle, leafPath(key)[0], BlockHeader.DIR_INDEX, -1);
                int n = DirIndexNode.count(leaf);
                int i = DirIndexNode.leafSearch(leaf, n, key);
                if (i == n || DirIndexNode.leafKey(leaf, i) != key) {
                    throw new DaxException(Errno.EUCLEAN, "directory " + inode.ino + ": index has no key for '" + name + "'");
                }
            }
            MemorySegment blk = writable(handle, records.get(d.block()), BlockHeader.DIRECTORY, d.block());
            names.forget(name);
            DirBlock.remove(blk, d.offset());
            if (roomy != null) {
                roomy.set(d.block(), DirBlock.maxFree(blk) >= DirBlock.MAX_RECORD);
            }
            if (leaf != null) {
                DirIndexNode.leafRemove(leaf, key);
            }
            return d;
        } finally {
            seq.unlockWrite(stamp);
        }
    }

    /** Points an existing entry at another inode, in place (rename over an existing name). */
    void retarget(Journal.Handle handle, String name, long ino, FileType type) throws DaxException {
        byte[] nb = FileNames.toBytes(name);
        long stamp = seq.writeLock();
        try {
            Dentry d = entryToChange(nb);
            if (d == null) {
                throw new IllegalStateException("directory " + inode.ino + ": no entry to retarget");
            }
            MemorySegment blk = writable(handle, records.get(d.block()), BlockHeader.DIRECTORY, d.block());
            names.forget(name);
            DirBlock.retarget(blk, d.offset(), ino, DirBlock.typeCode(type));
        } finally {
            seq.unlockWrite(stamp);
        }
    }

    /** The entry a change (holding the write lock) is about to edit, or null; drops committed images first. */
    private Dentry entryToChange(byte[] name) throws DaxException {
        dropCommittedImages();
        return checked(find(name, DirIndexNode.hash(seed, name), false));
    }

    /** The directory was removed: lookups answer nothing from now on, and its blocks may be reused. */
    void markGone() {
        long stamp = seq.writeLock();
        try {
            gone = true;
            names = new NameCache(NameCache.MIN_SLOTS);
        } finally {
            seq.unlockWrite(stamp);
        }
    }

    /**
     * Finds the slot a record for {@code name} takes and makes room for its key; returns the
     * key. Appends a record block when none has room (building the index when the directory
     * reaches {@link #indexFrom} blocks), and splits the full nodes on the key's path.
     */
    private long prepare(Journal.Handle handle, FileBlocks fileBlocks, byte[] name) throws DaxException {
        dropCommittedImages();
        int need = DirBlock.recordSize(name.length);
        int b = blockWithRoom(need);
        if (b < 0) {
            b = appendRecordBlock(handle, fileBlocks);
        }
        int off = DirBlock.findSlot(block(records.get(b)), need);
        if (off < 0) {
            throw new IllegalStateException("directory " + inode.ino + " block " + b + " reported room but has no slot");
        }
        long key = DirIndexNode.key(DirIndexNode.hash(seed, name), b, off);
        if (root != 0) {
            splitFullPath(handle, fileBlocks, key);
        }
        return key;
    }

    /** A record block with room for a record of {@code need} bytes, or -1. */
    private int blockWithRoom(int need) throws DaxException {
        if (roomy == null) {
            roomy = new BitSet();
            for (int b = 0, n = records.count(); b < n; b++) {
                roomy.set(b, DirBlock.maxFree(checkedRecordBlock(b)) >= DirBlock.MAX_RECORD);
            }
        }
        int b = roomy.nextSetBit(0);
        if (b >= 0) {
            return b;
        }
        // No block fits every name; a short name may still fit the last one.
        int last = records.count() - 1;
        return last >= 0 && DirBlock.maxFree(block(records.get(last))) >= need ? last : -1;
    }

    /**
     * Appends record blocks: one at a time while the directory is small, then runs of up to
     * {@link #RECORD_RUN} (as many as one device run gives), so that a big directory's record
     * blocks stay in few extents although index nodes are allocated between them. Returns the
     * index of the first new block.
     */
    private int appendRecordBlock(Journal.Handle handle, FileBlocks fileBlocks) throws DaxException {
        int index = records.count();
        if (index >= DirIndexNode.MAX_RECORD_BLOCKS) {
            throw new DaxException(Errno.ENOSPC, "directory " + inode.ino + " is full (" + index + " blocks of entries)");
        }
        int want = (int) Math.min(index < RECORD_RUN ? 1 : RECORD_RUN, DirIndexNode.MAX_RECORD_BLOCKS - index);
        long[] run = fileBlocks.addDirectoryBlocks(handle, inode, index, want);
        for (int i = 0; i < run[1]; i++) {
            MemorySegment img = fresh(handle, run[0] + i);
            DirBlock.init(img, inode.ino, index + i);
            records.add(run[0] + i);
            roomy.set(index + i);
        }
        if (root == 0 && records.count() >= indexFrom && index + 1 <= INDEX_LATE_LIMIT) {
            try {
                buildIndex(handle, fileBlocks);
            } catch (DaxException e) {
                if (e.errno() != Errno.ENOSPC) {
                    throw e;
                }
                // No room for the nodes: the directory stays unindexed (valid), and tries again on its next block.
            }
        }
        return index;
    }

    /**
     * Gives the directory an index of every entry it has. The nodes are allocated first (any
     * that were taken go back on ENOSPC), and the root is published in block 0 last, so the
     * directory is left unindexed, and consistent, when there is no room.
     */
    private void buildIndex(Journal.Handle handle, FileBlocks fileBlocks) throws DaxException {
        List<Long> keys = new ArrayList<>();
        for (int b = 0, n = records.count(); b < n; b++) {
            MemorySegment blk = checkedRecordBlock(b);
            for (int off = DirBlock.FIRST; off < Geometry.BLOCK_SIZE; off += DirBlock.recLen(blk, off)) {
                if (DirBlock.ino(blk, off) != 0) {
                    keys.add(DirIndexNode.key(DirIndexNode.hash(seed, DirBlock.name(blk, off)), b, off));
                }
            }
        }
        keys.sort(Long::compareUnsigned);
        // Bottom-up: leaves filled to three quarters, then each level over the one below.
        List<long[]> level = new ArrayList<>(); // {low key, device block}
        int leafKeys = Math.max(1, leafFill * 3 / 4);
        int leaves = Math.max(1, (keys.size() + leafKeys - 1) / leafKeys);
        int total = leaves;
        for (int w = leaves; w > 1; ) {
            w = (w + Math.max(2, internalFill * 3 / 4) - 1) / Math.max(2, internalFill * 3 / 4);
            total += w;
        }
        long[] taken = takeNodes(handle, fileBlocks, total);
        int next = 0;
        for (int l = 0; l < leaves; l++) {
            long phys = taken[next++];
            MemorySegment img = images.get(phys).bytes;
            DirIndexNode.init(img, inode.ino, fileBlockOf(phys), 0);
            int from = l * leafKeys;
            for (int i = from; i < Math.min(keys.size(), from + leafKeys); i++) {
                DirIndexNode.leafInsert(img, keys.get(i));
            }
            level.add(new long[]{l == 0 ? 0 : keys.get(from), phys});
        }
        for (int height = 1; level.size() > 1; height++) {
            int per = Math.max(2, internalFill * 3 / 4);
            List<long[]> up = new ArrayList<>();
            for (int from = 0; from < level.size(); from += per) {
                long phys = taken[next++];
                MemorySegment img = images.get(phys).bytes;
                DirIndexNode.init(img, inode.ino, fileBlockOf(phys), height);
                for (int i = from; i < Math.min(level.size(), from + per); i++) {
                    DirIndexNode.internalInsert(img, i - from, level.get(i)[0], level.get(i)[1]);
                }
                up.add(new long[]{level.get(from)[0], phys});
            }
            level = up;
        }
        setRoot(handle, level.get(0)[1]);
    }

    /**
     * Splits, top down, the full nodes at the bottom of {@code key}'s path, so that its leaf
     * has room. All the new nodes are allocated before any node changes.
     */
    private void splitFullPath(Journal.Handle handle, FileBlocks fileBlocks, long key) throws DaxException {
        long[] path = leafPath(key); // leaf first, root last
        int full = 0;
        while (full < path.length && DirIndexNode.count(block(path[full])) >= fill(block(path[full]))) {
            full++;
        }
        if (full == 0) {
            return;
        }
        boolean newRoot = full == path.length;
        if (newRoot && DirIndexNode.level(block(root)) >= DirIndexNode.MAX_LEVEL) {
            // Unreachable with real node sizes (see MAX_LEVEL); refuse rather than write a tree readers reject.
            throw new DaxException(Errno.ENOSPC, "directory " + inode.ino + ": its index is " + (DirIndexNode.MAX_LEVEL + 1) + " levels deep");
        }
        long[] taken = takeNodes(handle, fileBlocks, full + (newRoot ? 1 : 0));
        int next = 0;
        long parent;
        int top = full - 1; // the highest node to split
        if (newRoot) {
            long oldRoot = root;
            long sibling = taken[next++];
            long sep = split(handle, oldRoot, sibling);
            long r = taken[next++];
            DirIndexNode.initRoot(images.get(r).bytes, inode.ino, fileBlockOf(r), DirIndexNode.level(block(oldRoot)) + 1,
                    oldRoot, sep, sibling);
            setRoot(handle, r);
            parent = Long.compareUnsigned(key, sep) >= 0 ? sibling : oldRoot;
            top--;
        } else {
            parent = path[full];
        }
        for (int i = top; i >= 0; i--) {
            long node = path[i];
            long sibling = taken[next++];
            long sep = split(handle, node, sibling);
            MemorySegment p = writable(handle, parent, BlockHeader.DIR_INDEX, -1);
            DirIndexNode.internalInsert(p, DirIndexNode.childFor(p, DirIndexNode.count(p), key) + 1, sep, sibling);
            parent = Long.compareUnsigned(key, sep) >= 0 ? sibling : node;
        }
    }

    /** Moves the upper half of node {@code node} into the new node {@code sibling}; returns the sibling's low key. */
    private long split(Journal.Handle handle, long node, long sibling) throws DaxException {
        MemorySegment left = writable(handle, node, BlockHeader.DIR_INDEX, -1);
        MemorySegment right = images.get(sibling).bytes;
        DirIndexNode.init(right, inode.ino, fileBlockOf(sibling), DirIndexNode.level(left));
        return DirIndexNode.splitInto(left, right);
    }

    private int fill(MemorySegment node) {
        return DirIndexNode.level(node) == 0 ? leafFill : internalFill;
    }

    /** The device blocks of the nodes from {@code key}'s leaf (index 0) up to the root; EUCLEAN if the tree is damaged. */
    private long[] leafPath(long key) throws DaxException {
        long[] path = new long[DirIndexNode.MAX_LEVEL + 1];
        int depth = 0;
        long at = root;
        for (;;) {
            MemorySegment node = block(at);
            if (!isNode(node)) {
                throw new DaxException(Errno.EUCLEAN, "directory " + inode.ino + ": block " + at + " is not one of its index nodes");
            }
            int n = DirIndexNode.count(node);
            int level = DirIndexNode.level(node);
            if (depth > DirIndexNode.MAX_LEVEL || level > DirIndexNode.MAX_LEVEL
                    || n > DirIndexNode.capacity(level) || level != 0 && n < 1) {
                throw new DaxException(Errno.EUCLEAN, "directory " + inode.ino + ": damaged index node " + at + " (level " + level
                        + ", " + n + " entries, depth " + depth + ")");
            }
            path[depth++] = at;
            if (level == 0) {
                break;
            }
            at = DirIndexNode.child(node, DirIndexNode.childFor(node, n, key));
        }
        long[] out = new long[depth];
        for (int i = 0; i < depth; i++) {
            out[i] = path[depth - 1 - i];
        }
        return out;
    }

    private void setRoot(Journal.Handle handle, long r) throws DaxException {
        BlockHeader.setC(writable(handle, records.get(0), BlockHeader.DIRECTORY, 0), r);
        root = r;
    }

    /**
     * Allocates {@code count} index nodes, each with a fresh (uninitialised) image; on ENOSPC
     * gives back the ones taken, so nothing has changed.
     */
    private long[] takeNodes(Journal.Handle handle, FileBlocks fileBlocks, int count) throws DaxException {
        long[] taken = new long[count];
        int got = 0;
        try {
            for (; got < count; got++) {
                int k = nodes.count();
                long phys = fileBlocks.addDirectoryIndexBlock(handle, inode, DirIndexNode.NODE_BASE + k);
                nodes.add(phys);
                fresh(handle, phys);
                taken[got] = phys;
            }
            return taken;
        } catch (DaxException e) {
            while (got > 0) {
                int k = nodes.count() - 1;
                long phys = nodes.get(k);
                images.remove(phys);
                dirty.remove(phys);
                nodes.removeLast();
                fileBlocks.removeDirectoryIndexBlock(handle, inode, DirIndexNode.NODE_BASE + k);
                got--;
            }
            throw e;
        }
    }

    private long fileBlockOf(long nodePhys) {
        for (int k = nodes.count() - 1; k >= 0; k--) {
            if (nodes.get(k) == nodePhys) {
                return DirIndexNode.NODE_BASE + k;
            }
        }
        throw new IllegalStateException("block " + nodePhys + " is not an index node of directory " + inode.ino);
    }

    /** A zeroed image for a block just allocated, marked dirty. */
    private MemorySegment fresh(Journal.Handle handle, long phys) {
        Image im = new Image(CommitBuilder.newBlock());
        images.put(phys, im);
        touched(handle, phys, im);
        return im.bytes;
    }

    /**
     * The image of block {@code phys} for a change, copied from home (checksum, kind and owner
     * verified) the first time; marked dirty. {@code index} is the record block's index, or -1
     * for an index node.
     */
    private MemorySegment writable(Journal.Handle handle, long phys, int kind, int index) throws DaxException {
        Image im = images.get(phys);
        if (im == null) {
            MemorySegment src = home.apply(phys);
            String what = "directory " + inode.ino + (index >= 0 ? " block " + index : " index node " + phys);
            if (src == null) {
                throw new DaxException(Errno.EUCLEAN, what + ": outside the data area");
            }
            BlockHeader.verify(src, kind, what);
            if (BlockHeader.a(src) != inode.ino || index >= 0 && BlockHeader.b(src) != index) {
                throw new DaxException(Errno.EUCLEAN, what + ": belongs to inode " + BlockHeader.a(src) + " block " + BlockHeader.b(src));
            }
            im = new Image(CommitBuilder.newBlock());
            MemorySegment.copy(src, 0, im.bytes, 0, Geometry.BLOCK_SIZE);
            images.put(phys, im);
        }
        touched(handle, phys, im);
        return im.bytes;
    }

    private void touched(Journal.Handle handle, long phys, Image im) {
        dirty.add(phys);
        handle.markDirty(this);
        im.tid = handle.tid();
    }

    /** Drops the images whose home holds them now (committed, not waiting for a commit). */
    private void dropCommittedImages() {
        long done = committed.getAsLong();
        if (images.size() <= IMAGES_KEPT || done <= sweptAt) {
            return; // a sweep per commit at most: nothing became droppable since the last one
        }
        sweptAt = done;
        images.entrySet().removeIf(e -> e.getValue().tid <= done && !dirty.contains(e.getKey()));
    }

    @Override
    public void collect(CommitBuilder b) {
        if (inode.freed) {
            dirty.clear();
            return;
        }
        for (long phys : dirty) {
            b.copyOf(phys, images.get(phys).bytes, true);
        }
        dirty.clear();
    }

    @Override
    public int estimatedBlocks() {
        return Math.max(1, dirty.size());
    }
}
