package io.daxfs.dax;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The entry index of one file: a multi-order radix tree from page index (file offset / 4 KiB)
 * to an {@link Entry} word, with two marks per entry. It is the analog of the XArray that
 * Linux fs-DAX keeps per address space.
 *
 * <h2>Shape</h2>
 * Nodes have 512 slots. A node of level {@code L} covers {@code 512^(L+1)} pages, each slot
 * {@code 512^L}; so a slot of a level-0 node (a leaf) is one page, and a slot of a level-1 node
 * is exactly one aligned 2 MiB range, which is where a PMD entry lives. A slot holds:
 * <ul>
 * <li>level 0: an entry word (a PTE entry) or 0;</li>
 * <li>level 1: a PMD entry word, or a child leaf, or neither;</li>
 * <li>level 2 and up: a child node or nothing.</li>
 * </ul>
 * The root's level grows as indices need it (up to level 3, so {@link #MAX_INDEX} is
 * 2<sup>36</sup> - 1) and shrinks when only its first slot is used by a child. Entry words
 * live in {@code long[]}, children in {@code Node[]}: no boxing, no hashing.
 *
 * <p>Each node also has bitmaps with one bit per slot: PRESENT (the slot holds an entry or a
 * child) and one per {@link Mark}. For an entry slot the mark bit is the entry's own mark; for a
 * child slot it is a summary: set exactly when some entry below has the mark. So a search for
 * marked entries skips every subtree whose summary bit is clear, and a mark on a PMD entry,
 * being one bit, covers its whole range.
 *
 * <h2>Invariants</h2>
 * These hold whenever the short lock is free:
 * <ol>
 * <li>Every index is covered by at most one entry: a level-1 slot never holds both a PMD entry
 *     and a leaf; a PTE store inside a PMD's range and a PMD store over a leaf are refused.</li>
 * <li>No node is empty (it is pruned when its last slot empties), and the root is {@code null}
 *     when the index is empty. So a leaf under a level-1 slot means at least one PTE entry.</li>
 * <li>PRESENT and mark bits are exact, and summary bits in every ancestor agree with them.</li>
 * <li>Nodes are never reused: a pruned node is dropped, not recycled, and the tree never holds a
 *     half-built node or a value that means "retry" (docs/RACES.md Rule 20).</li>
 * </ol>
 *
 * <h2>Concurrency</h2>
 * A short internal lock ({@link #lock()}, an {@link OrderedLock} at {@link LockLevel#INDEX}, the
 * innermost level) serialises every change. It is held for a few array stores at a time and
 * never while waiting, sleeping, allocating blocks, copying data or doing I/O. (Java heap nodes
 * are allocated under it: a JVM allocation does not wait for reclaim the way a kernel
 * allocation may, so unlike Linux a grab never drops the lock to allocate a node and then
 * starts over.)
 *
 * <p>Lookups take no lock. Writers publish with release stores (a node is fully built before
 * the store that links it; a value is a single {@code long} store) and readers traverse with
 * acquire loads, so a reader sees each slot either before or after any store, never torn. A
 * single-index lookup ({@link #load}, {@link #getMark}) is linearizable: every change passes
 * through states that are themselves valid (a leaf becomes a PMD only via an empty slot, a PMD
 * becomes a leaf in one step: {@link #splitPmd}), and a reader that reaches a node just pruned
 * or a root just replaced sees an old but consistent state. Nothing a reader sees makes it retry, so lookups are wait-free:
 * they cannot livelock (docs/RACES.md R12). Range searches ({@link #nextEntry},
 * {@link #nextMarked}, {@link #findConflict} at order 9) are exact under the lock; without it
 * they are weakly consistent, like a concurrent collection's iterator: they may miss entries
 * changed during the search and may return an entry whose mark was just cleared, so a caller
 * re-checks under the lock (or the entry lock) before acting on the result.
 *
 * <p>Methods that change the index require the caller to hold the short lock and say so; they
 * throw {@link IllegalStateException} otherwise. {@link #tagRange} takes it itself.
 */
public final class EntryIndex {
    /** The marks an entry can carry. */
    public enum Mark {
        /** The entry's pages were written through a writable mapping since the last flush. */
        DIRTY,
        /** The entry is part of the current data-integrity writeback (tagged from DIRTY). */
        TOWRITE
    }

    /** The largest page index: four levels of 512 slots. daxfs files stop at 2^32 pages. */
    public static final long MAX_INDEX = (1L << 36) - 1;

    static final int SHIFT = 9;
    static final int FANOUT = 1 << SHIFT;
    static final int SLOT_MASK = FANOUT - 1;
    static final int MAX_LEVEL = 3;
    /** Entries {@link #tagRange} tags per hold of the short lock. */
    static final int TAG_BATCH = 4096;

    /** Bitmap numbers: PRESENT, then one per mark. */
    private static final int PRESENT = 0;
    private static final Mark[] MARKS = Mark.values();
    private static final int BITMAPS = 1 + MARKS.length;
    private static final int WORDS = FANOUT / Long.SIZE;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle NODES = MethodHandles.arrayElementVarHandle(Node[].class);

    /** A node. Arrays are read by lock-free readers; the other fields only under the lock. */
    static final class Node {
        final int level;
        /** Entry words: PTE entries at level 0, PMD entries at level 1; null above. */
        final long[] values;
        /** Child nodes, at level 1 and above; null in leaves. */
        final Node[] children;
        /** {@link #BITMAPS} bitmaps of {@link #WORDS} words: bit s of bitmap b is slot s. */
        final long[] bits = new long[BITMAPS * WORDS];
        Node parent;
        /** This node's slot in its parent. */
        int offset;
        /** Occupied slots (entries plus children). */
        int used;

        Node(int level, Node parent, int offset) {
            this.level = level;
            this.values = level <= 1 ? new long[FANOUT] : null;
            this.children = level >= 1 ? new Node[FANOUT] : null;
            this.parent = parent;
            this.offset = offset;
        }
    }

    private final OrderedLock shortLock;
    /** Spreads this index's wait keys over the wait table. */
    final int waitHash;
    private volatile Node root;
    /** Entries (PTE and PMD) and PMD entries; written under the lock, read anywhere. */
    private volatile int count;
    private volatile int pmdCount;

    /** An index whose short lock is named {@code index#id} (id: the inode number, say). */
    public EntryIndex(long id) {
        this.shortLock = new OrderedLock(LockLevel.INDEX, "index", id);
        this.waitHash = mix(System.identityHashCode(this) ^ id);
    }

    /** An anonymous index (tests). */
    public EntryIndex() {
        this(-1);
    }

    private static int mix(long x) {
        x *= 0x9E3779B97F4A7C15L;
        return (int) (x ^ x >>> 32);
    }

    // ---- the short lock ----

    /** Takes the short lock. Pair with {@link #unlock()} in a {@code finally}. */
    public void lock() {
        shortLock.lock();
    }

    public void unlock() {
        shortLock.unlock();
    }

    public boolean isLockedByCurrentThread() {
        return shortLock.isHeldByCurrentThread();
    }

    private void requireLocked() {
        if (!shortLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("the entry index's short lock is not held");
        }
    }

    // ---- lock-free lookups ----

    /** The entry covering {@code index} (a PTE entry at it or a PMD entry around it), or 0. Lock-free. */
    public long load(long index) {
        Node n = root;
        if (n == null || index >>> SHIFT * (n.level + 1) != 0) {
            return Entry.ABSENT;
        }
        while (n.level > 1) {
            n = child(n, slot(index, n.level));
            if (n == null) {
                return Entry.ABSENT;
            }
        }
        if (n.level == 1) {
            int s = slot(index, 1);
            long pmd = value(n, s);
            // A level-1 slot holds a PMD entry or a leaf, never both; reading the value first
            // and the child second can only see states the writer passed through.
            if (pmd != Entry.ABSENT) {
                return pmd;
            }
            n = child(n, s);
            if (n == null) {
                return Entry.ABSENT;
            }
        }
        return value(n, (int) index & SLOT_MASK);
    }

    /** Whether the entry covering {@code index} has {@code mark}; false when there is none. Lock-free. */
    public boolean getMark(long index, Mark mark) {
        Node n = holder(index);
        return n != null && testBit(n, bitmap(mark), slot(index, n.level));
    }

    /**
     * The first entry overlapping the aligned range of {@code order} (0 or 9) around
     * {@code index}: for order 0 the entry covering index, for order 9 the PMD entry of the range
     * or else its lowest PTE entry. 0 when the range is empty. Exact under the short lock.
     * {@link #findConflictIndex} gives the entry's first index.
     */
    public long findConflict(long index, int order) {
        checkOrder(order);
        if (order == 0) {
            return load(index);
        }
        Node leaf;
        Node n = levelOneNode(index);
        if (n != null) {
            int s = slot(index, 1);
            long pmd = value(n, s);
            if (pmd != Entry.ABSENT) {
                return pmd;
            }
            leaf = child(n, s);
        } else {
            leaf = leafRoot(index);
        }
        if (leaf == null) {
            return Entry.ABSENT;
        }
        for (int i = nextBit(leaf, PRESENT, 0, SLOT_MASK); i >= 0; i = nextBit(leaf, PRESENT, i + 1, SLOT_MASK)) {
            long e = value(leaf, i);
            if (e != Entry.ABSENT) {
                return e;
            }
        }
        return Entry.ABSENT;
    }

    /** The first index of the entry {@link #findConflict} returns, or -1. */
    public long findConflictIndex(long index, int order) {
        checkOrder(order);
        long first = index & -(1L << order);
        return nextEntry(first, first + (1L << order));
    }

    /**
     * The first index of the first entry that overlaps {@code [from, toExclusive)}, or -1. A PMD
     * entry that starts before {@code from} but covers it is returned with its own first index,
     * so an iteration continues at {@code result + Entry.pages(load(result))}.
     */
    public long nextEntry(long from, long toExclusive) {
        return nextSet(from, toExclusive, PRESENT);
    }

    /**
     * The first index of the first entry with {@code mark} that overlaps
     * {@code [from, toExclusive)}, or -1 (a PMD entry covering {@code from} is returned with its
     * first index). Skips unmarked subtrees by their summary bits. Exact under the short lock;
     * lock-free it may return an entry whose mark was cleared meanwhile.
     */
    public long nextMarked(long from, long toExclusive, Mark mark) {
        return nextSet(from, toExclusive, bitmap(mark));
    }

    /** Entries in the index (a PMD entry counts once). */
    public int count() {
        return count;
    }

    /** PMD entries in the index. */
    public long pmdCount() {
        return pmdCount;
    }

    // ---- changes, under the short lock ----

    /**
     * Inserts or replaces the entry of {@code order} at {@code index} (rounded down to the
     * order). Marks of a replaced entry stay. A PTE store inside a PMD entry's range, and a PMD
     * store over a range holding PTE entries, throw {@link IllegalStateException}: at most one
     * entry covers an index, and the caller must erase first. Requires the short lock.
     */
    public void store(long index, int order, long entry) {
        requireLocked();
        checkIndex(index);
        checkOrder(order);
        if (Entry.order(entry) != order || !Entry.isValid(Entry.withoutLocked(entry))) {
            throw new IllegalArgumentException("cannot store " + Entry.describe(entry) + " at order " + order);
        }
        if (order == 0) {
            storePte(index, entry);
        } else {
            storePmd(index & -Entry.PMD_PAGES, entry);
        }
    }

    private void storePte(long index, long entry) {
        Node n = growRoot(index, 0);
        while (n.level > 0) {
            int s = slot(index, n.level);
            if (n.level == 1 && n.values[s] != Entry.ABSENT) {
                throw new IllegalStateException("index " + index + " is covered by the PMD entry "
                        + Entry.describe(n.values[s]) + "; erase it before storing " + Entry.describe(entry));
            }
            Node c = n.children[s];
            n = c != null ? c : newChild(n, s);
        }
        put(n, (int) index & SLOT_MASK, entry);
    }

    private void storePmd(long first, long entry) {
        Node n = growRoot(first, 1);
        while (n.level > 1) {
            int s = slot(first, n.level);
            Node c = n.children[s];
            n = c != null ? c : newChild(n, s);
        }
        int s = slot(first, 1);
        if (n.children[s] != null) {
            throw new IllegalStateException("PTE entries occupy pages " + first + ".." + (first + Entry.PMD_PAGES - 1)
                    + "; a PMD entry " + Entry.describe(entry) + " cannot cover them");
        }
        put(n, s, entry);
    }

    /** Stores into an entry slot (level 0 or 1) and keeps the counts. */
    private void put(Node n, int s, long entry) {
        long old = n.values[s];
        LONGS.setRelease(n.values, s, entry);
        if (old == Entry.ABSENT) {
            n.used++;
            // No propagation: n already has a PRESENT bit in its parent (set when n was linked).
            writeBit(n, PRESENT, s, true);
            count++;
            if (n.level == 1) {
                pmdCount++;
            }
        }
    }

    /**
     * Removes the entry covering {@code index} (the whole PMD entry if it is one) and its marks,
     * prunes nodes left empty and lowers the root if it can. Returns the removed entry, or 0.
     * Requires the short lock.
     */
    public long erase(long index) {
        requireLocked();
        Node n = holder(index);
        if (n == null) {
            return Entry.ABSENT;
        }
        int s = slot(index, n.level);
        long old = n.values[s];
        // Marks first, then the value, so the entry never looks absent while it is still marked.
        for (Mark m : MARKS) {
            clearMarkBit(n, bitmap(m), s);
        }
        LONGS.setRelease(n.values, s, Entry.ABSENT);
        writeBit(n, PRESENT, s, false);
        n.used--;
        count--;
        if (n.level == 1) {
            pmdCount--;
        }
        prune(n);
        lowerRoot();
        return old;
    }

    /**
     * Replaces the PMD entry covering {@code index} by the PTE entry {@code pte} at
     * {@code index}, dropping the PMD's marks: the downgrade of a PMD placeholder. Lock-free
     * readers see the PMD entry or the new PTE entry, never an empty range in between: the new
     * leaf is linked before the PMD value is cleared, and readers look at the value first. (An
     * erase followed by a store would show them a moment with no entry at {@code index}, a
     * state that exists in no sequential history of the caller's operation.) Requires the
     * short lock.
     */
    public void splitPmd(long index, long pte) {
        requireLocked();
        checkIndex(index);
        if (Entry.order(pte) != 0 || !Entry.isValid(Entry.withoutLocked(pte))) {
            throw new IllegalArgumentException("cannot split a PMD entry into " + Entry.describe(pte));
        }
        Node n = levelOneNode(index);
        int s = slot(index, 1);
        if (n == null || n.values[s] == Entry.ABSENT) {
            throw new IllegalStateException("no PMD entry covers index " + index);
        }
        for (Mark m : MARKS) {
            clearMarkBit(n, bitmap(m), s);
        }
        Node leaf = new Node(0, n, s);
        int leafSlot = (int) index & SLOT_MASK;
        leaf.values[leafSlot] = pte;
        leaf.used = 1;
        writeBit(leaf, PRESENT, leafSlot, true);
        NODES.setRelease(n.children, s, leaf); // readers still take the PMD value first
        LONGS.setRelease(n.values, s, Entry.ABSENT); // from here on they find the leaf
        pmdCount--; // one entry out, one in: count stays
    }

    /** Sets {@code mark} on the entry covering {@code index}; false (and no change) if there is none. */
    public boolean setMark(long index, Mark mark) {
        requireLocked();
        Node n = holder(index);
        if (n == null) {
            return false;
        }
        setMarkBit(n, bitmap(mark), slot(index, n.level));
        return true;
    }

    /** Clears {@code mark} on the entry covering {@code index}; false if there is no entry. */
    public boolean clearMark(long index, Mark mark) {
        requireLocked();
        Node n = holder(index);
        if (n == null) {
            return false;
        }
        clearMarkBit(n, bitmap(mark), slot(index, n.level));
        return true;
    }

    /**
     * Sets {@code dst} on every entry in {@code [from, toExclusive)} that has {@code src} (the
     * writeback step "tag DIRTY entries TOWRITE"). Takes the short lock itself, for at most
     * {@link #TAG_BATCH} entries at a time, so a large range never keeps faults out for long;
     * an entry marked {@code src} between batches behind the cursor is left for the next sync,
     * as it would be had it been marked after the call. Returns the number of entries tagged.
     * The caller must not hold the short lock.
     */
    public long tagRange(long from, long toExclusive, Mark src, Mark dst) {
        int srcBits = bitmap(src);
        int dstBits = bitmap(dst);
        long tagged = 0;
        long cursor = Math.max(from, 0);
        while (cursor < toExclusive) {
            lock();
            try {
                for (int i = 0; i < TAG_BATCH && cursor < toExclusive; i++) {
                    long found = nextSet(cursor, toExclusive, srcBits);
                    if (found < 0) {
                        cursor = toExclusive;
                        break;
                    }
                    Node n = holder(found);
                    setMarkBit(n, dstBits, slot(found, n.level));
                    tagged++;
                    cursor = found + (n.level == 1 ? Entry.PMD_PAGES : 1);
                }
            } finally {
                unlock();
            }
        }
        return tagged;
    }

    // ---- tree walking ----

    private static int slot(long index, int level) {
        return (int) (index >>> SHIFT * level) & SLOT_MASK;
    }

    private static long value(Node n, int s) {
        return (long) LONGS.getAcquire(n.values, s);
    }

    private static Node child(Node n, int s) {
        return (Node) NODES.getAcquire(n.children, s);
    }

    private static int bitmap(Mark mark) {
        return 1 + mark.ordinal();
    }

    /**
     * The node whose {@code values} hold the entry covering {@code index}: a leaf, or the level-1
     * node of a PMD entry; null when no entry covers it. Lock-free.
     */
    private Node holder(long index) {
        Node n = levelOneNode(index);
        if (n == null) {
            Node leaf = leafRoot(index);
            return leaf != null && value(leaf, (int) index) != Entry.ABSENT ? leaf : null;
        }
        int s = slot(index, 1);
        if (value(n, s) != Entry.ABSENT) {
            return n;
        }
        Node leaf = child(n, s);
        return leaf != null && value(leaf, (int) index & SLOT_MASK) != Entry.ABSENT ? leaf : null;
    }

    /** The root if it is a leaf (the whole index lies in pages 0..511) and covers {@code index}. */
    private Node leafRoot(long index) {
        Node r = root;
        return r != null && r.level == 0 && index >>> SHIFT == 0 ? r : null;
    }

    /** The level-1 node covering {@code index}, or null (also when the root is a leaf). Lock-free. */
    private Node levelOneNode(long index) {
        Node n = root;
        if (n == null || n.level < 1 || index >>> SHIFT * (n.level + 1) != 0) {
            return null;
        }
        while (n.level > 1) {
            n = child(n, slot(index, n.level));
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    /** Grows the root until it covers {@code index} at a level of at least {@code minLevel}. */
    private Node growRoot(long index, int minLevel) {
        int need = Math.max(minLevel, levelFor(index));
        Node r = root;
        if (r == null) {
            r = new Node(need, null, 0);
            root = r;
            return r;
        }
        while (r.level < need) {
            Node up = new Node(r.level + 1, null, 0);
            up.children[0] = r;
            up.used = 1;
            writeBit(up, PRESENT, 0, true);
            for (Mark m : MARKS) {
                if (anyBit(r, bitmap(m))) {
                    writeBit(up, bitmap(m), 0, true);
                }
            }
            r.parent = up;
            r.offset = 0;
            root = up; // publishes the fully built node
            r = up;
        }
        return r;
    }

    /** The lowest root level whose range holds {@code index}. */
    private static int levelFor(long index) {
        int bits = Long.SIZE - Long.numberOfLeadingZeros(index);
        return bits == 0 ? 0 : (bits - 1) / SHIFT;
    }

    private Node newChild(Node n, int s) {
        Node c = new Node(n.level - 1, n, s);
        NODES.setRelease(n.children, s, c); // c is empty and fully built
        n.used++;
        writeBit(n, PRESENT, s, true);
        return c;
    }

    /** Unlinks {@code n} and then each ancestor that its removal leaves empty. */
    private void prune(Node n) {
        while (n.used == 0) {
            Node p = n.parent;
            if (p == null) {
                root = null;
                return;
            }
            // An empty node carries no marks, so p's summary bits for it are already clear.
            NODES.setRelease(p.children, n.offset, null);
            writeBit(p, PRESENT, n.offset, false);
            p.used--;
            n = p;
        }
    }

    /**
     * While the root's only occupant is a child in slot 0, makes that child the root. A reader
     * still holding the old root reaches the same child through it, so it sees current slots.
     */
    private void lowerRoot() {
        Node r = root;
        while (r != null && r.level > 0 && r.used == 1) {
            Node c = r.children[0];
            if (c == null) {
                return; // the one occupant is elsewhere, or a PMD entry in slot 0
            }
            c.parent = null;
            root = c;
            r = c;
        }
    }

    // ---- bitmaps ----

    private static boolean testBit(Node n, int b, int s) {
        return ((long) LONGS.getAcquire(n.bits, b * WORDS + (s >>> 6)) & 1L << s) != 0;
    }

    /** Sets or clears one bit; the lock serialises writers, so a load and a release store suffice. */
    private static void writeBit(Node n, int b, int s, boolean on) {
        int w = b * WORDS + (s >>> 6);
        long old = n.bits[w];
        LONGS.setRelease(n.bits, w, on ? old | 1L << s : old & ~(1L << s));
    }

    private static boolean anyBit(Node n, int b) {
        for (int w = b * WORDS, end = w + WORDS; w < end; w++) {
            if (n.bits[w] != 0) {
                return true;
            }
        }
        return false;
    }

    /** Sets a mark bit and the summary bit in each ancestor that did not yet summarise one. */
    private static void setMarkBit(Node n, int b, int s) {
        while (!testBit(n, b, s)) {
            boolean hadAny = anyBit(n, b);
            writeBit(n, b, s, true);
            if (hadAny || n.parent == null) {
                return; // the ancestors' summary bits are already set
            }
            s = n.offset;
            n = n.parent;
        }
    }

    /** Clears a mark bit and each ancestor summary bit that no longer summarises anything. */
    private static void clearMarkBit(Node n, int b, int s) {
        while (testBit(n, b, s)) {
            writeBit(n, b, s, false);
            if (anyBit(n, b) || n.parent == null) {
                return;
            }
            s = n.offset;
            n = n.parent;
        }
    }

    /** The next set bit of bitmap {@code b} in slots {@code [from, last]}, or -1. */
    private static int nextBit(Node n, int b, int from, int last) {
        if (from > last) {
            return -1;
        }
        int w = from >>> 6;
        int lastWord = last >>> 6;
        long word = (long) LONGS.getAcquire(n.bits, b * WORDS + w) & -1L << from;
        while (word == 0) {
            if (++w > lastWord) {
                return -1;
            }
            word = (long) LONGS.getAcquire(n.bits, b * WORDS + w);
        }
        int s = w << 6 | Long.numberOfTrailingZeros(word);
        return s <= last ? s : -1;
    }

    private long nextSet(long from, long toExclusive, int b) {
        if (from < 0) {
            from = 0;
        }
        Node r = root;
        if (r == null || from >= toExclusive) {
            return -1;
        }
        long capacity = 1L << SHIFT * (r.level + 1);
        if (from >= capacity) {
            return -1;
        }
        return scan(r, 0, from, Math.min(toExclusive, capacity), b);
    }

    /**
     * Depth-first search of the subtree of {@code n} (first index {@code base}) for the first
     * slot with bit {@code b} overlapping {@code [from, toExclusive)}; both bounds lie in the
     * subtree's range. At most four levels deep.
     */
    private static long scan(Node n, long base, long from, long toExclusive, int b) {
        int shift = SHIFT * n.level;
        int first = (int) (from - base >>> shift);
        int last = (int) (toExclusive - 1 - base >>> shift);
        for (int s = nextBit(n, b, first, last); s >= 0; s = nextBit(n, b, s + 1, last)) {
            long slotBase = base + ((long) s << shift);
            if (n.level <= 1 && value(n, s) != Entry.ABSENT) {
                return slotBase;
            }
            if (n.level >= 1) {
                Node c = child(n, s);
                if (c != null) {
                    long found = scan(c, slotBase, Math.max(from, slotBase), Math.min(toExclusive, slotBase + (1L << shift)), b);
                    if (found >= 0) {
                        return found;
                    }
                }
            }
        }
        return -1;
    }

    // ---- argument checks ----

    static void checkOrder(int order) {
        if (order != 0 && order != Entry.PMD_ORDER) {
            throw new IllegalArgumentException("order must be 0 or " + Entry.PMD_ORDER + ", not " + order);
        }
    }

    static void checkIndex(long index) {
        if (index < 0 || index > MAX_INDEX) {
            throw new IllegalArgumentException("page index " + index + " outside 0.." + MAX_INDEX);
        }
    }

    // ---- for tests ----

    /** Levels in the tree (0 when empty). */
    int height() {
        Node r = root;
        return r == null ? 0 : r.level + 1;
    }

    /** Checks every structural invariant; throws {@link AssertionError} naming the first broken one. Takes the short lock. */
    void checkInvariants() {
        lock();
        try {
            Node r = root;
            int[] counts = new int[2];
            if (r != null) {
                if (r.parent != null) {
                    throw new AssertionError("root has a parent");
                }
                checkNode(r, 0, counts);
            }
            if (counts[0] != count || counts[1] != pmdCount) {
                throw new AssertionError("count " + count + "/" + pmdCount + " but the tree holds " + counts[0] + "/" + counts[1]);
            }
        } finally {
            unlock();
        }
    }

    private static void checkNode(Node n, long base, int[] counts) {
        int used = 0;
        for (int s = 0; s < FANOUT; s++) {
            long slotBase = base + ((long) s << SHIFT * n.level);
            long e = n.values != null ? n.values[s] : 0;
            Node c = n.children != null ? n.children[s] : null;
            if (e != 0 && c != null) {
                throw new AssertionError("slot " + s + " at level " + n.level + " (index " + slotBase + ") holds an entry and a node");
            }
            boolean present = e != 0 || c != null;
            if (present != testBit(n, PRESENT, s)) {
                throw new AssertionError("PRESENT bit wrong at level " + n.level + " index " + slotBase);
            }
            if (e != 0) {
                used++;
                counts[0]++;
                if (!Entry.isValid(Entry.withoutLocked(e)) || Entry.order(e) != (n.level == 1 ? Entry.PMD_ORDER : 0)) {
                    throw new AssertionError("bad entry " + Entry.describe(e) + " at level " + n.level + " index " + slotBase);
                }
                if (n.level == 1) {
                    counts[1]++;
                }
            }
            if (c != null) {
                used++;
                if (c.parent != n || c.offset != s || c.level != n.level - 1) {
                    throw new AssertionError("child links wrong at level " + n.level + " index " + slotBase);
                }
                if (c.used == 0) {
                    throw new AssertionError("empty node left in the tree at level " + c.level + " index " + slotBase);
                }
                checkNode(c, slotBase, counts);
            }
            for (int b = 1; b < BITMAPS; b++) {
                boolean bit = testBit(n, b, s);
                if (c != null && bit != anyBit(c, b)) {
                    throw new AssertionError("summary bit " + MARKS[b - 1] + " wrong at level " + n.level + " index " + slotBase);
                }
                if (!present && bit) {
                    throw new AssertionError("mark " + MARKS[b - 1] + " on an empty slot at level " + n.level + " index " + slotBase);
                }
            }
        }
        if (used != n.used) {
            throw new AssertionError("used " + n.used + " but " + used + " slots occupied at level " + n.level + " base " + base);
        }
    }
}
