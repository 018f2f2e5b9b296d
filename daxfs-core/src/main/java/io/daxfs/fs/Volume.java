package io.daxfs.fs;

import io.daxfs.alloc.BlockAllocator;
import io.daxfs.alloc.InodeAllocator;
import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsStat;
import io.daxfs.types.MountOptions;
import io.daxfs.types.RenameOption;
import io.daxfs.device.Device;
import io.daxfs.journal.Journal;
import io.daxfs.journal.JournalScan;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Superblock;

import java.lang.foreign.MemorySegment;
import java.nio.file.OpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongFunction;

/**
 * A mounted daxfs: owns the device, the journal, the allocators and the inode cache, and runs
 * format, validation, mount (journal replay, orphan cleanup) and unmount. Namespace operations
 * live in {@link Namespace}, file data operations in {@link FileIo}.
 */
public final class Volume {
    final Device device;
    final boolean readOnly;
    final Geometry geometry;
    final Journal journal;
    final BlockAllocator blocks;
    final InodeAllocator inodes;
    final InodeCache cache;
    final Orphans orphans;
    final FileBlocks fileBlocks;
    final Namespace namespace;
    final FileIo fileIo;
    private final UUID uuid;
    private final Thread committer;
    private final java.util.Set<OpenFile> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Inodes with written data not yet persisted (added when their dirty set becomes non-empty). */
    final java.util.Set<Inode> dataDirty = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** The DAX layer, once attached; faults, layout breaks and writeback go through it. */
    private volatile DaxCallbacks dax = DaxCallbacks.NONE;
    private final DaxBlocks daxBlocks = new DaxBlocks(this);

    private Volume(Device device, boolean readOnly, Superblock sb, Journal journal, BlockAllocator blocks,
                   InodeAllocator inodes, InodeCache cache, long orphanHead, long commitIntervalMs) {
        this.device = device;
        this.readOnly = readOnly;
        this.geometry = sb.geometry();
        this.uuid = sb.uuid();
        this.journal = journal;
        this.blocks = blocks;
        this.inodes = inodes;
        this.cache = cache;
        this.orphans = new Orphans(cache, orphanHead);
        this.fileBlocks = new FileBlocks(blocks);
        this.namespace = new Namespace(this);
        this.fileIo = new FileIo(this);
        this.committer = readOnly || commitIntervalMs <= 0 ? null : startCommitter(commitIntervalMs);
    }

    // ---------------------------------------------------------------- format

    /** Writes an empty file system onto {@code device}: superblocks last, so a torn format is refused. */
    public static void format(Device device, FormatOptions options) throws DaxException {
        if (device.isReadOnly()) {
            throw new DaxException(Errno.EROFS, "cannot format a read-only device");
        }
        Geometry g = Geometry.compute(device.size(), options.inodes(), options.journalSize());
        MemorySegment seg = device.segment();
        var progress = options.progress();
        long total = g.dataStart();
        // Invalidate any old superblock first: a crash mid-format must not look like the old file system.
        seg.asSlice(0, 2L * Geometry.BLOCK_SIZE).fill((byte) 0);
        device.persist(0, 2L * Geometry.BLOCK_SIZE);
        // The journal ring and the inode table must read as zeros (free records are all-zero).
        zeroUnlessZero(device, g.journalStart(), g.journalBlocks(), progress, "journal", total);
        zeroUnlessZero(device, g.inodeTableStart(), g.inodeTableBlocks(), progress, "inode table", total);
        Orphans.format(block(seg, Geometry.FSINFO_BLOCK));
        InodeAllocator.format(seg, g);
        BlockAllocator.format(seg, g);
        long now = System.currentTimeMillis() * 1_000_000L;
        InodeRecord root = new InodeRecord();
        root.mode = FileType.DIRECTORY.modeBits() | 0755;
        root.nlink = 2;
        root.uid = Ids.uid();
        root.gid = Ids.gid();
        root.atime = root.mtime = root.ctime = root.btime = now;
        root.parent = 1;
        root.generation = 1;
        root.encode(seg, g.inodeOffset(1));
        device.persist(Geometry.FSINFO_BLOCK << Geometry.BLOCK_SHIFT, (g.dataStart() - Geometry.FSINFO_BLOCK) << Geometry.BLOCK_SHIFT);
        device.fence();
        Superblock sb = new Superblock(UUID.randomUUID(), g, 2, 1, 0, 1, Superblock.STATE_CLEAN, now, 0, 0);
        Journal.writeSuperblock(device, sb.withGeneration(1));
        Journal.writeSuperblock(device, sb);
        progress.progress("format", total, total);
    }

    private static void zeroUnlessZero(Device device, long start, long count, io.daxfs.types.ProgressListener p,
                                       String phase, long total) {
        MemorySegment seg = device.segment();
        final long chunk = 256; // 1 MiB
        for (long b = start; b < start + count; b += chunk) {
            long n = Math.min(chunk, start + count - b);
            MemorySegment s = seg.asSlice(b << Geometry.BLOCK_SHIFT, n << Geometry.BLOCK_SHIFT);
            // Reading a sparse hole is cheap and writing it would allocate it: zero only what is not zero.
            if (s.mismatch(MemorySegment.ofArray(new byte[(int) s.byteSize()])) != -1) {
                s.fill((byte) 0);
                device.persist(b << Geometry.BLOCK_SHIFT, n << Geometry.BLOCK_SHIFT);
            }
            p.progress(phase, b + n, total);
        }
    }

    // ---------------------------------------------------------------- validate and mount

    /**
     * Checks, without writing, that {@code device} holds a daxfs this build can mount: both
     * superblock slots, the journal, the allocation bitmaps, the fs info block and the root
     * inode (as they will be after replay). EMEDIUMTYPE or EUCLEAN otherwise.
     */
    public static void validate(Device device) throws DaxException {
        Superblock sb = Superblock.read(device.segment());
        JournalScan.Result scan = JournalScan.scan(device.segment(), sb);
        LongFunction<MemorySegment> reader = overlayReader(device.segment(), sb.geometry(), scan);
        BlockAllocator blocks = BlockAllocator.load(device, sb.geometry(), reader);
        InodeAllocator.load(device, sb.geometry(), reader);
        long orphanHead = Orphans.readHead(reader.apply(Geometry.FSINFO_BLOCK));
        InodeCache cache = new InodeCache(sb.geometry(), reader);
        Inode root = cache.get(1);
        if (!root.isDir()) {
            throw new DaxException(Errno.EUCLEAN, "root inode is not a directory");
        }
        // Mount frees the orphans after its first write: whatever that would trip on must be found here.
        // Runs, not blocks: an orphan may be a huge file. Every run must be in use in the bitmap
        // and no two runs (of any orphans) may overlap, or freeing them would double-free.
        List<long[]> runs = new java.util.ArrayList<>();
        for (long ino : new Orphans(cache, orphanHead).list(sb.geometry().inodeCount())) {
            Inode in = cache.get(ino);
            if (in.nlink != 0) {
                throw new DaxException(Errno.EUCLEAN, "orphan inode " + ino + " still has " + in.nlink + " links");
            }
            in.extents.toList().forEach(e -> runs.add(new long[]{e.physical(), e.length(), ino}));
            for (long c : in.chain) {
                runs.add(new long[]{c, 1, ino});
            }
        }
        runs.sort(java.util.Comparator.comparingLong(r -> r[0]));
        long end = 0;
        for (long[] r : runs) {
            if (r[0] < end || !blocks.allInUse(r[0], r[1])) {
                throw new DaxException(Errno.EUCLEAN, "orphan inode " + r[2] + ": blocks " + r[0] + "+" + r[1]
                        + " are free in the bitmap or owned twice");
            }
            end = r[0] + r[1];
        }
    }

    /**
     * Mounts {@code device}. A read-write mount replays the journal into place; a read-only one
     * (or a read-only device) reads through an in-memory overlay of the replayed blocks and
     * never writes.
     */
    public static Volume mount(Device device, MountOptions options, boolean unused) throws DaxException {
        boolean ro = options.readOnly() || device.isReadOnly();
        Superblock sb = Superblock.read(device.segment());
        JournalScan.Result scan = JournalScan.scan(device.segment(), sb);
        Geometry g = sb.geometry();
        LongFunction<MemorySegment> reader;
        Journal journal = null;
        if (ro) {
            reader = overlayReader(device.segment(), g, scan);
        } else {
            // Validate everything replay will rely on before the first write.
            validate(device);
            sb = Journal.replay(device, sb, scan);
            MemorySegment seg = device.segment();
            reader = b -> block(seg, b);
            journal = new Journal(device, sb);
        }
        BlockAllocator blocks = BlockAllocator.load(device, g, reader);
        InodeAllocator inodes = InodeAllocator.load(device, g, reader);
        long orphanHead = Orphans.readHead(reader.apply(Geometry.FSINFO_BLOCK));
        InodeCache cache = new InodeCache(g, reader);
        Inode root = cache.get(1);
        if (!root.isDir()) {
            throw new DaxException(Errno.EUCLEAN, "root inode is not a directory");
        }
        Volume v = new Volume(device, ro, sb, journal, blocks, inodes, cache, orphanHead, options.commitIntervalMs());
        if (!ro) {
            journal.markMounted(System.currentTimeMillis() * 1_000_000L);
            v.freeOrphans();
        }
        return v;
    }

    private static LongFunction<MemorySegment> overlayReader(MemorySegment seg, Geometry g, JournalScan.Result scan) {
        Map<Long, Long> latest = scan.latestImages();
        if (latest.isEmpty()) {
            return b -> block(seg, b);
        }
        Map<Long, MemorySegment> overlay = new HashMap<>();
        latest.forEach((home, pos) -> overlay.put(home, JournalScan.ringBlock(seg, g, pos)));
        return b -> {
            MemorySegment o = overlay.get(b);
            return o != null ? o : block(seg, b);
        };
    }

    static MemorySegment block(MemorySegment seg, long b) {
        return seg.asSlice(b << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
    }

    /** Frees every inode left on the orphan list by a crash (unlinked while open). */
    private void freeOrphans() throws DaxException {
        for (long ino : orphans.list(geometry.inodeCount())) {
            Inode in = cache.get(ino);
            if (in.nlink != 0) {
                throw new DaxException(Errno.EUCLEAN, "orphan inode " + ino + " still has " + in.nlink + " links");
            }
            namespace.evictNow(in);
        }
    }

    private Thread startCommitter(long intervalMs) {
        Thread t = Thread.ofPlatform().daemon().name("daxfs-commit").unstarted(() -> {
            while (!closed) {
                try {
                    Thread.sleep(intervalMs);
                    if (!closed && journal.hasDirty()) {
                        persistDirtyData();
                        journal.commit();
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (DaxException | RuntimeException e) {
                    return; // the journal is failed and the volume read-only; callers see EROFS
                }
            }
        });
        t.start();
        return t;
    }

    // ---------------------------------------------------------------- API entry points

    public OpenFile open(String path, int mode, OpenOption... options) throws DaxException {
        checkOpen();
        OpenFile f;
        try {
            f = namespace.open(path, mode, options);
        } catch (RuntimeException e) {
            throw internalError("open", e);
        }
        open.add(f);
        return f;
    }

    void closed(OpenFile f) {
        open.remove(f);
    }

    /**
     * Another handle on the file of {@code f}, with the same access (a mapping holds one, so
     * that the file outlives a close of the handle it was mapped through, as with mmap).
     */
    public OpenFile reopen(OpenFile f) throws DaxException {
        checkOpen();
        OpenFile dup = namespace.reopen(f);
        open.add(dup);
        return dup;
    }

    /** Registers the DAX layer. Called once, right after mount, before any file is mapped. */
    public void attachDax(DaxCallbacks callbacks) {
        dax = callbacks;
    }

    DaxCallbacks dax() {
        return dax;
    }

    /** The free-space allocator (the DAX layer tells it which blocks are still referenced). */
    public io.daxfs.alloc.BlockAllocator blockAllocator() {
        return blocks;
    }

    /** Block-mapping services for DAX faults. */
    public DaxBlocks daxBlocks() {
        return daxBlocks;
    }

    public void mkdir(String path, int mode) throws DaxException {
        checkWritable();
        try {
            namespace.mkdir(path, mode);
        } catch (RuntimeException e) {
            throw internalError("mkdir", e);
        }
    }

    public void rmdir(String path) throws DaxException {
        checkWritable();
        try {
            namespace.rmdir(path);
        } catch (RuntimeException e) {
            throw internalError("rmdir", e);
        }
    }

    public List<DirEntry> readdir(String path, long cookie, int max) throws DaxException {
        checkOpen();
        return namespace.readdir(path, cookie, max);
    }

    public void unlink(String path) throws DaxException {
        checkWritable();
        try {
            namespace.unlink(path);
        } catch (RuntimeException e) {
            throw internalError("unlink", e);
        }
    }

    public void rename(String from, String to, RenameOption... options) throws DaxException {
        checkWritable();
        try {
            namespace.rename(from, to, options);
        } catch (RuntimeException e) {
            throw internalError("rename", e);
        }
    }

    public void link(String existing, String newPath) throws DaxException {
        checkWritable();
        try {
            namespace.link(existing, newPath);
        } catch (RuntimeException e) {
            throw internalError("link", e);
        }
    }

    public void symlink(String target, String linkPath) throws DaxException {
        checkWritable();
        try {
            namespace.symlink(target, linkPath);
        } catch (RuntimeException e) {
            throw internalError("symlink", e);
        }
    }

    public String readlink(String path) throws DaxException {
        checkOpen();
        return namespace.readlink(path);
    }

    public FileStat stat(String path, boolean follow) throws DaxException {
        checkOpen();
        return namespace.resolve(path, follow).stat();
    }

    public void chmod(String path, int mode) throws DaxException {
        checkWritable();
        try {
            namespace.chmod(path, mode);
        } catch (RuntimeException e) {
            throw internalError("chmod", e);
        }
    }

    public void chown(String path, int uid, int gid) throws DaxException {
        checkWritable();
        try {
            namespace.chown(path, uid, gid);
        } catch (RuntimeException e) {
            throw internalError("chown", e);
        }
    }

    public void utimes(String path, long atimeNs, long mtimeNs) throws DaxException {
        checkWritable();
        try {
            namespace.utimes(path, atimeNs, mtimeNs);
        } catch (RuntimeException e) {
            throw internalError("utimes", e);
        }
    }

    // ---------------------------------------------------------------- by inode number (io.daxfs.api.DaxInodes)

    /** A change made through the inode API; a runtime failure becomes EIO (see {@link #internalError}). */
    @FunctionalInterface
    private interface Change<T> {
        T run() throws DaxException;
    }

    private <T> T change(String op, Change<T> c) throws DaxException {
        checkWritable();
        try {
            return c.run();
        } catch (RuntimeException e) {
            throw internalError(op, e);
        }
    }

    private Inode dirArg(long dir, String name) throws DaxException {
        Namespace.checkName(name, Namespace.at(dir, name));
        return namespace.byIno(dir);
    }

    public FileStat getattrIno(long ino) throws DaxException {
        checkOpen();
        return namespace.byIno(ino).stat();
    }

    public FileStat lookupAt(long dir, String name) throws DaxException {
        checkOpen();
        String what = Namespace.at(dir, name);
        Namespace.checkName(name, what);
        return namespace.lookupAt(namespace.byIno(dir), name, what).stat();
    }

    public int generationIno(long ino) throws DaxException {
        checkOpen();
        Inode in = namespace.byIno(ino);
        in.meta.lock();
        try {
            return in.generation;
        } finally {
            in.meta.unlock();
        }
    }

    /** Creates a directory, regular file or symlink (per the type bits of {@code fullMode}) in {@code dir}. */
    public FileStat makeAt(long dir, String name, int fullMode, String target, int uid, int gid) throws DaxException {
        String what = Namespace.at(dir, name);
        byte[] t = target == null ? null : Namespace.symlinkTarget(target, what);
        return change("create", () -> namespace.makeAt(dirArg(dir, name), name, what, fullMode, t, uid, gid)).stat();
    }

    public OpenFile createAt(long dir, String name, int mode, int uid, int gid, boolean exclusive,
                             OpenOption... options) throws DaxException {
        OpenFile f = change("create", () -> namespace.createAt(dirArg(dir, name), name, Namespace.at(dir, name),
                mode, uid, gid, exclusive, options));
        open.add(f);
        return f;
    }

    public OpenFile openIno(long ino, OpenOption... options) throws DaxException {
        Namespace.OpenFlags fl = Namespace.OpenFlags.of(options);
        checkOpen();
        OpenFile f;
        try {
            Inode in = namespace.byIno(ino);
            if (fl.write() && readOnly) {
                throw new DaxException(Errno.EROFS, "inode " + ino + ": file system is mounted read-only");
            }
            f = namespace.openInode(in, "inode " + ino, options);
        } catch (RuntimeException e) {
            throw internalError("open", e);
        }
        open.add(f);
        return f;
    }

    public String readlinkIno(long ino) throws DaxException {
        checkOpen();
        return namespace.readlink(namespace.byIno(ino), "inode " + ino);
    }

    public void unlinkAt(long dir, String name) throws DaxException {
        change("unlink", () -> {
            namespace.unlinkAt(dirArg(dir, name), name, Namespace.at(dir, name), false);
            return null;
        });
    }

    public void rmdirAt(long dir, String name) throws DaxException {
        change("rmdir", () -> {
            namespace.rmdirAt(dirArg(dir, name), name, Namespace.at(dir, name));
            return null;
        });
    }

    public void renameAt(long dir, String name, long newDir, String newName, RenameOption... options)
            throws DaxException {
        Namespace.RenameFlags f = Namespace.RenameFlags.of(options);
        change("rename", () -> {
            Inode a = dirArg(dir, name);
            Inode b = dirArg(newDir, newName);
            namespace.renameAt(a, name, b, newName, Namespace.at(dir, name), Namespace.at(newDir, newName),
                    false, null, f);
            return null;
        });
    }

    public FileStat linkAt(long ino, long newDir, String newName) throws DaxException {
        return change("link", () -> {
            Inode src = namespace.byIno(ino);
            namespace.linkAt(src, "inode " + ino, dirArg(newDir, newName), newName, Namespace.at(newDir, newName));
            return src.stat();
        });
    }

    public List<DirEntry> readdirIno(long dir, long cookie, int max) throws DaxException {
        checkOpen();
        return namespace.readdir(namespace.byIno(dir), "directory inode " + dir, cookie, max);
    }

    /** See {@link io.daxfs.api.DaxInodes#setattr}: -1 (or UTIME_OMIT for times) leaves a field unchanged. */
    public FileStat setattrIno(long ino, int mode, int uid, int gid, long size, long atimeNs, long mtimeNs)
            throws DaxException {
        return change("setattr", () -> {
            Inode in = namespace.byIno(ino);
            namespace.setattr(in, "inode " + ino, mode, uid, gid, size, atimeNs, mtimeNs);
            return in.stat();
        });
    }

    public FsStat statfs() {
        return new FsStat(Geometry.BLOCK_SIZE, geometry.totalBlocks(), blocks.freeBlocks(), inodes.count() - 1,
                inodes.freeCount(), 255, uuid.toString());
    }

    /** Persists all written file data, then commits the journal. */
    public void sync() throws DaxException {
        checkOpen();
        if (readOnly) {
            return;
        }
        persistDirtyData();
        journal.commit();
    }

    /**
     * Persists the written data of every file before a commit, so that a committed size never
     * covers data still only in the CPU cache or page cache (ordered data, as ext4's default).
     * Caller holds no lock: this takes each file's I/O lock in turn.
     */
    void persistDirtyData() {
        for (Inode in : dataDirty) {
            fileIo.persistData(in);
        }
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    public Device device() {
        return device;
    }

    public Geometry geometry() {
        return geometry;
    }

    /** The block-map changes ({@link FileBlocks}), for the DAX layer. */
    public FileBlocks fileBlocks() {
        return fileBlocks;
    }

    public Journal journal() {
        return journal;
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Unmounts: closes every open file (freeing unlinked ones), makes everything durable,
     * checkpoints, marks the superblock clean and closes the device. Idempotent.
     */
    public synchronized void close() throws DaxException {
        if (closed) {
            return;
        }
        DaxException failure = null;
        try {
            // Mappings first: they hold files open, and no window may outlive its blocks.
            dax.unmount();
            for (OpenFile f : List.copyOf(open)) {
                try {
                    f.close();
                } catch (DaxException e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (!readOnly) {
                sync();
                journal.closeClean();
            }
        } catch (DaxException e) {
            failure = failure == null ? e : failure;
        } finally {
            closed = true;
            if (committer != null) {
                committer.interrupt();
                try {
                    committer.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            device.close();
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Turns an unexpected runtime failure of an operation into EIO. The operation may have left
     * in-memory metadata half changed, so the journal is aborted first: nothing more is
     * committed, the device keeps its last committed (consistent) state, and the volume is
     * read-only from now on.
     */
    DaxException internalError(String op, RuntimeException e) {
        if (journal != null) {
            journal.abort(e);
        }
        return new DaxException(Errno.EIO, op + ": internal error (" + e + "); the file system is now read-only", e);
    }

    void checkOpen() throws DaxException {
        if (closed) {
            throw new DaxException(Errno.EIO, "file system is unmounted");
        }
    }

    void checkWritable() throws DaxException {
        checkOpen();
        if (readOnly) {
            throw new DaxException(Errno.EROFS, "file system is mounted read-only");
        }
        if (journal.isFailed()) {
            throw new DaxException(Errno.EROFS, "file system went read-only after an internal error");
        }
    }
}
