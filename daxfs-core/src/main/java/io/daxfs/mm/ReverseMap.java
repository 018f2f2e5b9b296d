package io.daxfs.mm;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The page tables of every live mapping of one file (Linux's reverse map, i_mmap): what "unmap
 * this file range everywhere" walks. Lock-free:
 * a copy-on-write list, changed only when a mapping is created or closed. A mapping added
 * while a range is being unmapped has no window yet, and its faults wait for the invalidate
 * lock the unmapping caller holds, so missing it in a walk is harmless.
 */
public final class ReverseMap {
    private final List<PageTable> mappings = new CopyOnWriteArrayList<>();

    public void add(PageTable m) {
        mappings.add(m);
    }

    public void remove(PageTable m) {
        mappings.remove(m);
    }

    public List<PageTable> snapshot() {
        return List.copyOf(mappings);
    }

    public boolean isEmpty() {
        return mappings.isEmpty();
    }

    /** Revokes file pages {@code [firstPage, endPage)} in every mapping; see {@link PageTable#revoke}. */
    public int revoke(long firstPage, long endPage, boolean discardCopies) {
        int n = 0;
        for (PageTable m : mappings) {
            n += m.revoke(firstPage, endPage, discardCopies);
        }
        return n;
    }

    /** Write-protects file pages {@code [firstPage, endPage)} in every mapping. */
    public int writeProtect(long firstPage, long endPage) {
        int n = 0;
        for (PageTable m : mappings) {
            n += m.writeProtect(firstPage, endPage);
        }
        return n;
    }
}
