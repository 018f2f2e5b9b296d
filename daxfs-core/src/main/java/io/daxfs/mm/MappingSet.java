package io.daxfs.mm;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every live mapping of one file: what "unmap this file range everywhere" walks. Lock-free:
 * a copy-on-write list, changed only when a mapping is created or closed. A mapping added
 * while a range is being unmapped has no window yet, and its faults wait for the invalidate
 * lock the unmapping caller holds, so missing it in a walk is harmless.
 */
public final class MappingSet {
    private final List<Mapping> mappings = new CopyOnWriteArrayList<>();

    public void add(Mapping m) {
        mappings.add(m);
    }

    public void remove(Mapping m) {
        mappings.remove(m);
    }

    public List<Mapping> snapshot() {
        return List.copyOf(mappings);
    }

    public boolean isEmpty() {
        return mappings.isEmpty();
    }

    /** Revokes file pages {@code [firstPage, endPage)} in every mapping; see {@link Mapping#revoke}. */
    public int revoke(long firstPage, long endPage, boolean discardCopies) {
        int n = 0;
        for (Mapping m : mappings) {
            n += m.revoke(firstPage, endPage, discardCopies);
        }
        return n;
    }

    /** Write-protects file pages {@code [firstPage, endPage)} in every mapping. */
    public int writeProtect(long firstPage, long endPage) {
        int n = 0;
        for (Mapping m : mappings) {
            n += m.writeProtect(firstPage, endPage);
        }
        return n;
    }
}
