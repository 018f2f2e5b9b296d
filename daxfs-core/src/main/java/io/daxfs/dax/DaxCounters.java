package io.daxfs.dax;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The DAX layer's event counters, one set per file system (striped adders: cheap to bump from any thread). */
public final class DaxCounters {
    /** Why a 2 MiB fault fell back to 4 KiB ({@code Faults} checks the reasons in this order). */
    public enum Fallback {
        /** The mapping does not cover the whole file-aligned 2 MiB (or asked for 4 KiB pages only). */
        MAPPING_BOUNDS,
        /** The 2 MiB crosses the end of file. */
        END_OF_FILE,
        /** A write to a private mapping: copy-on-write is per 4 KiB page. */
        PRIVATE_WRITE,
        /** A private mapping holds copies of pages in the range. */
        PRIVATE_COPIES,
        /** 4 KiB entries occupy the range (the request got CONFLICT, never a sleep). */
        CONFLICT,
        /** The block mapping does not cover 2 MiB (part hole, part data). */
        PARTIAL,
        /** The blocks are not one 2 MiB-aligned, contiguous device run. */
        NOT_CONTIGUOUS
    }

    final LongAdder faults4k = new LongAdder();
    final LongAdder faults2m = new LongAdder();
    final LongAdder zeroPageMappings = new LongAdder();
    final LongAdder copyOnWrite = new LongAdder();
    final LongAdder syncCommits = new LongAdder();
    final LongAdder revocations = new LongAdder();
    final LongAdder layoutBreakWaits = new LongAdder();
    final LongAdder writebackFlushes = new LongAdder();
    final LongAdder sigbus = new LongAdder();
    final LongAdder segments = new LongAdder();
    final LongAdder segmentRuns = new LongAdder();
    private final EnumMap<Fallback, LongAdder> fallbacks = new EnumMap<>(Fallback.class);

    DaxCounters() {
        for (Fallback f : Fallback.values()) {
            fallbacks.put(f, new LongAdder());
        }
    }

    void fallback(Fallback why) {
        fallbacks.get(why).increment();
    }

    public long faults4k() {
        return faults4k.sum();
    }

    public long faults2m() {
        return faults2m.sum();
    }

    public long zeroPageMappings() {
        return zeroPageMappings.sum();
    }

    public long copyOnWrite() {
        return copyOnWrite.sum();
    }

    public long syncCommits() {
        return syncCommits.sum();
    }

    public long revocations() {
        return revocations.sum();
    }

    public long layoutBreakWaits() {
        return layoutBreakWaits.sum();
    }

    public long writebackFlushes() {
        return writebackFlushes.sum();
    }

    /** Segments mapped ({@code FileChannel.map}). */
    public long segments() {
        return segments.sum();
    }

    /** Runs of device blocks stitched into segments (one kernel mapping each), over all segments mapped. */
    public long segmentRuns() {
        return segmentRuns.sum();
    }

    public long sigbus() {
        return sigbus.sum();
    }

    public Map<Fallback, Long> fallbacks() {
        EnumMap<Fallback, Long> m = new EnumMap<>(Fallback.class);
        fallbacks.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    LongAdder revocationAdder() {
        return revocations;
    }
}
