package io.daxfs.fs;

import io.daxfs.alloc.BlockAllocator;
import io.daxfs.alloc.InodeAllocator;
import io.daxfs.device.Device;
import io.daxfs.device.MediaErrors;
import io.daxfs.journal.Journal;
import io.daxfs.media.Geometry;
import io.daxfs.media.Superblock;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FsStat;
import io.daxfs.types.MountOptions;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * A mounted daxfs: owns the device, the journal, the allocators, the inode cache and the open
 * files, holds the parts that do the work (they share the volume's state through it), runs the
 * background commit, and unmounts. {@link Mounter} builds one; {@link VolumeFormatter} writes an
 * empty one.
 *
 * <p>The API reaches the namespace through {@link #lookup}, {@link #opener}, {@link #creator},
 * {@link #unlinker}, {@link #renamer} and {@link #attributes}, and file data through
 * {@link OpenFile}. Each operation runs through {@link #change} (or {@link #guarded} when it may
 * run on a read-only volume), the one place where an unexpected failure becomes EIO and turns
 * the volume read-only; reads, queries and syncs, whose runtime exceptions may be the caller's,
 * run through {@link #onDevice}, which does the same for media errors only.
 *
 * <h2>Media errors</h2>
 * A device access the medium cannot serve ({@link MediaErrors}: SIGBUS on the mapping, a failed
 * write-back) fails its operation with EIO and aborts the journal before anything else can be
 * committed, so the device keeps its last committed state. From then on the volume is read-only
 * (EROFS), and unmount writes nothing more to the device: no commit, no checkpoint, no clean
 * superblock; it reports that the image was not closed cleanly.
 *
 * <p>Locks: none of its own. Unmount takes, per path, the locks docs/LOCKING.md lists for it.
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
    // The namespace.
    final Lookup lookup;
    final Opener opener;
    final Creator creator;
    final Unlinker unlinker;
    final Renamer renamer;
    final Attributes attributes;
    final Xattrs xattrs;
    // File data.
    final FileIo fileIo;
    final HoleFiller holeFiller;
    final FileLayout fileLayout;
    final DirtyData dirtyData;
    final Reaper reaper;
    final AccessTimes accessTimes;
    private final UUID uuid;
    private final Thread committer;
    private final Set<OpenFile> openFiles = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** The DAX layer, once attached; faults, layout breaks and writeback go through it. */
    private volatile DaxCallbacks dax = DaxCallbacks.NONE;
    private final DaxBlocks daxBlocks = new DaxBlocks(this);
    /** The running operations, for the evictor's grace periods. */
    final Operations operations = new Operations();
    private volatile Evictor evictor;
    /** Test hooks of the durability path; {@link FsHooks#NONE} but in tests. */
    volatile FsHooks hooks = FsHooks.NONE;

    Volume(Device device, boolean readOnly, Superblock sb, Journal journal, BlockAllocator blocks,
           InodeAllocator inodes, InodeCache cache, long orphanHead, long commitIntervalMs, MountOptions.Atime atime,
           boolean freeInBackground) {
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
        this.lookup = new Lookup(this);
        this.opener = new Opener(this);
        this.creator = new Creator(this);
        this.unlinker = new Unlinker(this);
        this.renamer = new Renamer(this);
        this.attributes = new Attributes(this);
        this.xattrs = new Xattrs(this);
        this.fileIo = new FileIo(this);
        this.holeFiller = new HoleFiller(this);
        this.fileLayout = new FileLayout(this);
        this.dirtyData = new DirtyData(this);
        this.reaper = new Reaper(this, freeInBackground && !readOnly);
        this.accessTimes = new AccessTimes(this, atime);
        this.committer = readOnly || commitIntervalMs <= 0 ? null : startCommitter(commitIntervalMs);
    }

    /**
     * The commit timer: every {@code intervalMs} a commit of whatever is dirty, so a crash of
     * the process loses at most that much. A failure here has no caller to report to, so it
     * aborts the journal (the volume turns read-only; every later change and fsync gets EROFS,
     * the first with the cause) and says so in one log line, and the timer stops.
     */
    private Thread startCommitter(long intervalMs) {
        Thread t = Thread.ofPlatform().daemon().name("daxfs-commit").unstarted(() -> {
            while (!closed) {
                try {
                    Thread.sleep(intervalMs);
                    if (!closed && journal.hasDirty()) {
                        journal.commit(); // carries the data of the files it commits (ordered data)
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable e) {
                    backgroundFailure("background commit", e);
                    return;
                }
            }
        });
        t.start();
        return t;
    }

    private static final System.Logger LOG = System.getLogger("io.daxfs");

    /**
     * A failure of work no caller waits for: aborts the journal, so nothing half done is ever
     * committed, and logs one line. The JVM's own errors (out of memory or stack) are rethrown
     * after that; an InternalError is a media error (see {@link MediaErrors}).
     */
    void backgroundFailure(String what, Throwable e) {
        journal.abort(e); // a failed commit has aborted it already; then this changes nothing
        if (!closed) {
            Throwable media = MediaErrors.find(e);
            String cause = media != null ? MediaErrors.describe(device, media) : e.toString();
            LOG.log(System.Logger.Level.ERROR, "daxfs: " + what + " failed, the file system is now read-only: " + cause);
        }
        if (e instanceof VirtualMachineError vme && !(e instanceof InternalError)) {
            throw vme;
        }
    }

    /** Starts the background threads a mounted volume runs, once the mount has succeeded. */
    void startBackground(long cacheBudget) {
        reaper.start();
        startEvictor(cacheBudget);
    }

    /** Starts keeping the inode cache within {@code budget} bytes (see {@link Evictor}). */
    private void startEvictor(long budget) {
        Evictor e = new Evictor(this, budget, operations);
        evictor = e;
        e.start();
    }

    /** Inode cache figures: cached inodes, evictions so far, budget in bytes. */
    public long[] cacheFigures() {
        Evictor e = evictor;
        return new long[]{cache.size(), e == null ? 0 : e.evictions(), e == null ? 0 : e.budget()};
    }

    /** Runs one eviction pass now, whatever the cache's size, wanting {@code bytes} freed; returns the inodes dropped (tests). */
    public int evictNow(long bytes) {
        Evictor e = evictor;
        return e == null ? 0 : e.shrink(bytes);
    }

    /** Installs test hooks (docs/RACES.md); {@link FsHooks#NONE} removes them. */
    public void hooks(FsHooks h) {
        hooks = h;
    }

    // ---------------------------------------------------------------- the parts the API calls

    /** Keeps inode number {@code ino} from being reused until released (see {@link InodeAllocator#hold}). */
    public void holdInodeNumber(long ino) {
        inodes.hold(ino);
    }

    public void releaseInodeNumber(long ino) {
        inodes.release(ino);
    }

    public int heldInodeNumbers() {
        return inodes.heldCount();
    }

    /** Names to inodes, directory listings, symlink targets. */
    public Lookup lookup() {
        return lookup;
    }

    /** Opening files (and creating them on open). */
    public Opener opener() {
        return opener;
    }

    /** mkdir, symlink, mknod, link. */
    public Creator creator() {
        return creator;
    }

    /** unlink and rmdir. */
    public Unlinker unlinker() {
        return unlinker;
    }

    public Renamer renamer() {
        return renamer;
    }

    /** stat, chmod, chown, utimes, setattr. */
    public Attributes attributes() {
        return attributes;
    }

    /** Extended attributes, ACLs, and the access check by mode and ACL. */
    public Xattrs xattrs() {
        return xattrs;
    }

    // ---------------------------------------------------------------- open files

    /** Counts {@code f} among the open files, which unmount closes. */
    void register(OpenFile f) {
        openFiles.add(f);
    }

    void closed(OpenFile f) {
        openFiles.remove(f);
    }

    /**
     * Another handle on the file of {@code f}, with the same access (a mapping holds one, so
     * that the file outlives a close of the handle it was mapped through, as with mmap).
     */
    public OpenFile reopen(OpenFile f) throws DaxException {
        checkOpen();
        OpenFile dup = opener.reopen(f);
        register(dup);
        return dup;
    }

    // ---------------------------------------------------------------- the DAX layer

    /** Registers the DAX layer. Called once, right after mount, before any file is mapped. */
    public void attachDax(DaxCallbacks callbacks) {
        dax = callbacks;
    }

    DaxCallbacks dax() {
        return dax;
    }

    /** The free-space allocator (the DAX layer tells it which blocks are still referenced). */
    public BlockAllocator blockAllocator() {
        return blocks;
    }

    /** Block-mapping services for DAX faults. */
    public DaxBlocks daxBlocks() {
        return daxBlocks;
    }

    // ---------------------------------------------------------------- the volume as a whole

    public FsStat statfs() {
        return new FsStat(Geometry.BLOCK_SIZE, geometry.totalBlocks(), blocks.freeBlocks(), blocks.availableBlocks(),
                inodes.count() - 1,
                inodes.freeCount(), 255, uuid.toString());
    }

    /** The seed of directory name hashes: the file system's UUID halves XORed (see DirIndexNode#hash). */
    long dirHashSeed() {
        return uuid.getMostSignificantBits() ^ uuid.getLeastSignificantBits();
    }

    /** Reads a block of the data area as it is now (null for a block outside it). */
    LongFunction<MemorySegment> dataBlockReader() {
        LongFunction<MemorySegment> reader = cache.reader();
        long first = geometry.dataStart();
        long end = geometry.totalBlocks();
        return b -> b >= first && b < end ? reader.apply(b) : null;
    }

    /** The last committed transaction (a read-only volume has no journal: everything is as committed as it gets). */
    LongSupplier committedTid() {
        return journal == null ? () -> Long.MAX_VALUE : journal::committedTid;
    }

    /** Persists all written file data, then commits the journal. */
    public void sync() throws DaxException {
        checkOpen();
        if (readOnly) {
            return;
        }
        dax.writebackAll(FileIo.MAX_PAGE); // what was stored through mappings, as fsync does per file
        onDevice("sync", () -> {
            dirtyData.persistAll();
            journal.commit();
        });
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

    /**
     * Makes blocks freed by recent transactions allocatable: a checkpoint releases them, and on a
     * sparse image they come back once punched out of it. For a caller short of space, holding
     * no journal handle.
     */
    void reclaimFreedSpace() throws DaxException {
        journal.checkpoint();
        blocks.awaitDiscards();
    }

    /** Journal commits since mount. */
    public long commitCount() {
        return journal == null ? 0 : journal.commitCount();
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Unmounts: closes every open file (freeing unlinked ones), makes everything durable,
     * checkpoints, marks the superblock clean and closes the device. Idempotent. After the
     * journal was aborted (a media error, an internal error) it writes nothing more to the device
     * and throws EROFS saying the image was not closed cleanly; the device is closed either way.
     */
    public synchronized void close() throws DaxException {
        if (closed) {
            return;
        }
        DaxException failure = null;
        try {
            Evictor ev = evictor;
            if (ev != null) {
                ev.stop(); // nothing may be dropped while unmount closes and syncs
            }
            reaper.stop(); // between two steps; the files closed below are freed by this thread
            // Mappings first: they hold files open, and no window may outlive its blocks.
            dax.unmount();
            for (OpenFile f : List.copyOf(openFiles)) {
                try {
                    f.close();
                } catch (DaxException e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (!readOnly) {
                if (!journal.isFailed()) {
                    sync();
                    journal.closeClean();
                }
                notClosedCleanly();
            }
        } catch (DaxException e) {
            failure = failure == null ? e : failure;
        } catch (RuntimeException | Error e) {
            DaxException f = deviceFailure("unmount", e); // rethrows what is not a media error
            failure = failure == null ? f : failure;
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
            if (blocks != null) {
                blocks.close(); // the last punches of a sparse image, while the device is open
            }
            device.close();
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---------------------------------------------------------------- running operations

    /** The body of an operation that returns a value. */
    @FunctionalInterface
    interface Operation<T> {
        T run() throws DaxException;
    }

    /** The body of an operation that returns nothing. */
    @FunctionalInterface
    interface Action {
        void run() throws DaxException;
    }

    /** Runs a change: EROFS unless the volume can be written, then as {@link #guarded}. */
    <T> T change(String op, Operation<T> body) throws DaxException {
        checkWritable();
        return guarded(op, body);
    }

    /** As {@link #change(String, Operation)}, for a body that returns nothing. */
    void change(String op, Action body) throws DaxException {
        checkWritable();
        guarded(op, body);
    }

    /**
     * Runs {@code body}; an unexpected failure aborts the journal and becomes EIO (see
     * {@link #failure}). Then, holding no lock any more, frees the huge files the body left
     * without a name and a handle ({@link Reaper#finishDeferred}).
     */
    <T> T guarded(String op, Operation<T> body) throws DaxException {
        long entered = operations.enter();
        try {
            return guardedIn(op, body);
        } finally {
            operations.exit(entered);
        }
    }

    private <T> T guardedIn(String op, Operation<T> body) throws DaxException {
        T result;
        try {
            result = body.run();
            MediaErrors.raisePending(); // a fault compiled code deferred belongs to this operation
        } catch (RuntimeException | Error e) {
            throw failure(op, e);
        } catch (DaxException e) {
            reaper.finishDeferredAfterFailure(e);
            throw e;
        }
        try {
            reaper.finishDeferred();
        } catch (RuntimeException | Error e) {
            throw failure(op, e);
        }
        return result;
    }

    /** As {@link #guarded(String, Operation)}, for a body that returns nothing. */
    void guarded(String op, Action body) throws DaxException {
        guarded(op, () -> {
            body.run();
            return null;
        });
    }

    /**
     * Runs {@code body}, whose runtime exceptions other than media errors belong to the caller
     * (a read into a segment the caller closed, a sink that throws) and pass unchanged; a media
     * error aborts the journal and becomes EIO, as in {@link #guarded}.
     */
    <T> T onDevice(String op, Operation<T> body) throws DaxException {
        long entered = operations.enter();
        try {
            T result = body.run();
            MediaErrors.raisePending();
            return result;
        } catch (RuntimeException | Error e) {
            throw deviceFailure(op, e);
        } finally {
            operations.exit(entered);
        }
    }

    /** As {@link #onDevice(String, Operation)}, for a body that returns nothing. */
    void onDevice(String op, Action body) throws DaxException {
        onDevice(op, () -> {
            body.run();
            return null;
        });
    }

    /**
     * The failure of operation {@code op}: the operation may have left in-memory metadata half
     * changed, or the device failed under it, so the journal is aborted first: nothing more is
     * committed, the device keeps its last committed (consistent) state, and the volume is
     * read-only from now on. Returns the EIO to throw for a media error or a runtime failure;
     * any other error (the JVM out of memory or stack, a failed assertion) is rethrown itself.
     */
    DaxException failure(String op, Throwable e) {
        if (journal != null) {
            journal.abort(e);
        }
        if (MediaErrors.isMediaError(e)) {
            return MediaErrors.eio(op, device, e);
        }
        if (e instanceof Error err) {
            throw err;
        }
        return new DaxException(Errno.EIO, op + ": internal error (" + e + "); the file system is now read-only", e);
    }

    /** {@link #failure} for a media error; anything else (unchecked) is rethrown as it is. */
    DaxException deviceFailure(String op, Throwable e) {
        if (MediaErrors.isMediaError(e)) {
            return failure(op, e);
        }
        if (e instanceof RuntimeException r) {
            throw r;
        }
        throw (Error) e;
    }

    /** After an aborted journal: EROFS saying the device was left as last committed. */
    private void notClosedCleanly() throws DaxException {
        try {
            journal.checkFailure();
        } catch (DaxException e) {
            throw new DaxException(Errno.EROFS, "unmount: " + device.describe() + " was not closed cleanly: "
                    + e.detail() + "; it keeps its last committed state", e.getCause());
        }
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
        journal.checkFailure();
    }
}
