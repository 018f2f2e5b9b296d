package io.daxfs.types;


import java.util.Map;

/**
 * DAX event counters of a mounted file system, since mount ({@link io.daxfs.api.DaxFileSystem#stats()}).
 *
 * @param faults4k          4 KiB faults handled
 * @param faults2m          2 MiB faults that installed a 2 MiB window
 * @param fallbacks         2 MiB faults that fell back to 4 KiB, by reason
 * @param zeroPageMappings  hole reads that mapped the shared zero page (4 KiB or 2 MiB)
 * @param pmdDowngrades     EMPTY or ZERO 2 MiB entries split by 4 KiB faults
 * @param revocations       page-table epochs retired (one per revocation or write-protect per mapping)
 * @param layoutBreakWaits  times a truncate-like operation found a pinned page and waited
 * @param writebackFlushes  entries flushed by writeback (fsync, msync)
 * @param copyOnWriteFaults private-mapping write faults that made a copy
 * @param syncFaultCommits  journal commits made by synchronous write faults
 * @param entryLockWaits    sleeps on entry locks
 * @param sigbus            accesses past end of file
 * @param segments          segments mapped ({@code FileChannel.map}, {@code DaxFile.mapSegment})
 * @param segmentRuns       runs of device blocks stitched into those segments, one kernel mapping each
 */
public record DaxStats(long faults4k, long faults2m, Map<String, Long> fallbacks, long zeroPageMappings,
                       long pmdDowngrades, long revocations, long layoutBreakWaits, long writebackFlushes,
                       long copyOnWriteFaults, long syncFaultCommits, long entryLockWaits, long sigbus,
                       long segments, long segmentRuns) {
    /** All fallbacks, whatever the reason. */
    public long fallbacksTotal() {
        return fallbacks.values().stream().mapToLong(Long::longValue).sum();
    }
}
