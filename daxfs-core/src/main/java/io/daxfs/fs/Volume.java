package io.daxfs.fs;

import io.daxfs.alloc.BlockAllocator;
import io.daxfs.alloc.InodeAllocator;
import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FsStat;
import io.daxfs.types.RenameOption;
import io.daxfs.device.Device;
import io.daxfs.journal.Journal;
import io.daxfs.media.Geometry;
import io.daxfs.media.Superblock;

import java.nio.file.OpenOption;
import java.util.List;
import java.util.UUID;

/**
 * A mounted daxfs: owns the device, the journal, the allocators and the inode cache, runs the
 * background commit and unmount. {@link Mounter} builds one; {@link VolumeFormatter} writes an
 * empty one. Namespace operations live in {@link Namespace}, file data operations in
 * {@link FileIo}.
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
    final HoleFiller holeFiller;
    final FileLayout fileLayout;
    final DirtyData dirtyData;
    private final UUID uuid;
    private final Thread committer;
    private final java.util.Set<OpenFile> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** The DAX layer, once attached; faults, layout breaks and writeback go through it. */
    private volatile DaxCallbacks dax = DaxCallbacks.NONE;
    private final DaxBlocks daxBlocks = new DaxBlocks(this);

    Volume(Device device, boolean readOnly, Superblock sb, Journal journal, BlockAllocator blocks,
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
        this.holeFiller = new HoleFiller(this);
        this.fileLayout = new FileLayout(this);
        this.dirtyData = new DirtyData(this);
        this.committer = readOnly || commitIntervalMs <= 0 ? null : startCommitter(commitIntervalMs);
    }

    private Thread startCommitter(long intervalMs) {
        Thread t = Thread.ofPlatform().daemon().name("daxfs-commit").unstarted(() -> {
            while (!closed) {
                try {
                    Thread.sleep(intervalMs);
                    if (!closed && journal.hasDirty()) {
                        dirtyData.persistAll();
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
        dirtyData.persistAll();
        journal.commit();
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

    /** The block fileBlocks, for the DAX layer. */
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
