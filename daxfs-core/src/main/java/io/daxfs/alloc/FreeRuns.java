package io.daxfs.alloc;

import io.daxfs.media.Geometry;

import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The free runs of one allocation group, indexed three ways so that every request is answered
 * in O(log n) whatever the fragmentation: by start (continuing a file after its previous block,
 * merging a freed run with its neighbours), by length (best fit), and by the number of whole
 * 2 MiB-aligned pieces a run holds (a huge request takes the smallest run that holds enough,
 * without looking at the runs that hold none).
 *
 * <p>Not thread-safe: the owning {@link AllocationGroup}'s lock guards it.
 */
final class FreeRuns {
    private static final long HUGE = Geometry.HUGE_BLOCKS;

    /** A free run of blocks {@code [start, start + length)}, with its count of whole aligned 2 MiB pieces. */
    record Run(long start, long length, long hugePieces) {
        static Run of(long start, long length) {
            long aligned = (start + HUGE - 1) & -HUGE;
            long pieces = aligned >= start + length ? 0 : (start + length - aligned) / HUGE;
            return new Run(start, length, pieces);
        }
    }

    private static final Comparator<Run> BY_LENGTH = Comparator.comparingLong(Run::length).thenComparingLong(Run::start);
    private static final Comparator<Run> BY_PIECES = Comparator.comparingLong(Run::hugePieces).thenComparingLong(Run::start);

    private final TreeMap<Long, Run> byStart = new TreeMap<>();
    private final TreeSet<Run> byLength = new TreeSet<>(BY_LENGTH);
    private final TreeSet<Run> byPieces = new TreeSet<>(BY_PIECES);
    private long free;
    private long hugePieces;

    long free() {
        return free;
    }

    /** Whole 2 MiB-aligned pieces in all runs. */
    long hugePieces() {
        return hugePieces;
    }

    long runs() {
        return byStart.size();
    }

    /** Adds a free run that overlaps no other, merging it with the runs it touches. */
    void add(long start, long length) {
        long s = start;
        long len = length;
        Map.Entry<Long, Run> before = byStart.floorEntry(s);
        if (before != null && before.getValue().start() + before.getValue().length() == s) {
            remove(before.getValue());
            s = before.getKey();
            len += before.getValue().length();
        }
        Run after = byStart.get(start + length);
        if (after != null) {
            remove(after);
            len += after.length();
        }
        insert(Run.of(s, len));
    }

    /**
     * Takes up to {@code want} blocks (a multiple of 512) as whole aligned 2 MiB pieces: from the
     * smallest run that holds enough pieces, else as many as the run with the most holds.
     * Null when no run holds a piece.
     */
    long[] takeHuge(long want) {
        long pieces = Math.max(1, want / HUGE);
        Run r = byPieces.ceiling(new Run(Long.MIN_VALUE, 0, pieces));
        if (r == null) {
            r = byPieces.isEmpty() ? null : byPieces.last();
        }
        if (r == null || r.hugePieces() == 0) {
            return null;
        }
        long aligned = (r.start() + HUGE - 1) & -HUGE;
        long len = Math.min(pieces, r.hugePieces()) * HUGE;
        carve(r, aligned, len);
        return new long[]{aligned, len};
    }

    /** Takes up to {@code want} blocks starting exactly at {@code at}, or null when {@code at} is not free. */
    long[] takeAt(long at, long want) {
        Map.Entry<Long, Run> e = byStart.floorEntry(at);
        if (e == null || e.getValue().start() + e.getValue().length() <= at) {
            return null;
        }
        long len = Math.min(want, e.getValue().start() + e.getValue().length() - at);
        carve(e.getValue(), at, len);
        return new long[]{at, len};
    }

    /** Takes up to {@code want} blocks from the smallest run that holds them all, else the largest. Null when empty. */
    long[] takeBestFit(long want) {
        Run r = byLength.ceiling(new Run(Long.MIN_VALUE, want, 0));
        if (r == null) {
            r = byLength.isEmpty() ? null : byLength.last();
        }
        if (r == null) {
            return null;
        }
        long len = Math.min(want, r.length());
        carve(r, r.start(), len);
        return new long[]{r.start(), len};
    }

    /**
     * For a request with no goal (a file's first blocks, or the first after a hole): as
     * {@link #takeBestFit}, but when the only fitting run is far larger than the request, the
     * blocks come from its middle, 2 MiB-aligned, not from its start. The file that allocated
     * at the run's start keeps room to grow there, and the new one gets room of its own: files
     * written at once by different threads grow side by side instead of taking turns block by
     * block (which would leave every one of them in one-block extents).
     */
    long[] takeForNewStream(long want) {
        Run r = byLength.ceiling(new Run(Long.MIN_VALUE, want, 0));
        if (r == null || r.length() < 4 * (want + HUGE)) {
            return takeBestFit(want);
        }
        long mid = (r.start() + r.length() / 2) & -HUGE;
        long at = Math.max(mid, r.start());
        if (at + want > r.start() + r.length()) {
            at = r.start();
        }
        carve(r, at, want);
        return new long[]{at, want};
    }

    /** Removes {@code [at, at + len)} from run {@code r}, keeping the pieces on either side. */
    private void carve(Run r, long at, long len) {
        remove(r);
        if (at > r.start()) {
            insert(Run.of(r.start(), at - r.start()));
        }
        long end = r.start() + r.length();
        if (at + len < end) {
            insert(Run.of(at + len, end - at - len));
        }
    }

    private void insert(Run r) {
        byStart.put(r.start(), r);
        byLength.add(r);
        if (r.hugePieces() > 0) {
            byPieces.add(r);
        }
        free += r.length();
        hugePieces += r.hugePieces();
    }

    private void remove(Run r) {
        byStart.remove(r.start());
        byLength.remove(r);
        byPieces.remove(r);
        free -= r.length();
        hugePieces -= r.hugePieces();
    }
}
