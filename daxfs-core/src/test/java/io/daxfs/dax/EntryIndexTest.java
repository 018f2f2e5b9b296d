package io.daxfs.dax;

import io.daxfs.dax.EntryIndex.Mark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static io.daxfs.dax.Entry.PMD_PAGES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The entry index as a data structure: entries of both orders, marks, searches, shape. */
class EntryIndexTest {
    private static final long[] INDICES = {0, 1, 5, 511, 512, 513, 1023, 4096, (1L << 18) - 1, 1L << 18,
            (1L << 27) + 7, (1L << 31) + 3, (1L << 32) - 512, (1L << 32) - 1, EntryIndex.MAX_INDEX};

    private final EntryIndex idx = new EntryIndex(7);

    private void store(long index, int order, long entry) {
        idx.lock();
        try {
            idx.store(index, order, entry);
        } finally {
            idx.unlock();
        }
    }

    private long erase(long index) {
        idx.lock();
        try {
            return idx.erase(index);
        } finally {
            idx.unlock();
        }
    }

    private void mark(long index, Mark m, boolean on) {
        idx.lock();
        try {
            if (on) {
                idx.setMark(index, m);
            } else {
                idx.clearMark(index, m);
            }
        } finally {
            idx.unlock();
        }
    }

    /** A REAL PTE entry; pfn 0 is not one (its word is ABSENT), so pfns start at 1. */
    private static long pte(long n) {
        return Entry.real(n + 1, false);
    }

    private static long pmd(long pfn) {
        return Entry.real(pfn * PMD_PAGES, true);
    }

    @Test
    void anEmptyIndexHoldsNothing() {
        assertEquals(0, idx.load(0));
        assertEquals(0, idx.load(EntryIndex.MAX_INDEX));
        assertEquals(-1, idx.nextEntry(0, Long.MAX_VALUE));
        assertEquals(-1, idx.nextMarked(0, Long.MAX_VALUE, Mark.DIRTY));
        assertEquals(0, idx.count());
        assertEquals(0, idx.height());
    }

    @Test
    void ptesAreStoredFoundAndErasedAtEveryHeight() {
        for (long i : INDICES) {
            store(i, 0, pte(i + 100));
        }
        idx.checkInvariants();
        assertEquals(4, idx.height(), "an index above 2^27 needs four levels");
        assertEquals(INDICES.length, idx.count());
        for (long i : INDICES) {
            assertEquals(pte(i + 100), idx.load(i), "index " + i);
            assertEquals(0, idx.load(i ^ 2), "a neighbour of " + i);
        }
        long seen = 0;
        int n = 0;
        for (long i = idx.nextEntry(0, Long.MAX_VALUE); i >= 0; i = idx.nextEntry(i + 1, Long.MAX_VALUE)) {
            assertEquals(INDICES[n++], i, "nextEntry visits entries in index order");
            seen++;
        }
        assertEquals(INDICES.length, seen);
        for (long i : INDICES) {
            assertEquals(pte(i + 100), erase(i));
            assertEquals(0, idx.load(i));
            idx.checkInvariants();
        }
        assertEquals(0, idx.count());
        assertEquals(0, idx.height(), "erasing everything prunes every node");
    }

    @Test
    void theRootGrowsAndShrinksWithTheHighestIndex() {
        store(3, 0, pte(1));
        assertEquals(1, idx.height());
        store((1L << 32) - 1, 0, pte(2));
        assertEquals(4, idx.height());
        erase((1L << 32) - 1);
        assertEquals(1, idx.height(), "the root is lowered back to the leaf");
        assertEquals(pte(1), idx.load(3));
        store(600, 0, pte(3));
        assertEquals(2, idx.height());
        erase(3);
        assertEquals(2, idx.height(), "600 is in slot 1 of the level-1 root: no lowering");
        idx.checkInvariants();
    }

    @Test
    void aPmdEntryCoversItsWhole2MiBRange() {
        store(700, 9, pmd(3)); // any index in the range names it
        assertEquals(1, idx.count());
        assertEquals(1, idx.pmdCount());
        assertEquals(0, idx.load(511));
        for (long i = 512; i < 1024; i++) {
            assertEquals(pmd(3), idx.load(i));
        }
        assertEquals(0, idx.load(1024));
        assertEquals(512, idx.nextEntry(0, 2000));
        assertEquals(512, idx.nextEntry(800, 2000), "a PMD straddling 'from' is reported at its first index");
        assertEquals(-1, idx.nextEntry(1024, 2000));
        assertEquals(-1, idx.nextEntry(0, 512), "toExclusive is exclusive");
        assertEquals(pmd(3), erase(1000), "erasing any covered index removes the whole PMD");
        assertEquals(0, idx.load(512));
        assertEquals(0, idx.pmdCount());
        assertEquals(0, idx.height());
    }

    @Test
    void pmdAndPteEntriesNeverOverlap() {
        store(5, 0, pte(1));
        IllegalStateException overPtes = assertThrows(IllegalStateException.class, () -> store(0, 9, pmd(1)));
        assertTrue(overPtes.getMessage().contains("PTE entries occupy"), overPtes.getMessage());
        store(512, 9, pmd(2));
        assertThrows(IllegalStateException.class, () -> store(600, 0, pte(9)), "a PTE inside a PMD");
        idx.checkInvariants();
        erase(5);
        store(0, 9, pmd(1)); // the leaf was pruned with its last PTE, so now the range is free
        assertEquals(pmd(1), idx.load(5));
        idx.checkInvariants();
    }

    @Test
    void splittingAPmdLeavesOnePteEntryAndDropsThePmdsMarks() {
        store(512, 9, Entry.zero(true));
        mark(512, Mark.DIRTY, true);
        long placeholder = Entry.withLocked(Entry.empty(false));
        idx.lock();
        try {
            idx.splitPmd(700, placeholder);
            assertThrows(IllegalStateException.class, () -> idx.splitPmd(5, placeholder), "no PMD there");
            assertThrows(IllegalArgumentException.class, () -> idx.splitPmd(700, Entry.zero(true)));
        } finally {
            idx.unlock();
        }
        assertEquals(placeholder, idx.load(700));
        assertEquals(0, idx.load(512));
        assertEquals(0, idx.load(701));
        assertFalse(idx.getMark(700, Mark.DIRTY));
        assertEquals(-1, idx.nextMarked(0, 2048, Mark.DIRTY));
        assertEquals(1, idx.count());
        assertEquals(0, idx.pmdCount());
        idx.checkInvariants();
    }

    @Test
    void storeReplacesAndKeepsMarks() {
        store(9, 0, Entry.withLocked(Entry.empty(false)));
        mark(9, Mark.DIRTY, true);
        store(9, 0, Entry.withLocked(pte(4)));
        assertEquals(Entry.withLocked(pte(4)), idx.load(9));
        assertTrue(idx.getMark(9, Mark.DIRTY));
        assertEquals(1, idx.count());
    }

    @Test
    void changesNeedTheShortLockAndValidArguments() {
        assertThrows(IllegalStateException.class, () -> idx.store(0, 0, pte(1)));
        assertThrows(IllegalStateException.class, () -> idx.erase(0));
        assertThrows(IllegalStateException.class, () -> idx.setMark(0, Mark.DIRTY));
        idx.lock();
        try {
            assertThrows(IllegalArgumentException.class, () -> idx.store(0, 9, pte(1)), "order disagrees with the entry");
            assertThrows(IllegalArgumentException.class, () -> idx.store(0, 0, 0), "0 is not an entry");
            assertThrows(IllegalArgumentException.class, () -> idx.store(0, 3, pte(1)));
            assertThrows(IllegalArgumentException.class, () -> idx.store(EntryIndex.MAX_INDEX + 1, 0, pte(1)));
            assertThrows(IllegalArgumentException.class, () -> idx.store(-1, 0, pte(1)));
        } finally {
            idx.unlock();
        }
    }

    @Test
    void marksBelongToEntriesAndAPmdMarkCoversItsRange() {
        store(1, 0, pte(1));
        store(512, 9, pmd(1));
        assertFalse(idx.getMark(1, Mark.DIRTY));
        mark(1, Mark.DIRTY, true);
        mark(600, Mark.TOWRITE, true);
        assertTrue(idx.getMark(1, Mark.DIRTY));
        assertFalse(idx.getMark(1, Mark.TOWRITE));
        for (long i = 512; i < 1024; i += 37) {
            assertTrue(idx.getMark(i, Mark.TOWRITE), "index " + i);
        }
        idx.lock();
        try {
            assertFalse(idx.setMark(2, Mark.DIRTY), "no entry, no mark");
        } finally {
            idx.unlock();
        }
        assertFalse(idx.getMark(2, Mark.DIRTY));
        idx.checkInvariants();
        mark(1023, Mark.TOWRITE, false);
        assertFalse(idx.getMark(512, Mark.TOWRITE));
        erase(1);
        store(1, 0, pte(1));
        assertFalse(idx.getMark(1, Mark.DIRTY), "erase drops the marks");
        idx.checkInvariants();
    }

    @Test
    void nextMarkedFindsMarkedEntriesInOrderAndSkipsUnmarkedSubtrees() {
        // 64 leaves full of unmarked PTE entries, two marked ones far apart, one marked PMD.
        idx.lock();
        try {
            for (long i = 0; i < 64 * 512; i++) {
                idx.store(i, 0, pte(i));
            }
            idx.store(1L << 20, 9, pmd(5));
            idx.store((1L << 32) - 1, 0, pte(9));
            idx.setMark(20_017, Mark.DIRTY);
            idx.setMark(3, Mark.DIRTY);
            idx.setMark((1L << 20) + 100, Mark.DIRTY);
            idx.setMark((1L << 32) - 1, Mark.DIRTY);
        } finally {
            idx.unlock();
        }
        idx.checkInvariants(); // includes: every summary bit equals "some entry below is marked"
        long end = Long.MAX_VALUE;
        assertEquals(3, idx.nextMarked(0, end, Mark.DIRTY));
        assertEquals(20_017, idx.nextMarked(4, end, Mark.DIRTY));
        assertEquals(1L << 20, idx.nextMarked(20_018, end, Mark.DIRTY));
        assertEquals(1L << 20, idx.nextMarked((1L << 20) + 300, end, Mark.DIRTY), "inside the marked PMD");
        assertEquals((1L << 32) - 1, idx.nextMarked((1L << 20) + 512, end, Mark.DIRTY));
        assertEquals(-1, idx.nextMarked(1L << 32, end, Mark.DIRTY));
        assertEquals(-1, idx.nextMarked(4, 20_017, Mark.DIRTY), "the bound is exclusive");
        assertEquals(-1, idx.nextMarked(0, end, Mark.TOWRITE));
        mark(3, Mark.DIRTY, false);
        mark(20_017, Mark.DIRTY, false);
        assertEquals(1L << 20, idx.nextMarked(0, end, Mark.DIRTY));
        idx.checkInvariants();
    }

    @Test
    void findConflictReportsTheFirstOverlappingEntry() {
        store(5, 0, pte(9));
        assertEquals(1, idx.height(), "the root is a leaf");
        assertEquals(pte(9), idx.findConflict(100, 9), "a PTE in a leaf root conflicts with a PMD request");
        erase(5);
        store(700, 0, pte(1));
        store(600, 0, pte(2));
        store(2048, 9, pmd(4));
        assertEquals(pte(2), idx.findConflict(1000, 9), "the lowest PTE of the 2 MiB range");
        assertEquals(600, idx.findConflictIndex(1000, 9));
        assertEquals(0, idx.findConflict(601, 0));
        assertEquals(-1, idx.findConflictIndex(601, 0));
        assertEquals(pmd(4), idx.findConflict(2100, 0), "a 4 KiB request inside a PMD sees the PMD");
        assertEquals(2048, idx.findConflictIndex(2100, 0));
        assertEquals(pmd(4), idx.findConflict(2559, 9));
        assertEquals(0, idx.findConflict(5000, 9));
    }

    @Test
    void tagRangeCopiesOneMarkToAnotherInsideTheRange() {
        idx.lock();
        try {
            for (long i = 0; i < 10_000; i++) { // more than one batch of TAG_BATCH
                idx.store(i, 0, pte(i));
                if (i % 2 == 0) {
                    idx.setMark(i, Mark.DIRTY);
                }
            }
            idx.store(20_480, 9, pmd(7));
            idx.setMark(20_480, Mark.DIRTY);
        } finally {
            idx.unlock();
        }
        assertEquals(4_500 + 1, idx.tagRange(1_000, 20_500, Mark.DIRTY, Mark.TOWRITE),
                "even indices 1000..9998, plus the PMD the range reaches into");
        assertFalse(idx.getMark(998, Mark.TOWRITE));
        assertTrue(idx.getMark(1_000, Mark.TOWRITE));
        assertFalse(idx.getMark(1_001, Mark.TOWRITE));
        assertTrue(idx.getMark(9_998, Mark.TOWRITE));
        assertTrue(idx.getMark(20_991, Mark.TOWRITE));
        assertEquals(1, idx.tagRange(20_600, 20_601, Mark.DIRTY, Mark.TOWRITE), "a range inside the PMD tags it");
        assertTrue(idx.getMark(9_998, Mark.DIRTY), "the source mark stays");
        assertFalse(idx.isLockedByCurrentThread());
        idx.checkInvariants();
    }

    @Test
    void entryWordsEncodeTheirState() {
        long real = Entry.real(0x400, true);
        assertTrue(Entry.isPmd(real) && Entry.isReal(real) && !Entry.isLocked(real));
        assertEquals(9, Entry.order(real));
        assertEquals(512, Entry.pages(real));
        assertEquals(0x400, Entry.pfn(real));
        assertEquals("REAL(pfn=0x400)+PMD+LOCKED", Entry.describe(Entry.withLocked(real)));
        assertEquals(real, Entry.withoutLocked(Entry.withLocked(real)));
        assertEquals("ZERO", Entry.describe(Entry.zero(false)));
        assertEquals("EMPTY+PMD", Entry.describe(Entry.empty(true)));
        assertEquals("ABSENT", Entry.describe(0));
        assertEquals("FALLBACK", Entry.describe(Entry.FALLBACK));
        assertFalse(Entry.isValid(Entry.FALLBACK));
        assertFalse(Entry.isReal(Entry.ABSENT));
        assertEquals(0, Entry.order(Entry.zero(false)));
        assertEquals(512, Entry.baseIndex(1000, Entry.empty(true)));
        assertEquals(1000, Entry.baseIndex(1000, Entry.empty(false)));
        assertThrows(IllegalArgumentException.class, () -> Entry.real(5, true), "a PMD's pfn is 2 MiB aligned");
        assertThrows(IllegalArgumentException.class, () -> Entry.real(Entry.MAX_PFN + 1, false));
        assertTrue(Entry.real(Entry.MAX_PFN, false) > 0);
        assertThrows(IllegalArgumentException.class, () -> Entry.real(0, false), "its word would be ABSENT");
        assertEquals(Entry.PMD, Entry.real(0, true));
    }

    // ---- randomized, against a reference model ----

    /** The model: first index -> {entry, marks bitset}; entries never overlap. */
    private static final class Model {
        final TreeMap<Long, long[]> entries = new TreeMap<>();

        Map.Entry<Long, long[]> covering(long i) {
            Map.Entry<Long, long[]> e = entries.floorEntry(i);
            return e != null && e.getKey() + Entry.pages(e.getValue()[0]) > i ? e : null;
        }

        long load(long i) {
            Map.Entry<Long, long[]> e = covering(i);
            return e == null ? 0 : e.getValue()[0];
        }

        boolean overlaps(long first, long pages) {
            Map.Entry<Long, long[]> below = covering(first);
            Long next = entries.ceilingKey(first);
            return below != null || next != null && next < first + pages;
        }

        long next(long from, long to, int markBit) {
            Map.Entry<Long, long[]> c = covering(from);
            if (c != null && (markBit < 0 || (c.getValue()[1] & 1L << markBit) != 0)) {
                return c.getKey();
            }
            for (Map.Entry<Long, long[]> e : entries.tailMap(from, true).entrySet()) {
                if (e.getKey() >= to) {
                    return -1;
                }
                if (markBit < 0 || (e.getValue()[1] & 1L << markBit) != 0) {
                    return e.getKey();
                }
            }
            return -1;
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 0xDA7F5})
    void randomOperationsAgreeWithATreeMapModel(long seed) {
        randomOperations(seed, false);
    }

    /** At most a few entries below page 1024: the root is often a leaf or a level-1 node, and shrinks back. */
    @ParameterizedTest
    @ValueSource(longs = {7, 0x5EED})
    void randomOperationsOnASmallIndexAgreeWithATreeMapModel(long seed) {
        randomOperations(seed, true);
    }

    private void randomOperations(long seed, boolean small) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Model model = new Model();
        int ops = Boolean.getBoolean("daxfs.test.long") ? 1_000_000 : 100_000;
        for (int op = 0; op < ops; op++) {
            long index = small ? rnd.nextLong(2 * PMD_PAGES) : randomIndex(rnd);
            int kind = rnd.nextInt(100);
            if (small && kind < 40 && model.entries.size() >= 3) {
                kind += 20; // keep a small index nearly empty, so it keeps shrinking to a leaf root
                index = rnd.nextBoolean() ? model.entries.firstKey() : model.entries.lastKey();
            }
            long i = index;
            idx.lock();
            try {
                if (kind < 30) { // PTE store
                    long e = rnd.nextBoolean() ? pte(rnd.nextLong(1 << 20)) : Entry.withLocked(Entry.empty(false));
                    Map.Entry<Long, long[]> c = model.covering(i);
                    if (c != null && Entry.isPmd(c.getValue()[0])) {
                        assertThrows(IllegalStateException.class, () -> idx.store(i, 0, e));
                    } else {
                        idx.store(i, 0, e);
                        model.entries.computeIfAbsent(i, k -> new long[2])[0] = e;
                    }
                } else if (kind < 40) { // PMD store
                    long first = i & -PMD_PAGES;
                    long e = rnd.nextBoolean() ? pmd(rnd.nextLong(1 << 10)) : Entry.zero(true);
                    long[] old = model.entries.get(first);
                    boolean replacesPmd = old != null && Entry.isPmd(old[0]);
                    if (!replacesPmd && model.overlaps(first, PMD_PAGES)) {
                        assertThrows(IllegalStateException.class, () -> idx.store(i, 9, e));
                    } else {
                        idx.store(i, 9, e);
                        model.entries.computeIfAbsent(first, k -> new long[2])[0] = e;
                    }
                } else if (kind < 60) { // erase
                    Map.Entry<Long, long[]> c = model.covering(i);
                    assertEquals(c == null ? 0 : c.getValue()[0], idx.erase(i));
                    if (c != null) {
                        model.entries.remove(c.getKey());
                    }
                } else if (kind < 75) { // marks
                    Mark m = rnd.nextBoolean() ? Mark.DIRTY : Mark.TOWRITE;
                    boolean on = rnd.nextInt(3) != 0;
                    Map.Entry<Long, long[]> c = model.covering(i);
                    assertEquals(c != null, on ? idx.setMark(i, m) : idx.clearMark(i, m));
                    if (c != null) {
                        long bit = 1L << m.ordinal();
                        c.getValue()[1] = on ? c.getValue()[1] | bit : c.getValue()[1] & ~bit;
                    }
                } else if (kind < 90) { // searches
                    long to = i + 1 + rnd.nextLong(rnd.nextBoolean() ? 600 : 1L << 33);
                    int bit = rnd.nextInt(3) - 1;
                    long got = bit < 0 ? idx.nextEntry(i, to) : idx.nextMarked(i, to, Mark.values()[bit]);
                    assertEquals(model.next(i, to, bit), got, "search from " + i + " to " + to + " bitmap " + bit);
                } else if (kind < 92) { // tag range
                    long to = i + rnd.nextLong(5000);
                    idx.unlock();
                    try {
                        idx.tagRange(i, to, Mark.DIRTY, Mark.TOWRITE);
                    } finally {
                        idx.lock();
                    }
                    for (long f = model.next(i, to, 0); f >= 0; f = model.next(f + Entry.pages(model.entries.get(f)[0]), to, 0)) {
                        model.entries.get(f)[1] |= 1L << Mark.TOWRITE.ordinal();
                    }
                } else { // lookups
                    assertEquals(model.load(i), idx.load(i), "load " + i);
                    int order = rnd.nextBoolean() ? 0 : 9;
                    long first = i & -(1L << order);
                    long expect = model.next(first, first + (1L << order), -1);
                    assertEquals(expect, idx.findConflictIndex(i, order));
                    assertEquals(expect < 0 ? 0 : model.entries.get(expect)[0], idx.findConflict(i, order));
                    Map.Entry<Long, long[]> c = model.covering(i);
                    for (Mark m : Mark.values()) {
                        assertEquals(c != null && (c.getValue()[1] & 1L << m.ordinal()) != 0, idx.getMark(i, m));
                    }
                }
            } finally {
                idx.unlock();
            }
            assertEquals(model.entries.size(), idx.count());
            if (op % 5_000 == 0) {
                idx.checkInvariants();
            }
        }
        idx.checkInvariants();
        for (Map.Entry<Long, long[]> e : model.entries.entrySet()) {
            assertEquals(e.getValue()[0], idx.load(e.getKey()));
        }
    }

    /** Mostly a few dense 2 MiB ranges (so PMD and PTE collide), sometimes anywhere up to 2^32. */
    private static long randomIndex(SplittableRandom rnd) {
        int r = rnd.nextInt(10);
        if (r < 7) {
            return rnd.nextLong(4 * PMD_PAGES);
        }
        if (r < 9) {
            return (1L << 32) - 1 - rnd.nextLong(3 * PMD_PAGES);
        }
        return rnd.nextLong(1L << 32);
    }
}
