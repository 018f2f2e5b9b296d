package io.daxfs.mm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The pages a private (copy-on-write) mapping has copied: one 4 KiB page of the mapping's own
 * memory per file page written through it. They live outside the page table's slots, so a
 * revocation that only refreshes windows (writeback, zero-page replacement) keeps them; a
 * layout break of their range discards them, as what they copied is gone.
 *
 * <p>Not thread-safe: the owning {@link PageTable} calls it under its lock. The memory belongs
 * to one shared Arena, released when the mapping closes.
 */
final class PrivateCopies {
    private static final long PAGE_SIZE = 1L << PageTable.PAGE_SHIFT;

    private final NavigableMap<Long, MemorySegment> byPage = new TreeMap<>();
    private final Arena arena = Arena.ofShared();

    /** The copy of file page {@code page}, or null. */
    MemorySegment get(long page) {
        return byPage.get(page);
    }

    /** The copy of {@code page}, made from {@code source} (4 KiB; null: zeros) if there is none yet. */
    MemorySegment getOrCopy(long page, MemorySegment source) {
        MemorySegment copy = byPage.get(page);
        if (copy == null) {
            copy = arena.allocate(PAGE_SIZE, PAGE_SIZE);
            if (source != null) {
                MemorySegment.copy(source, 0, copy, 0, PAGE_SIZE);
            }
            byPage.put(page, copy);
        }
        return copy;
    }

    /** True when a page of {@code [firstPage, endPage)} has a copy. */
    boolean anyIn(long firstPage, long endPage) {
        Long p = byPage.ceilingKey(firstPage);
        return p != null && p < endPage;
    }

    /** Forgets the copies of {@code [firstPage, endPage)}; their memory stays with the Arena until close. */
    void discard(long firstPage, long endPage) {
        byPage.subMap(firstPage, endPage).clear();
    }

    /** Forgets every copy and releases their memory. */
    void close() {
        byPage.clear();
        Arenas.close(arena);
    }
}
