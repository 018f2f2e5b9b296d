package io.daxfs.dax;

/**
 * DAX entries: the values an {@link EntryIndex} holds, encoded in one {@code long} so the
 * index can keep them in primitive arrays and publish them with a single atomic store.
 *
 * <pre>
 *   bit 0     LOCKED  the entry lock is held (see {@link EntryLocks})
 *   bit 1     PMD     order 9: one entry covers 512 aligned pages (2 MiB); otherwise order 0
 *   bit 2     ZERO    a read of a hole: maps the shared zero page
 *   bit 3     EMPTY   a placeholder a fault inserts, locked, before it knows the block
 *   bits 4-62 pfn     the device page frame number, for REAL entries (neither ZERO nor EMPTY)
 *   0                 ABSENT: no entry
 * </pre>
 *
 * <p>The state machine, each state locked or not:
 * <pre>
 *   ABSENT --grab--> EMPTY+L --read of a hole--> ZERO+L --block mapped--> REAL+L --unlock--> REAL
 *                       \-------------------block mapped------------------/
 *   EMPTY or ZERO PMD --4 KiB grab--> ABSENT, then EMPTY+L at 4 KiB (downgrade; REAL PMDs never are)
 *   unlocked entry --truncate/punch--> ABSENT
 * </pre>
 * A valid entry has at most one of ZERO and EMPTY, and a REAL PMD's pfn is 512-aligned (the
 * device range is one aligned 2 MiB extent). Every valid word is non-negative, because a pfn
 * has at most {@link #PFN_BITS} bits.
 *
 * <p>{@link #FALLBACK} is not an entry: it is what a 2 MiB grab returns when smaller entries
 * occupy the range. It has ZERO and EMPTY both set, a combination no entry has.
 */
public final class Entry {
    /** No entry. */
    public static final long ABSENT = 0L;
    /** The entry lock bit. */
    public static final long LOCKED = 1L;
    /** Order 9: the entry covers {@link #PMD_PAGES} aligned pages. */
    public static final long PMD = 1L << 1;
    /** Maps the shared zero page (a read of a hole or an unwritten extent). */
    public static final long ZERO = 1L << 2;
    /** A placeholder inserted locked by a fault that does not know its block yet. */
    public static final long EMPTY = 1L << 3;
    /** Where the pfn starts. */
    public static final int PFN_SHIFT = 4;
    /** Width of the pfn field: keeps every entry word non-negative. */
    public static final int PFN_BITS = 59;
    /** The largest page frame number an entry can hold. */
    public static final long MAX_PFN = (1L << PFN_BITS) - 1;
    /** The order of a PMD entry. */
    public static final int PMD_ORDER = 9;
    /** Pages a PMD entry covers. */
    public static final long PMD_PAGES = 1L << PMD_ORDER;
    /**
     * Returned by a 2 MiB grab or wait when smaller entries occupy the range (a conflict, never a
     * sleep: docs/RACES.md Rule 5): the caller falls back to 4 KiB. Not an entry.
     */
    public static final long FALLBACK = -1L;

    private static final long KIND_BITS = ZERO | EMPTY;

    private Entry() {
    }

    /**
     * A REAL entry for device page {@code pfn}; a PMD needs a 512-aligned pfn. A 4 KiB entry
     * cannot have pfn 0: its word would read as ABSENT (and device block 0 is a superblock,
     * never file data).
     */
    public static long real(long pfn, boolean pmd) {
        if (pfn < (pmd ? 0 : 1) || pfn > MAX_PFN || (pmd && (pfn & (PMD_PAGES - 1)) != 0)) {
            throw new IllegalArgumentException("bad pfn " + pfn + (pmd ? " for a PMD entry" : ""));
        }
        return pfn << PFN_SHIFT | (pmd ? PMD : 0);
    }

    /** A ZERO entry (maps the shared zero page). */
    public static long zero(boolean pmd) {
        return ZERO | (pmd ? PMD : 0);
    }

    /** An EMPTY placeholder. */
    public static long empty(boolean pmd) {
        return EMPTY | (pmd ? PMD : 0);
    }

    /** An EMPTY placeholder of {@code order} (0 or 9). */
    static long empty(int order) {
        return EMPTY | (order == PMD_ORDER ? PMD : 0);
    }

    public static boolean isLocked(long entry) {
        return (entry & LOCKED) != 0;
    }

    public static boolean isPmd(long entry) {
        return (entry & PMD) != 0;
    }

    public static boolean isZero(long entry) {
        return (entry & ZERO) != 0;
    }

    public static boolean isEmpty(long entry) {
        return (entry & EMPTY) != 0;
    }

    /** Backed by device pages (neither ZERO nor EMPTY nor ABSENT). */
    public static boolean isReal(long entry) {
        return entry != ABSENT && (entry & KIND_BITS) == 0;
    }

    /** 9 for a PMD entry, else 0. */
    public static int order(long entry) {
        return (int) (entry >>> 1 & 1) * PMD_ORDER;
    }

    /** Pages the entry covers: 512 for a PMD entry, else 1. */
    public static long pages(long entry) {
        return 1L << order(entry);
    }

    /** The device page frame number of a REAL entry (its first page, for a PMD). */
    public static long pfn(long entry) {
        return entry >>> PFN_SHIFT;
    }

    public static long withLocked(long entry) {
        return entry | LOCKED;
    }

    public static long withoutLocked(long entry) {
        return entry & ~LOCKED;
    }

    /**
     * The index of the first page {@code entry} covers, given any index it covers: the wait key
     * of the entry (docs/RACES.md Rule 4: keys use the order of the entry waited on).
     */
    public static long baseIndex(long index, long entry) {
        return index & -pages(entry);
    }

    /** True for a word some entry could have (ABSENT excluded). */
    public static boolean isValid(long entry) {
        if (entry <= 0 || (entry & KIND_BITS) == KIND_BITS) {
            return false;
        }
        if ((entry & KIND_BITS) != 0) {
            return pfn(entry) == 0;
        }
        return !isPmd(entry) || (pfn(entry) & (PMD_PAGES - 1)) == 0;
    }

    /** The state's name, for messages and tests: {@code REAL(pfn=0x200)+PMD+LOCKED}, {@code ABSENT}. */
    public static String describe(long entry) {
        if (entry == ABSENT) {
            return "ABSENT";
        }
        if (entry == FALLBACK) {
            return "FALLBACK";
        }
        if (!isValid(entry)) {
            return "INVALID(0x" + Long.toHexString(entry) + ")";
        }
        StringBuilder sb = new StringBuilder();
        if (isZero(entry)) {
            sb.append("ZERO");
        } else if (isEmpty(entry)) {
            sb.append("EMPTY");
        } else {
            sb.append("REAL(pfn=0x").append(Long.toHexString(pfn(entry))).append(')');
        }
        if (isPmd(entry)) {
            sb.append("+PMD");
        }
        if (isLocked(entry)) {
            sb.append("+LOCKED");
        }
        return sb.toString();
    }
}
