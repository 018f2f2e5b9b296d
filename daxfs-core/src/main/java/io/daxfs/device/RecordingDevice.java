package io.daxfs.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * A memory device that models power failure, for crash-consistency tests and the CLI's crash
 * explorer.
 *
 * <h2>Model</h2>
 * The device holds two images of the same size:
 * <ul>
 * <li>the <em>live</em> image, {@link #segment()}: what programs read and write (the CPU's view,
 * caches included);</li>
 * <li>the <em>durable</em> shadow: what the medium holds. It changes only at persistence points.</li>
 * </ul>
 * {@link #persist(long, long)} with a non-zero length is a <em>persistence point</em>: it copies
 * the range, rounded out to whole 64-byte cache lines (a write-back moves whole lines), from live
 * to durable. Points are numbered 1, 2, ... in the order they take effect.
 * {@link #fence()} is not a point: every backend persists synchronously, so a fence makes nothing
 * durable that was not already; counting it would only add duplicate crash states and renumber
 * the points whenever someone adds a fence.
 *
 * <p>After a power failure the medium holds the durable shadow plus any subset of the lines that
 * differ between live and durable (the cache may have evicted, that is written back, any dirty
 * line at any time). {@link #durableImage()} is the case where none was written back;
 * {@link #crashImage(long)} picks a random subset chosen by a seed.
 *
 * <h2>Listeners and threads</h2>
 * {@code persist} may be called from many threads; points are serialized by one lock, and
 * listeners ({@link #onPersist}) run under that lock, on the persisting thread. So inside a
 * listener no other persist is in progress, the durable shadow is stable, and
 * {@link #crashImage}/{@link #durableImage} show a consistent durable state. Threads that are not
 * persisting may still be storing to the live image meanwhile; a workload that wants exact crash
 * states snapshots while its other threads are quiet. Listeners must not call {@code persist}.
 * An exception thrown by a listener propagates out of {@code persist}.
 */
public final class RecordingDevice implements Device {
    /** Cache-line size: the unit of write-back and of crash-state choice. */
    public static final int LINE = 64;

    /** Observes persistence points; see the class comment for the threading rules. */
    @FunctionalInterface
    public interface PersistListener {
        /** Called after point {@code point} has copied its range to the durable shadow. */
        void persisted(long point);

        /**
         * Called when point {@code point} is about to copy the line-aligned range
         * {@code [offset, offset + length)}. A crash image taken here contains states where this
         * write-back was cut short, lines of the range durable and others not; taken after the
         * point, those stores are all durable. Stores written and persisted between two points are
         * torn only here.
         */
        default void beforePersist(long point, long offset, long length) {
        }
    }

    private final Arena arena;
    private final MemorySegment live;
    private final MemorySegment durable;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<PersistListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Written only under {@link #lock}. */
    private volatile long points;
    /** Written only under {@link #lock}. */
    private volatile long bytesPersisted;

    private RecordingDevice(Arena arena, long size) {
        this.arena = arena;
        this.live = arena.allocate(size, 4096);
        this.durable = arena.allocate(size, 4096);
    }

    /** A zero-filled device of {@code size} bytes (rounded up to 4 KiB); all of it durable. */
    public static RecordingDevice allocate(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("device size must be positive: " + size);
        }
        return new RecordingDevice(Arena.ofShared(), (size + 4095) & ~4095L);
    }

    /** A device whose live and durable images both start as a copy of {@code initialImage}. */
    public static RecordingDevice over(MemorySegment initialImage) {
        long size = initialImage.byteSize();
        if (size <= 0 || (size & 4095) != 0) {
            throw new IllegalArgumentException("image size must be a positive multiple of 4096: " + size);
        }
        RecordingDevice d = new RecordingDevice(Arena.ofShared(), size);
        MemorySegment.copy(initialImage, 0, d.live, 0, size);
        MemorySegment.copy(initialImage, 0, d.durable, 0, size);
        return d;
    }

    /** Adds a listener called at every later persistence point. */
    public void onPersist(PersistListener listener) {
        listeners.add(listener);
    }

    /** The number of persistence points so far. */
    public long persistencePoints() {
        return points;
    }

    /** Bytes copied to the durable shadow so far: persisted lengths rounded out to whole lines. */
    public long bytesPersisted() {
        return bytesPersisted;
    }

    /**
     * A read-only view of the durable shadow: the medium after a power failure that loses every
     * unpersisted store. It is a view, not a copy, so it changes at later persistence points; copy
     * it ({@link MemoryDevice#copyOf}) to keep or mount a state.
     */
    public MemorySegment durableImage() {
        return durable.asReadOnly();
    }

    /**
     * The durable shadow plus a subset, chosen by {@code seed}, of the cache lines that differ
     * between live and durable: the medium after a power failure at which the cache happened to
     * have written those lines back. Each dirty line is in the subset with probability 1/2. The
     * same state and seed give the same image. The image is allocated in an automatic arena; see
     * {@link #crashImage(long, Arena)} to control its lifetime.
     */
    public MemorySegment crashImage(long seed) {
        return crashImage(seed, Arena.ofAuto());
    }

    /**
     * {@link #crashImage(long)} allocated in {@code arena}; a crash explorer taking many images
     * frees them promptly with a confined arena instead of waiting for the garbage collector.
     */
    public MemorySegment crashImage(long seed, Arena arena) {
        lock.lock();
        try {
            MemorySegment image = arena.allocate(size(), 4096);
            MemorySegment.copy(durable, 0, image, 0, size());
            SplittableRandom random = new SplittableRandom(seed);
            forEachDirtyLine(line -> {
                if (random.nextBoolean()) {
                    MemorySegment.copy(live, line, image, line, LINE);
                }
            });
            return image;
        } finally {
            lock.unlock();
        }
    }

    /** The number of cache lines whose live contents differ from the durable shadow. */
    public long dirtyLines() {
        lock.lock();
        try {
            long[] n = {0};
            forEachDirtyLine(line -> n[0]++);
            return n[0];
        } finally {
            lock.unlock();
        }
    }

    /**
     * Calls {@code action} with the offset of each line that differs, in increasing order.
     * {@link MemorySegment#mismatch} jumps to the next differing byte comparing many bytes per step
     * (8-byte words or vectors), so equal pages and runs of pages cost a scan and no per-line work;
     * after a difference the search resumes at the next line, since one difference makes the line
     * dirty.
     */
    private void forEachDirtyLine(LongConsumer action) {
        long size = size();
        long pos = 0;
        while (pos < size) {
            long m = MemorySegment.mismatch(live, pos, size, durable, pos, size);
            if (m < 0) {
                return;
            }
            long line = (pos + m) & -LINE;
            action.accept(line);
            pos = line + LINE;
        }
    }

    @Override
    public MemorySegment segment() {
        return live;
    }

    @Override
    public long size() {
        return live.byteSize();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public void persist(long offset, long length) {
        Devices.checkRange(this, offset, length);
        if (length == 0) {
            return; // writes back no line, so it changes no crash state
        }
        long from = offset & -LINE;
        long to = (offset + length + LINE - 1) & -LINE; // size is a multiple of 4096, so to <= size
        lock.lock();
        try {
            long point = points + 1;
            for (PersistListener l : listeners) {
                l.beforePersist(point, from, to - from);
            }
            // Lines are 64-aligned, so the copy moves aligned 8-byte units: a concurrent aligned
            // store lands entirely before or entirely after the snapshot, never torn.
            MemorySegment.copy(live, from, durable, from, to - from);
            points = point;
            bytesPersisted += to - from;
            for (PersistListener l : listeners) {
                l.persisted(point);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void fence() {
        // Not a persistence point: see the class comment.
    }

    @Override
    public boolean isSynchronous() {
        return true;
    }

    @Override
    public String describe() {
        return "recording memory (" + size() + " bytes, " + points + " persistence points)";
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }
}
