package io.daxfs.fs;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The parts of one file written in place but maybe not yet durable, in chunks of
 * {@value #CHUNK_SHIFT}-bit file offsets (256 KiB): chunks written since the last persist began
 * ({@code dirty}), and the snapshots that persists now running took ({@code inFlight}).
 *
 * <p>A persist first moves the dirty chunks into a snapshot of its own and drops the snapshot
 * only after its device flushes returned. So {@link #unpersisted()} (what a commit must make
 * durable before its commit block) always includes a chunk some other thread has taken but not
 * finished flushing: without that, a commit could seal a size while the bytes it covers are
 * still on their way.
 *
 * <p>Not thread-safe: guarded by the inode's attribute lock ({@link Inode#meta}).
 */
final class DirtyChunks {
    static final int CHUNK_SHIFT = 18;

    private final BitSet dirty = new BitSet();
    /** Snapshots of persists now running; null while there are none (the usual state: most files are idle). */
    private List<BitSet> inFlight;

    /** Records written file bytes {@code [pos, pos + len)}; true when nothing was dirty before. */
    boolean mark(long pos, long len) {
        boolean wasClean = dirty.isEmpty();
        int from = (int) (pos >>> CHUNK_SHIFT);
        int to = (int) ((pos + len - 1) >>> CHUNK_SHIFT);
        dirty.set(from, to + 1);
        return wasClean;
    }

    boolean isDirty() {
        return !dirty.isEmpty();
    }

    /** Nothing dirty and nothing on its way to durability. */
    boolean isIdle() {
        return dirty.isEmpty() && inFlight == null;
    }

    /** Moves the dirty chunks into a new in-flight snapshot and returns it (null when clean). */
    BitSet take() {
        if (dirty.isEmpty()) {
            return null;
        }
        BitSet taken = (BitSet) dirty.clone();
        dirty.clear();
        if (inFlight == null) {
            inFlight = new ArrayList<>(2);
        }
        inFlight.add(taken);
        return taken;
    }

    /** Forgets the dirty chunks unflushed: for a freed file, whose bytes no longer matter. */
    void discard() {
        dirty.clear();
    }

    /** Drops a snapshot returned by {@link #take} once its flushes are done. */
    void done(BitSet taken) {
        for (int i = 0; inFlight != null && i < inFlight.size(); i++) {
            if (inFlight.get(i) == taken) {
                inFlight.remove(i);
                if (inFlight.isEmpty()) {
                    inFlight = null;
                }
                return;
            }
        }
    }

    /** Every chunk that may not be durable yet: dirty or in flight. */
    BitSet unpersisted() {
        BitSet all = (BitSet) dirty.clone();
        if (inFlight != null) {
            for (BitSet b : inFlight) {
                all.or(b);
            }
        }
        return all;
    }
}
