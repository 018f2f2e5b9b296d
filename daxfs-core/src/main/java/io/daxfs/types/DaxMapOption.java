package io.daxfs.types;


/** Options of {@link io.daxfs.api.DaxFile#map}. */
public enum DaxMapOption {
    /** Fault 4 KiB pages only, never 2 MiB (MADV_NOHUGEPAGE). */
    NO_HUGE_PAGES,
    /**
     * Fault the whole mapping in before {@code map} returns (MAP_POPULATE): read faults up to
     * end of file, so holes show the zero page and nothing is allocated. Accesses then find
     * their pages present; besides saving the faults, the accessors' miss path stays cold,
     * which lets the JIT compile a loop of loads tighter (about 2x for sequential
     * {@code getLong}, measured).
     */
    POPULATE
}
