package io.daxfs.types;


/** How a {@link io.daxfs.api.DaxMapping} may be accessed (the mmap protection and sharing flags). */
public enum DaxMapMode {
    /** Reads only (PROT_READ, MAP_SHARED). */
    READ_ONLY,
    /** Reads and writes; writes reach the file (MAP_SHARED). Durable after {@link io.daxfs.api.DaxMapping#msync} or fsync. */
    READ_WRITE,
    /**
     * As {@link #READ_WRITE}, with synchronous faults (MAP_SYNC): a write fault returns only
     * after the metadata that makes its blocks reachable is durable, so a store followed by a
     * cache flush survives a crash without an fsync.
     */
    READ_WRITE_SYNC,
    /** Copy-on-write (MAP_PRIVATE): writes go to private copies of the pages, never to the file. */
    PRIVATE;

    /** True when stores are allowed (every mode but {@link #READ_ONLY}). */
    public boolean writable() {
        return this != READ_ONLY;
    }

    /** True when stores reach the file (every mode but {@link #PRIVATE}). */
    public boolean shared() {
        return this != PRIVATE;
    }
}
