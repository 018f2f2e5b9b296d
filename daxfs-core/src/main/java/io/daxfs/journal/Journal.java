package io.daxfs.journal;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;
import io.daxfs.lock.OrderedRwLock;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.device.Device;
import io.daxfs.device.MediaErrors;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;
import io.daxfs.media.Le;
import io.daxfs.media.Superblock;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * Metadata transactions: a physical redo log of 4 KiB metadata block images with compound
 * transactions and group commit (the jbd2 design, reduced to what daxfs needs).
 *
 * <h2>Algorithm</h2>
 * <ul>
 * <li>An operation that changes metadata opens a {@link Handle} (the shared side of
 *     {@code txLock}), changes in-memory state, and registers every {@link DirtySource} it
 *     touched with {@link #markDirty}. Many handles run at once; all handles opened between two
 *     commits form one compound transaction, so the transaction is atomic as a whole and every
 *     handle is entirely inside one transaction.</li>
 * <li>{@link #commit} takes {@code txLock} exclusively (so no handle is half done), asks every
 *     dirty source for its block images, and releases the lock: new handles proceed while the
 *     images are written to the ring, persisted, sealed by a commit block that is persisted in
 *     turn, and only then copied to their home locations. So a home location never holds state
 *     that is not yet durable in the journal, and it always holds the last committed image.</li>
 * <li>{@link #checkpoint} persists the home locations written since the last checkpoint and
 *     advances the tail in the superblock; the ring space before the tail is reusable.</li>
 * <li>Actions registered with {@link Handle#afterCheckpoint} (freeing blocks) run only after the
 *     transaction is checkpointed: a block freed by transaction T is never reused while replay
 *     could still write an image of T-or-older over it, nor while T might be lost in a crash
 *     (which would resurrect the old owner). A block no image can name, a regular file's data
 *     block, needs only the second: its free is released by {@link Handle#afterCommit}, once T
 *     is durable. (A data block has no image in the ring: if it ever held metadata, that free
 *     waited for a checkpoint, which moved the ring's tail past every image of it.)</li>
 * </ul>
 * Durability: nothing is durable until {@link #commit} returns (fsync and sync call it; a timer
 * calls it every commit interval).
 *
 * <h2>Transaction ids and shared commits</h2>
 * The running transaction has an id, {@link #runningTid()}; a commit closes it (the next one
 * starts at the same moment, under {@code txLock} exclusive) and, once its commit block is
 * durable, advances {@link #committedTid()} to it. {@link #markDirty} answers the id of the
 * transaction that will carry the change just made, so a caller remembers what to wait for:
 * {@link #commitUpTo} returns at once when that transaction is already durable, and otherwise
 * commits (one commit covers every change made before it closed the transaction, so threads
 * that queue for {@code commitMutex} behind a commit usually find their work done and share it).
 * A change's id is read after the change: a commit that collected the change closed a
 * transaction whose id is at most the one read, so waiting for the id read never waits too little.
 *
 * <h2>Ordered data</h2>
 * A source may ask, while it is collected, for device ranges to be persisted before the commit
 * block ({@link CommitBuilder#persistFirst}): the data that the collected metadata makes
 * reachable (new blocks' zeroes, a file's written bytes). Those ranges are taken after the
 * transaction is closed, so a write whose size the transaction carries has put its bytes and
 * its dirty range in place before the collect saw either.
 *
 * <h2>Locks</h2>
 * {@code commitMutex} (one commit or checkpoint at a time) is taken before {@code txLock}.
 * A handle holder may take inode and allocator locks; {@link #commit} calls
 * {@link DirtySource#collect} holding {@code txLock} exclusively, and collect takes inode
 * attribute locks, so no thread may open a handle while holding one of those locks.
 * Handles do not nest.
 */
public final class Journal implements AutoCloseable {
    private final Device device;
    private final MemorySegment seg;
    private final Geometry geometry;
    private final long ring;
    private final OrderedRwLock txLock = new OrderedRwLock(LockLevel.TRANSACTION, "journal.tx");
    private final OrderedLock commitMutex = new OrderedLock(LockLevel.COMMIT, "journal.commit");
    /** Dirty sources, each with the estimate it last added to {@link #estimate}. */
    private final ConcurrentHashMap<DirtySource, Integer> dirty = new ConcurrentHashMap<>();
    private final AtomicLong estimate = new AtomicLong();
    /**
     * Most dirty sources a transaction gathers before {@link #commitIfLarge} commits it, however
     * few blocks they write. A commit collects every source while holding {@code txLock}
     * exclusively, so this bounds that pause (a few tenths of a millisecond for small files),
     * and the collect finds state the operations touched recently, still in the CPU's caches:
     * on a small-file rewrite loop, transactions of 1,536 sources ran about 10% slower per file
     * than transactions of 512.
     */
    public static final int MAX_SOURCES = 512;
    /** The shared blocks ({@link DirtySource#sharedBlock}) {@link #estimate} counts for the running transaction. */
    private final Set<Long> sharedCounted = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Runnable> runningReleases = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Runnable> runningCommitReleases = new ConcurrentLinkedQueue<>();
    private final AtomicLong commits = new AtomicLong();
    /** Id of the transaction new handles and marks join; changes only under {@code txLock} exclusive. */
    private volatile long runningTid = 1;
    /** Id of the newest transaction whose commit block is durable (or that was empty). */
    private volatile long committedTid;
    private final AtomicLong checkpoints = new AtomicLong();

    // Guarded by commitMutex.
    private Superblock sb;
    private long head;
    private long tail;
    private long nextSeq;
    private final TreeSet<Long> homeUnpersisted = new TreeSet<>();
    private final List<Runnable> committedReleases = new ArrayList<>();

    private volatile DaxException failure;

    /** A transaction handle: the scope of one atomic metadata change. */
    public final class Handle implements AutoCloseable {
        private boolean open = true;

        private Handle() {
        }

        /** Registers {@code src} for the commit of this handle's transaction. */
        public void markDirty(DirtySource src) {
            Journal.this.markDirty(src);
        }

        /** The id of the transaction this handle belongs to. */
        public long tid() {
            return runningTid;
        }

        /** Runs {@code action} once the transaction holding this handle is checkpointed. */
        public void afterCheckpoint(Runnable action) {
            runningReleases.add(action);
        }

        /**
         * Runs {@code action} once the transaction holding this handle is durable (its commit
         * block persisted), before any checkpoint: for blocks no journal image can name (file
         * data), which only must not be reused while a crash could still bring their old owner back.
         */
        public void afterCommit(Runnable action) {
            runningCommitReleases.add(action);
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                txLock.readLock().unlock();
            }
        }
    }

    /**
     * Starts the journal of a mounted device whose log was replayed (tail == head) and whose
     * superblock {@code sb} is current on the device.
     */
    public Journal(Device device, Superblock sb) {
        this.device = device;
        this.seg = device.segment();
        this.geometry = sb.geometry();
        this.ring = geometry.journalBlocks();
        this.sb = sb;
        this.head = sb.journalTailPos();
        this.tail = head;
        this.nextSeq = sb.journalTailSeq();
    }

    /**
     * Replays the committed transactions found by {@code scan} into their homes, persists them,
     * and returns a superblock (already written and persisted) whose tail is the end of the log.
     * The next sequence number skips one, so a torn transaction's leftovers can never match.
     */
    public static Superblock replay(Device device, Superblock sb, JournalScan.Result scan) {
        MemorySegment seg = device.segment();
        Geometry g = sb.geometry();
        TreeSet<Long> homes = new TreeSet<>();
        for (JournalScan.Tx tx : scan.txs()) {
            for (int i = 0; i < tx.homes().length; i++) {
                MemorySegment.copy(JournalScan.ringBlock(seg, g, tx.imagePos()[i]), 0, seg,
                        tx.homes()[i] << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
                homes.add(tx.homes()[i]);
            }
        }
        persistBlocks(device, homes);
        device.fence();
        Superblock next = sb.withTail(scan.headPos(), scan.nextSeq() + 1).withGeneration(sb.generation() + 1);
        writeSuperblock(device, next);
        return next;
    }

    /** Writes {@code sb} to its slot (chosen by generation) and persists it. */
    public static void writeSuperblock(Device device, Superblock sb) {
        long slot = Superblock.slotFor(sb.generation());
        MemorySegment buf = CommitBuilder.newBlock();
        sb.encode(buf);
        MemorySegment.copy(buf, 0, device.segment(), slot << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
        device.persist(slot << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
        device.fence();
    }

    /** Opens a handle. Commits first when the running transaction has grown large. */
    public Handle begin() throws DaxException {
        checkFailure();
        if (txLock.getReadHoldCount() != 0) {
            throw new IllegalStateException("journal handles do not nest");
        }
        commitIfLarge();
        txLock.readLock().lock();
        return new Handle();
    }

    /**
     * Commits when the running transaction has grown past a quarter of the ring, or past
     * {@link #MAX_SOURCES} dirty sources. Callers that mark sources dirty without a handle (plain
     * overwrites, attribute changes) call this afterwards, so no transaction outgrows the ring.
     * Must not be called with a handle open.
     */
    public void commitIfLarge() throws DaxException {
        if (estimate.get() > ring / 4 || dirty.size() > MAX_SOURCES) {
            commit();
        }
    }

    /** True when the calling thread holds a handle (and so must not commit). */
    public boolean inHandle() {
        return txLock.getReadHoldCount() != 0;
    }

    /** True while {@code src} waits for a commit (registered and not yet collected). */
    public boolean isDirty(DirtySource src) {
        return dirty.containsKey(src);
    }

    /** The id of the transaction that changes made now join. */
    public long runningTid() {
        return runningTid;
    }

    /** The id of the newest transaction that is durable: every change marked with an id up to it is. */
    public long committedTid() {
        return committedTid;
    }

    /**
     * Registers {@code src} for the next commit and returns the id of the transaction that will
     * carry the change. Call after changing the state it will collect (change, then mark: a mark
     * before the change could be collected before the change, and the id read could be too old).
     * Needs no handle: size and time updates of plain writes mark their inode without one.
     */
    public long markDirty(DirtySource src) {
        register(src);
        long tid = runningTid;
        src.dirtied(tid, true);
        return tid;
    }

    /** As {@link #markDirty}, for a change of times only (an overwrite's mtime and ctime). */
    public long markTimesDirty(DirtySource src) {
        register(src);
        long tid = runningTid;
        src.dirtied(tid, false);
        return tid;
    }

    private void register(DirtySource src) {
        // A source already dirty may have grown since (a directory gaining blocks, an extent
        // chain getting longer): count the growth too, or the transaction outgrows the ring.
        int now = src.estimatedBlocks();
        Integer seen = dirty.get(src);
        if (seen != null && seen >= now) {
            // Already registered and not grown: the common case of repeated writes, kept to a
            // read. Safe: commit removes a source before collecting it, so if it is still here
            // it will be collected after this caller's change.
            return;
        }
        Integer before = dirty.put(src, now);
        long grown = before == null ? now : now - before;
        if (before == null) {
            // Put first, counted second: a commit clears sharedCounted before it collects, so a
            // block counted and then cleared belongs to a source that commit collects (its put
            // came before the collect began), and the race can only count a block twice, never
            // miss one the next transaction writes.
            long shared = src.sharedBlock();
            if (shared >= 0 && sharedCounted.add(shared)) {
                grown++;
            }
        }
        if (grown > 0) {
            estimate.addAndGet(grown);
        }
    }

    /** True when a commit has work to do. */
    public boolean hasDirty() {
        return !dirty.isEmpty() || !runningReleases.isEmpty() || !runningCommitReleases.isEmpty();
    }

    /**
     * Makes every change whose handle closed (or that was marked dirty) before this call durable.
     * Must not be called with a handle open.
     */
    public void commit() throws DaxException {
        commitUpTo(runningTid);
    }

    /**
     * Makes transaction {@code tid} and every earlier one durable: returns at once when they
     * are, else commits (sharing the commit with every thread that waits for the same or an
     * earlier id). Must not be called with a handle open.
     */
    public void commitUpTo(long tid) throws DaxException {
        if (committedTid >= tid) {
            checkFailure();
            return;
        }
        checkFailure();
        commitMutex.lock();
        try {
            if (committedTid >= tid) {
                return; // a commit that ran while this thread queued covered it
            }
            commitLocked();
        } finally {
            commitMutex.unlock();
        }
    }

    /** Closes the running transaction and makes it durable. Caller holds {@code commitMutex}. */
    private void commitLocked() throws DaxException {
        checkFailure();
        try {
            Map<Long, MemorySegment> images;
            List<long[]> ordered;
            List<Runnable> releases = new ArrayList<>();
            List<Runnable> commitReleases = new ArrayList<>();
            long tid;
            CommitBuilder b;
            txLock.writeLock().lock();
            try {
                tid = runningTid;
                runningTid = tid + 1;
                // The next transaction's count starts before this one is collected: a source
                // marked (without a handle) while the collect runs is counted in the next, twice
                // at worst if the collect takes it too, never not at all (see register).
                estimate.set(0);
                sharedCounted.clear();
                if (dirty.isEmpty() && runningReleases.isEmpty() && runningCommitReleases.isEmpty()) {
                    committedTid = tid; // nothing in it: every earlier transaction is durable already
                    return;
                }
                b = new CommitBuilder(seg);
                for (DirtySource s : dirty.keySet()) {
                    dirty.remove(s);
                    s.collect(b);
                }
                drain(runningReleases, releases);
                drain(runningCommitReleases, commitReleases);
                images = b.finish();
                ordered = b.persistFirstRanges();
            } finally {
                txLock.writeLock().unlock();
            }
            // Ordered data (new blocks' zeroes, written file bytes) is durable before the
            // metadata exposing it.
            for (long[] r : ordered) {
                device.persist(r[0], r[1]);
            }
            device.fence();
            b.dataPersisted();
            if (!images.isEmpty()) {
                writeTransaction(images);
            }
            committedTid = tid;
            for (Runnable r : commitReleases) {
                r.run();
            }
            committedReleases.addAll(releases);
            commits.incrementAndGet();
            if (used() > ring / 2) {
                checkpointLocked();
            }
        } catch (DaxException | RuntimeException | Error e) {
            throw failed("journal commit", e);
        }
    }

    private static void drain(ConcurrentLinkedQueue<Runnable> from, List<Runnable> to) {
        for (Runnable r; (r = from.poll()) != null; ) {
            to.add(r);
        }
    }

    /** Commits, then checkpoints: afterwards every deferred free has been released. */
    public void checkpoint() throws DaxException {
        commitMutex.lock();
        try {
            commitLocked();
            try {
                checkpointLocked();
            } catch (RuntimeException | Error e) {
                throw failed("journal checkpoint", e);
            }
        } finally {
            commitMutex.unlock();
        }
    }

    /**
     * Commits and checkpoints, then records the clean state in the superblock. An aborted
     * journal writes nothing: the device keeps its last committed state, marked not clean.
     */
    public void closeClean() throws DaxException {
        checkpoint();
        commitMutex.lock();
        try {
            checkFailure();
            sb = sb.withState(Superblock.STATE_CLEAN).withGeneration(sb.generation() + 1);
            writeSuperblock(device, sb);
        } catch (RuntimeException | Error e) {
            throw failed("unmount", e);
        } finally {
            commitMutex.unlock();
        }
    }

    /** Records in the superblock that the file system is mounted (not cleanly unmounted). */
    public void markMounted(long nowNs) {
        commitMutex.lock();
        try {
            sb = sb.withState(Superblock.STATE_MOUNTED).withMount(nowNs).withGeneration(sb.generation() + 1);
            writeSuperblock(device, sb);
        } finally {
            commitMutex.unlock();
        }
    }

    public long commitCount() {
        return commits.get();
    }

    public long checkpointCount() {
        return checkpoints.get();
    }

    public Superblock superblock() {
        commitMutex.lock();
        try {
            return sb;
        } finally {
            commitMutex.unlock();
        }
    }

    @Override
    public void close() {
        // Nothing to release: the device belongs to the volume.
    }

    private long used() {
        return (head - tail + ring) % ring;
    }

    private void writeTransaction(Map<Long, MemorySegment> images) throws DaxException {
        int n = images.size();
        int descriptors = (n + JournalScan.HOMES_PER_DESCRIPTOR - 1) / JournalScan.HOMES_PER_DESCRIPTOR;
        long total = descriptors + n + 1L;
        if (total >= ring) {
            throw new DaxException(Errno.EIO, "a transaction of " + total + " blocks does not fit the journal of " + ring);
        }
        if (ring - used() <= total) {
            checkpointLocked();
        }
        long seq = nextSeq;
        long start = head;
        long pos = start;
        CRC32C crc = new CRC32C();
        List<Long> homes = new ArrayList<>(images.keySet());
        MemorySegment desc = CommitBuilder.newBlock();
        for (int d = 0; d < descriptors; d++) {
            int from = d * JournalScan.HOMES_PER_DESCRIPTOR;
            int to = Math.min(n, from + JournalScan.HOMES_PER_DESCRIPTOR);
            desc.fill((byte) 0);
            BlockHeader.init(desc, BlockHeader.JOURNAL_DESCRIPTOR, seq, to - from, d + 1 < descriptors ? 1 : 0);
            for (int i = from; i < to; i++) {
                Le.putLong(desc, BlockHeader.SIZE + 8L * (i - from), homes.get(i));
            }
            BlockHeader.seal(desc);
            pos = put(pos, desc, crc);
            for (int i = from; i < to; i++) {
                pos = put(pos, images.get(homes.get(i)), crc);
            }
        }
        persistRing(start, total - 1);
        device.fence();
        // A store to the ring that faulted must stop the commit before its commit block.
        MediaErrors.raisePending();
        // An operation that failed inside a handle aborts only after its handle closed, so this
        // commit may have collected its half-done state: the abort must win (a last look here,
        // after two persists, leaves the failing thread all that time to get there).
        checkFailure();
        MemorySegment commit = CommitBuilder.newBlock();
        BlockHeader.init(commit, BlockHeader.JOURNAL_COMMIT, seq, total - 1, crc.getValue() & 0xFFFF_FFFFL);
        BlockHeader.seal(commit);
        MemorySegment.copy(commit, 0, JournalScan.ringBlock(seg, geometry, pos), 0, Geometry.BLOCK_SIZE);
        persistRing(pos, 1);
        device.fence();
        head = (pos + 1) % ring;
        nextSeq = seq + 1;
        // The transaction is durable: homes may now take the new images.
        for (Map.Entry<Long, MemorySegment> e : images.entrySet()) {
            MemorySegment.copy(e.getValue(), 0, seg, e.getKey() << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
            homeUnpersisted.add(e.getKey());
        }
        // A home copy that faulted must abort the journal before any checkpoint trusts the homes.
        MediaErrors.raisePending();
    }

    private long put(long pos, MemorySegment block, CRC32C crc) {
        MemorySegment.copy(block, 0, JournalScan.ringBlock(seg, geometry, pos), 0, Geometry.BLOCK_SIZE);
        crc.update(block.asByteBuffer());
        return (pos + 1) % ring;
    }

    private void persistRing(long pos, long count) {
        long first = Math.min(count, ring - pos);
        device.persist((geometry.journalStart() + pos) << Geometry.BLOCK_SHIFT, first << Geometry.BLOCK_SHIFT);
        if (count > first) {
            device.persist(geometry.journalStart() << Geometry.BLOCK_SHIFT, (count - first) << Geometry.BLOCK_SHIFT);
        }
    }

    private void checkpointLocked() {
        persistBlocks(device, homeUnpersisted);
        homeUnpersisted.clear();
        device.fence();
        if (tail != head || sb.journalTailSeq() != nextSeq) {
            sb = sb.withTail(head, nextSeq).withGeneration(sb.generation() + 1);
            writeSuperblock(device, sb);
            tail = head;
        }
        checkpoints.incrementAndGet();
        List<Runnable> releases = new ArrayList<>(committedReleases);
        committedReleases.clear();
        for (Runnable r : releases) {
            r.run();
        }
    }

    /** Persists a set of blocks, coalescing runs of adjacent block numbers into one call. */
    private static void persistBlocks(Device device, java.util.SortedSet<Long> blocks) {
        long runStart = -1;
        long runEnd = -1;
        for (long b : blocks) {
            if (b == runEnd) {
                runEnd++;
                continue;
            }
            if (runStart >= 0) {
                device.persist(runStart << Geometry.BLOCK_SHIFT, (runEnd - runStart) << Geometry.BLOCK_SHIFT);
            }
            runStart = b;
            runEnd = b + 1;
        }
        if (runStart >= 0) {
            device.persist(runStart << Geometry.BLOCK_SHIFT, (runEnd - runStart) << Geometry.BLOCK_SHIFT);
        }
    }

    /**
     * Stops all further commits and checkpoints: called when in-memory metadata may be
     * inconsistent (an unexpected failure in the middle of a change) or the device failed under
     * it (a media error). The device keeps the last committed state, which is consistent; every
     * later change fails with EROFS. The first cause is kept; later ones change nothing.
     */
    public void abort(Throwable cause) {
        fail(cause);
    }

    /** True once a commit failed or {@link #abort} was called. */
    public boolean isFailed() {
        return failure != null;
    }

    /** EROFS, naming what made the journal stop, once it has; nothing otherwise. */
    public void checkFailure() throws DaxException {
        DaxException f = failure;
        if (f != null) {
            throw new DaxException(Errno.EROFS, f.detail(), f.getCause());
        }
    }

    /**
     * Aborts after a failure of the journal's own work ({@code op}); returns what the caller
     * throws: a DaxException as it is, EIO for a media error. Other runtime failures and
     * errors are rethrown as they are (the JVM's own errors are never swallowed).
     */
    private DaxException failed(String op, Throwable e) {
        fail(e);
        if (e instanceof DaxException d) {
            return d;
        }
        if (MediaErrors.isMediaError(e)) {
            return MediaErrors.eio(op, device, e);
        }
        if (e instanceof RuntimeException r) {
            throw r;
        }
        throw (Error) e;
    }

    private synchronized void fail(Throwable e) {
        if (failure == null) {
            String why = e instanceof DaxException d ? "a failed journal commit (" + d.getMessage() + ")"
                    : MediaErrors.isMediaError(e) ? "a " + MediaErrors.describe(device, e)
                    : "an internal error (" + e + ")";
            failure = new DaxException(Errno.EIO, "the file system went read-only after " + why, e);
        }
    }
}
