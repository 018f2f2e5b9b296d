package io.daxfs.fs;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Recent positive lookups of one directory, name to entry, in a direct-mapped table: resolving
 * a path then compares a name or two instead of hashing it to bytes and searching the
 * directory's index (what Linux's dentry cache does for every path walk, here one table per
 * open {@link Directory}).
 *
 * <h2>Invariant</h2>
 * An entry in the table is the directory's current entry of that name: the same inode at the
 * same record position. Writers keep it so: under the directory's write lock, a change that
 * removes or repoints a name {@link #forget}s it, which puts a new empty marker in its slot.
 * Readers add what they found with a compare-and-set from the slot value they read before they
 * began to search ({@link #offer}). A change between those two points replaced the slot with a
 * marker of its own, so the compare-and-set fails and a stale answer is never cached; a change
 * before the first point is seen by the search. (A plain null could not tell two empty states
 * apart; each marker is a new object, so it can.)
 *
 * <p>A directory replaces its table only under its write lock (with one twice as large once
 * a quarter of its slots are filled, or an empty one when the directory is removed), and a writer
 * always forgets in the current one. A reader may still fill a slot of a table already
 * replaced; only readers that took that table before the replacement, and so began before any
 * change the table then misses, can read it.
 *
 * <p>Bounded: a table grows with the names looked up, to at most {@link #MAX_SLOTS} slots, and
 * the directory counts it in its heap estimate, which the inode cache's budget covers.
 */
final class NameCache {
    static final int MIN_SLOTS = 16;
    static final int MAX_SLOTS = 1024;
    /** Heap of what one filled slot holds, roughly: the hit, its entry and the name. */
    private static final int BYTES_PER_HIT = 120;

    private record Hit(String name, Directory.Dentry entry) {
    }

    private final AtomicReferenceArray<Object> slots;
    private final int mask;
    /** Slots holding a hit, give or take a race (it only decides when to grow). */
    private final AtomicInteger filled = new AtomicInteger();

    /** A table of at least {@code wanted} slots (a power of two, within the bounds). */
    NameCache(int wanted) {
        int n = Integer.highestOneBit(Math.clamp(wanted, MIN_SLOTS, MAX_SLOTS) * 2 - 1);
        slots = new AtomicReferenceArray<>(Math.min(n, MAX_SLOTS));
        mask = slots.length() - 1;
    }

    int slots() {
        return slots.length();
    }

    int slotOf(String name) {
        int h = name.hashCode();
        return (h ^ (h >>> 16)) & mask;
    }

    /** What slot {@code slot} holds now: read it before searching, pass it to {@link #offer}. */
    Object seen(int slot) {
        return slots.get(slot);
    }

    /** The cached entry of {@code name} in what {@link #seen} returned, or null. */
    static Directory.Dentry hit(Object seen, String name) {
        return seen instanceof Hit h && h.name.equals(name) ? h.entry : null;
    }

    /** Caches {@code entry}, found for {@code name}, unless the slot changed since {@code seen}. */
    void offer(int slot, Object seen, String name, Directory.Dentry entry) {
        if (slots.compareAndSet(slot, seen, new Hit(name, entry)) && !(seen instanceof Hit)) {
            filled.incrementAndGet();
        }
    }

    /**
     * True when a quarter of the slots are filled and the table may still grow: time for a
     * larger one. (Direct-mapped, a table keeps about 85% of n names looked up in turn at 3n
     * slots, and only about two thirds at 1.5n.)
     */
    boolean crowded() {
        return filled.get() > slots.length() / 4 && slots.length() < MAX_SLOTS;
    }

    /** Drops whatever the slot of {@code name} caches. Under the directory's write lock. */
    void forget(String name) {
        if (slots.getAndSet(slotOf(name), new Object()) instanceof Hit) {
            filled.decrementAndGet();
        }
    }

    /** Heap held, roughly. */
    long estimatedBytes() {
        return 32 + 4L * slots.length() + (long) Math.max(0, filled.get()) * BYTES_PER_HIT;
    }
}
