package io.daxfs.mm;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The pages a private (copy-on-write) mapping has copied: one 4 KiB page of process memory
 * ({@link NativePages}) per file page written through it, by file page. Revocations that only
 * refresh entries (writeback, zero-page replacement) keep them; a layout break of their range
 * discards them, as what they copied is gone.
 *
 * <p>Not thread-safe: the owning {@link PageTable} calls it under its lock. A discarded copy's
 * address is handed back to the table, which frees it once the epoch that could reach it is
 * closed.
 */
final class PrivateCopies {
    private final NavigableMap<Long, Long> byPage = new TreeMap<>();

    /** The address of the copy of file page {@code page}, or 0. */
    long get(long page) {
        Long a = byPage.get(page);
        return a == null ? 0 : a;
    }

    /** The address of the copy of {@code page}, made from {@code source} (4 KiB; null: zeros) if there is none yet. */
    long getOrCopy(long page, MemorySegment source) {
        Long a = byPage.get(page);
        if (a != null) {
            return a;
        }
        long address = NativePages.allocate();
        if (source != null) {
            MemorySegment.copy(source, 0, NativePages.at(address), 0, NativePages.PAGE_SIZE);
        }
        byPage.put(page, address);
        return address;
    }

    /** True when a page of {@code [firstPage, endPage)} has a copy. */
    boolean anyIn(long firstPage, long endPage) {
        Long p = byPage.ceilingKey(firstPage);
        return p != null && p < endPage;
    }

    /** Forgets the copies of {@code [firstPage, endPage)}, adding their addresses to {@code freed}. */
    void discard(long firstPage, long endPage, LongList freed) {
        Map<Long, Long> range = byPage.subMap(firstPage, endPage);
        for (long a : range.values()) {
            freed.add(a);
        }
        range.clear();
    }

    /** Forgets every copy, adding their addresses to {@code freed}. */
    void discardAll(LongList freed) {
        for (long a : byPage.values()) {
            freed.add(a);
        }
        byPage.clear();
    }
}
