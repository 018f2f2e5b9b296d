package io.daxfs.fs;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;
import io.daxfs.lock.OrderedRwLock;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileNames;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.PosixAcl;
import io.daxfs.journal.CommitBuilder;
import io.daxfs.journal.DirtySource;
import io.daxfs.journal.Journal;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.XattrTable;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongFunction;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * An inode in memory: the authoritative copy of the on-device record while the file system is
 * mounted. Loaded inodes stay in the {@link InodeCache} until freed.
 *
 * <h2>Locks (see docs/LOCKING.md)</h2>
 * <ul>
 * <li>{@link #io}: the I/O lock. read() shared; write(), truncate and the fallocate family
 *     exclusive. Guards the extent map's readers against its writers.</li>
 * <li>{@link #invalidate}: the invalidate lock. Faults shared (DAX layer); truncate, punch,
 *     collapse, insert and zero range exclusive, inside the I/O lock.</li>
 * <li>{@link #blockMap}: the block-map lock: serialises adding blocks (write(), fallocate,
 *     DAX write faults) before the journal handle is opened.</li>
 * <li>{@link #dirLock}: directories only: serialises changes to the entries.</li>
 * <li>{@link #life}: link and open counts, and the decision to free the inode; it also
 *     serialises changes of the extended attributes (which may allocate or free their blocks,
 *     and must not race with the inode being freed).</li>
 * <li>{@link #meta}: the attribute lock. Short; guards the scalar attributes against the commit
 *     that encodes them. Never held while opening a journal handle.</li>
 * </ul>
 * The extent map and chain change only with {@link #io} exclusive (or, for directories and
 * symlinks, {@link #dirLock}/creation) and an open journal handle.
 */
public final class Inode implements DirtySource {
    final long ino;
    final Geometry geometry;
    // Made on first use (see io()): most cached inodes are only looked up and stat'ed, and a
    // directory never takes the three file locks, nor a file the directory lock.
    private volatile OrderedRwLock io;
    private volatile OrderedRwLock invalidate;
    private volatile OrderedLock blockMap;
    private volatile OrderedLock dirLock;
    /** Serialises link-count and open-count transitions (unlink, link, open, last close, eviction). */
    final OrderedLock life;
    final OrderedLock meta;
    /** Open handles, guarded by {@link #life}; the inode is freed when this and nlink reach 0. */
    int openCount;

    // Attributes, guarded by meta.
    int mode;
    int nlink;
    int uid;
    int gid;
    long size;
    long atime;
    /** The device number of a device node (0 for every other type); fixed at creation. */
    long rdev;
    long mtime;
    long ctime;
    long btime;
    long parent;
    int generation;
    int flags;
    // Orphan list links, changed only under the Orphans lock; read by collect (no handle open).
    volatile long orphanNext;
    volatile long orphanPrev;

    /** Data, directory and symlink blocks (not the extent chain). */
    final ExtentMap extents;
    /** Device blocks holding the extents past the inline ones, in chain order. */
    volatile long[] chain = NO_BLOCKS;
    /** The extent list changed since the last commit: the chain must be rewritten. */
    boolean extentsDirty;
    /**
     * Extended attributes: the table, and the device blocks of its chain. Changed under
     * {@link #life} and {@link #meta} together (see {@link Xattrs}); read under either.
     */
    XattrTable xattrs = XattrTable.EMPTY;
    long[] xattrChain = NO_BLOCKS;
    /** The table changed since the last commit: its chain must be rewritten. */
    boolean xattrsDirty;
    static final long[] NO_BLOCKS = new long[0];
    /** Symlink target (symlinks only). */
    byte[] target;
    /** Loaded directory contents (directories only; null until first use). */
    volatile Directory dir;
    /** The inode was freed (unlinked and closed): no operation may use it any more. */
    volatile boolean freed;
    /**
     * Nameless and unopened, and being freed in the background in bounded steps (a huge file):
     * as good as freed to every lookup, but its record keeps its blocks until the last step.
     */
    volatile boolean reaping;
    /**
     * Where this object stands in the {@link InodeCache}: {@link #CACHED}, {@link #EVICTING}
     * (marked by the evictor, which drops it after a grace period unless someone looks it up
     * meanwhile, which takes it back), or {@link #DROPPED} (out of the cache; a lookup loads the
     * inode again from the device).
     */
    private volatile int cacheState;
    static final int CACHED = 0, EVICTING = 1, DROPPED = 2;
    /** Looked up since the evictor last passed (its second-chance bit). */
    private volatile boolean referenced = true;
    private static final VarHandle CACHE_STATE;
    private static final VarHandle IO;
    private static final VarHandle INVALIDATE;
    private static final VarHandle BLOCK_MAP;
    private static final VarHandle DIR_LOCK;
    /** Data written in place and not yet known durable; guarded by {@link #meta}. */
    final DirtyChunks dirtyChunks = new DirtyChunks();
    /**
     * Ids of the transactions carrying this inode's newest changes (see {@link Journal}): any
     * change ({@code metaTid}, what fsync waits for), a change fdatasync must make durable: size
     * or block map, not times ({@code dataTid}), and the newest addition of blocks
     * ({@code allocTid}, what msync and a synchronous fault wait for). Only ever raised.
     */
    private volatile long metaTid;
    private volatile long dataTid;
    private volatile long allocTid;
    private static final VarHandle META_TID;
    private static final VarHandle DATA_TID;
    private static final VarHandle ALLOC_TID;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            META_TID = l.findVarHandle(Inode.class, "metaTid", long.class);
            DATA_TID = l.findVarHandle(Inode.class, "dataTid", long.class);
            ALLOC_TID = l.findVarHandle(Inode.class, "allocTid", long.class);
            CACHE_STATE = l.findVarHandle(Inode.class, "cacheState", int.class);
            IO = l.findVarHandle(Inode.class, "io", OrderedRwLock.class);
            INVALIDATE = l.findVarHandle(Inode.class, "invalidate", OrderedRwLock.class);
            BLOCK_MAP = l.findVarHandle(Inode.class, "blockMap", OrderedLock.class);
            DIR_LOCK = l.findVarHandle(Inode.class, "dirLock", OrderedLock.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /** Most names a file may have, and most subdirectories a directory may have. */
    static final int MAX_LINKS = 65000;

    Inode(long ino, Geometry geometry, ExtentMap extents) {
        this.ino = ino;
        this.geometry = geometry;
        this.extents = extents;
        this.life = new OrderedLock(LockLevel.LIFE, "life", ino);
        this.meta = new OrderedLock(LockLevel.ATTRIBUTES, "attr", ino);
    }

    public long ino() {
        return ino;
    }

    // The lazily made locks: the first caller makes one and publishes it with a compare-and-set,
    // so every thread gets the same object however many race to make it.

    /** The I/O lock ({@link LockLevel#IO}). */
    OrderedRwLock io() {
        OrderedRwLock l = io;
        return l != null ? l : (OrderedRwLock) made(IO, new OrderedRwLock(LockLevel.IO, "io", ino));
    }

    /** The invalidate lock ({@link LockLevel#INVALIDATE}). */
    OrderedRwLock invalidate() {
        OrderedRwLock l = invalidate;
        return l != null ? l : (OrderedRwLock) made(INVALIDATE, new OrderedRwLock(LockLevel.INVALIDATE, "invalidate", ino));
    }

    /** The block-map lock ({@link LockLevel#BLOCKMAP}). */
    OrderedLock blockMap() {
        OrderedLock l = blockMap;
        return l != null ? l : (OrderedLock) made(BLOCK_MAP, new OrderedLock(LockLevel.BLOCKMAP, "blockmap", ino));
    }

    /** The directory lock ({@link LockLevel#DIRECTORY}). */
    OrderedLock dirLock() {
        OrderedLock l = dirLock;
        return l != null ? l : (OrderedLock) made(DIR_LOCK, new OrderedLock(LockLevel.DIRECTORY, "dir", ino));
    }

    private Object made(VarHandle field, Object fresh) {
        Object won = field.compareAndExchange(this, null, fresh);
        return won == null ? fresh : won;
    }

    @Override
    public void dirtied(long tid, boolean content) {
        raise(META_TID, tid);
        if (content) {
            raise(DATA_TID, tid);
        }
    }

    /** Blocks were added to the file's block map in transaction {@code tid}. */
    void blocksAdded(long tid) {
        raise(ALLOC_TID, tid);
        raise(DATA_TID, tid);
        raise(META_TID, tid);
    }

    /** The transaction fsync ({@code !dataOnly}) or fdatasync must wait for. */
    long syncTid(boolean dataOnly) {
        return dataOnly ? dataTid : metaTid;
    }

    /**
     * A lookup found this object in the cache: marks it referenced, and takes it back from an
     * eviction in progress. False when it was dropped already (the caller loads it anew).
     */
    boolean touch() {
        if (!referenced) {
            referenced = true;
        }
        int s = cacheState;
        return s == CACHED || s == EVICTING && CACHE_STATE.compareAndSet(this, EVICTING, CACHED)
                || cacheState == CACHED;
    }

    /** The evictor's second chance: clears the referenced bit and says whether it was set. */
    boolean clearReferenced() {
        boolean was = referenced;
        if (was) {
            referenced = false;
        }
        return was;
    }

    boolean markEvicting() {
        return CACHE_STATE.compareAndSet(this, CACHED, EVICTING);
    }

    /** Ends an eviction: true when nobody took the object back since {@link #markEvicting}. */
    boolean drop() {
        return CACHE_STATE.compareAndSet(this, EVICTING, DROPPED);
    }

    /** The highest transaction id that carries a change of this inode. */
    long lastChangeTid() {
        return metaTid;
    }

    /**
     * Roughly how much heap this object holds: the object and its locks, the extent map, the
     * symlink target, the extended attributes and, for a loaded directory, its entries and
     * block copies. What the cache budget counts; measured, not exact (a stat'ed inode with no
     * lock made yet but its life and attribute locks took 861 bytes, a loaded directory 139
     * bytes per entry, JDK 25, compressed oops).
     */
    long estimatedBytes() {
        Directory d = dir;
        byte[] t = target;
        return 900 + 96L * extents.count() + 8L * chain.length + 8L * xattrChain.length + xattrs.byteSize()
                + (t == null ? 0 : t.length) + (d == null ? 0 : d.estimatedBytes());
    }

    /** The transaction that made the newest blocks of this file reachable. */
    public long allocTid() {
        return allocTid;
    }

    private void raise(VarHandle h, long tid) {
        for (long cur = (long) h.getVolatile(this); cur < tid; cur = (long) h.getVolatile(this)) {
            if (h.compareAndSet(this, cur, tid)) {
                return;
            }
        }
    }

    /**
     * The invalidate lock, for the DAX layer: faults hold it shared; the layout-changing
     * operations of {@link FileLayout} hold it exclusive.
     */
    public OrderedRwLock invalidateLock() {
        return invalidate();
    }

    /** The file size now (a snapshot under the attribute lock). */
    public long currentSize() {
        meta.lock();
        try {
            return size;
        } finally {
            meta.unlock();
        }
    }

    public FileType type() {
        return FileType.ofMode(mode);
    }

    boolean isDir() {
        return (mode & FileType.S_IFMT) == FileType.DIRECTORY.modeBits();
    }

    boolean isRegular() {
        return (mode & FileType.S_IFMT) == FileType.REGULAR.modeBits();
    }

    boolean isSymlink() {
        return (mode & FileType.S_IFMT) == FileType.SYMLINK.modeBits();
    }

    /** Blocks owned: mapped blocks plus extent chain and xattr chain blocks. */
    long ownedBlocks() {
        return extents.blocks() + chain.length + xattrChain.length;
    }

    FileStat stat() {
        meta.lock();
        try {
            return new FileStat(ino, type(), mode, nlink, uid, gid, size, ownedBlocks() * (Geometry.BLOCK_SIZE / 512),
                    atime, mtime, ctime, btime, rdev);
        } finally {
            meta.unlock();
        }
    }

    /** The current time as an inode timestamp: nanoseconds since the epoch. */
    static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /**
     * Updates this directory's times, and its link count by {@code nlinkDelta}, after a change of
     * its entries made in handle {@code h}. Caller holds its dirLock.
     */
    void entriesChanged(Journal.Handle h, int nlinkDelta) {
        meta.lock();
        try {
            nlink += nlinkDelta;
            mtime = ctime = now();
        } finally {
            meta.unlock();
        }
        h.markDirty(this);
    }

    /** Decodes a record read from the device, reading its extent chain through {@code blocks}. */
    static Inode fromRecord(long ino, Geometry g, InodeRecord r, LongFunction<MemorySegment> blocks) throws DaxException {
        List<Extent> list = new ArrayList<>(r.inlineExtents(ino));
        if (r.extentBlockCount != chainBlocksFor(r.extentCount) || r.extentBlockCount > g.dataBlocks()) {
            // Checked before the chain array is sized by it: a damaged count must not exhaust the heap.
            throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": " + r.extentBlockCount + " extent blocks for "
                    + r.extentCount + " extents");
        }
        long[] chain = new long[r.extentBlockCount];
        long next = r.extentHead;
        for (int i = 0; i < r.extentBlockCount; i++) {
            if (!g.isDataBlock(next)) {
                throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": extent block pointer " + next + " out of range");
            }
            chain[i] = next;
            MemorySegment blk = blocks.apply(next);
            BlockHeader.verify(blk, BlockHeader.EXTENTS, "inode " + ino + " extent block");
            list.addAll(InodeRecord.blockExtents(blk, ino));
            next = BlockHeader.b(blk);
        }
        if (next != 0 || list.size() != r.extentCount) {
            throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": extent chain does not match the extent count");
        }
        long prevEnd = -1;
        for (Extent e : list) {
            if (e.logical() < prevEnd || !g.isDataBlock(e.physical()) || e.physicalEnd() > g.totalBlocks()) {
                throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": extent " + e + " overlaps or lies outside the data area");
            }
            prevEnd = e.logicalEnd();
        }
        long[] xchain = r.xattrBlockCount == 0 ? NO_BLOCKS : new long[r.xattrBlockCount];
        XattrTable xattrs = XattrTable.read(ino, r.xattrHead, r.xattrBlockCount, g, blocks, xchain);
        for (XattrTable.Entry e : xattrs.entries()) {
            // Stored ACLs are used without a check later (chmod rewrites them): check them here.
            if (e.namespace() >= XattrTable.ACL_ACCESS) {
                try {
                    PosixAcl.parse(e.value());
                } catch (DaxException x) {
                    throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": stored ACL is damaged (" + x.detail() + ")");
                }
            }
        }
        Inode in = new Inode(ino, g, new ExtentMap(list));
        in.chain = chain;
        in.xattrs = xattrs;
        in.xattrChain = xchain;
        in.mode = r.mode;
        in.nlink = r.nlink;
        in.uid = r.uid;
        in.gid = r.gid;
        in.size = r.size;
        in.atime = r.atime;
        in.mtime = r.mtime;
        in.ctime = r.ctime;
        in.btime = r.btime;
        in.parent = r.parent;
        in.generation = r.generation;
        in.flags = r.flags;
        in.orphanNext = r.orphanNext;
        in.orphanPrev = r.orphanPrev;
        if ((r.flags & InodeRecord.FLAG_INLINE_TARGET) != 0) {
            in.target = Arrays.copyOf(r.inline, (int) r.size);
        }
        if (r.type().isSpecial()) {
            in.rdev = r.rdev();
        }
        return in;
    }

    /** The record as it should be on the device now (caller holds meta or runs in collect). */
    InodeRecord toRecord() {
        InodeRecord r = new InodeRecord();
        if (freed) {
            return r; // all zero: free
        }
        r.mode = mode;
        r.nlink = nlink;
        r.uid = uid;
        r.gid = gid;
        r.size = size;
        r.blocks = ownedBlocks();
        r.atime = atime;
        r.mtime = mtime;
        r.ctime = ctime;
        r.btime = btime;
        r.parent = parent;
        r.generation = generation;
        r.flags = flags;
        r.orphanNext = orphanNext;
        r.orphanPrev = orphanPrev;
        List<Extent> list = extents.toList();
        r.extentCount = list.size();
        r.extentBlockCount = chain.length;
        r.extentHead = chain.length == 0 ? 0 : chain[0];
        r.xattrBlockCount = xattrChain.length;
        r.xattrHead = xattrChain.length == 0 ? 0 : xattrChain[0];
        if ((flags & InodeRecord.FLAG_INLINE_TARGET) != 0) {
            System.arraycopy(target, 0, r.inline, 0, target.length);
        } else {
            r.setInlineExtents(list);
        }
        if (type().isSpecial()) {
            r.rdev(rdev); // no extents: the inline area holds the device number
        }
        return r;
    }

    /** Chain blocks needed for {@code n} extents. */
    static int chainBlocksFor(int n) {
        return n <= InodeRecord.INLINE_EXTENTS ? 0
                : (n - InodeRecord.INLINE_EXTENTS + InodeRecord.EXTENTS_PER_BLOCK - 1) / InodeRecord.EXTENTS_PER_BLOCK;
    }

    @Override
    public void collect(CommitBuilder b) {
        meta.lock();
        try {
            InodeRecord r = toRecord();
            long blk = geometry.inodeBlock(ino);
            MemorySegment img = b.fromHome(blk, false);
            r.encode(img, (ino % InodeRecord.PER_BLOCK) * InodeRecord.SIZE);
            if (extentsDirty && !freed && chain.length > 0) { // a small file's extents are all in its record
                List<Extent> list = extents.toList();
                int from = InodeRecord.INLINE_EXTENTS;
                for (int i = 0; i < chain.length; i++) {
                    int to = Math.min(list.size(), from + InodeRecord.EXTENTS_PER_BLOCK);
                    long next = i + 1 < chain.length ? chain[i + 1] : 0;
                    InodeRecord.fillExtentBlock(b.fresh(chain[i], false), ino, list, from, to, next);
                    from = to;
                }
            }
            if (extentsDirty && !freed && isSymlink() && (flags & InodeRecord.FLAG_INLINE_TARGET) == 0) {
                MemorySegment t = b.fresh(extents.find(0).physical(), true);
                BlockHeader.init(t, BlockHeader.SYMLINK, ino, target.length, 0);
                MemorySegment.copy(target, 0, t, java.lang.foreign.ValueLayout.JAVA_BYTE, BlockHeader.SIZE, target.length);
            }
            extentsDirty = false;
            if (xattrsDirty && !freed) {
                long[] xc = xattrChain;
                for (int i = 0; i < xc.length; i++) {
                    xattrs.fillBlock(b.fresh(xc[i], false), ino, i, i + 1 < xc.length ? xc[i + 1] : 0);
                }
            }
            xattrsDirty = false;
            if (isRegular()) {
                orderData(b);
            }
        } finally {
            meta.unlock();
        }
    }

    /**
     * Ordered data: the bytes written to this file that may not be durable yet must be, before
     * the commit block of a transaction that carries this inode (its size, its blocks). The
     * dirty chunks move to the commit, which flushes them with every chunk another persist
     * still has in flight. Caller holds {@link #meta}; the extent map is stable (no handle is open).
     */
    private void orderData(CommitBuilder b) {
        BitSet chunks = dirtyChunks.unpersisted();
        if (chunks.isEmpty()) {
            return;
        }
        BitSet taken = dirtyChunks.take();
        DirtyData.forEachDeviceRange(this, chunks, b::persistFirst);
        if (taken != null) {
            b.afterDataPersisted(() -> {
                meta.lock();
                try {
                    dirtyChunks.done(taken);
                } finally {
                    meta.unlock();
                }
            });
        }
    }

    @Override
    public int estimatedBlocks() {
        // What collect writes besides the record's inode-table block (the shared block): the
        // extent chain and a symlink's target block when the extents changed, the xattr chain.
        boolean targetBlock = isSymlink() && (flags & InodeRecord.FLAG_INLINE_TARGET) == 0;
        return (extentsDirty ? chain.length + (targetBlock ? 1 : 0) : 0) + (xattrsDirty ? xattrChain.length : 0);
    }

    @Override
    public long sharedBlock() {
        return geometry.inodeBlock(ino);
    }

    String targetString() {
        return FileNames.fromBytes(target);
    }

    @Override
    public String toString() {
        return "inode " + ino;
    }
}
