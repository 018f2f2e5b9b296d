package io.daxfs.mm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The shared zero page: one 2 MiB region of zeros, 2 MiB-aligned, that read faults on holes map
 * read-only (a 4 KiB window of its first page for a PTE, the whole region for a PMD). Nothing
 * ever writes it: every window onto it is read-only.
 *
 * <p>Deviation from the architecture note, on purpose: the region lives in native memory
 * rather than on the device, because format v1 reserves no device region for it. Mapped
 * readers cannot tell: it is memory that reads as zeros and never changes.
 */
public final class ZeroPage {
    public static final long HUGE_SIZE = 1L << 21;
    public static final long PAGE_SIZE = 1L << 12;

    private final MemorySegment region;

    public ZeroPage() {
        // Automatic arena: freed when the last file system using it is gone.
        this.region = Arena.ofAuto().allocate(HUGE_SIZE, HUGE_SIZE).asReadOnly();
    }

    /** The whole 2 MiB region, read-only, in the global scope (re-scope it to a window's Arena). */
    public MemorySegment huge() {
        return region;
    }

    /** The first 4 KiB of the region. */
    public MemorySegment page() {
        return region.asSlice(0, PAGE_SIZE);
    }
}
