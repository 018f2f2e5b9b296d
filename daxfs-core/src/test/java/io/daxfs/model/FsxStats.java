package io.daxfs.model;

import java.util.EnumMap;
import java.util.Map;

/**
 * What an fsx run did, so a test can also check that the interesting situations happened
 * (extent chains, 2 MiB-mapped runs, ENOSPC, short writes) and print a summary.
 */
public final class FsxStats {
    public final Map<Op.Kind, Long> ops = new EnumMap<>(Op.Kind.class);
    public long total;
    public long expectedErrors;
    public long enospc;
    public long shortWrites;
    /** ENOSPC from an operation that needs no data blocks (the metadata reserve ran out). */
    public long metadataEnospc;
    /** Blocks whose state after a partly failed fallocate was learnt from SEEK_DATA/SEEK_HOLE. */
    public long learntBlocks;
    public long remounts;
    public long verifies;
    public long fsckRuns;
    public long bytesWritten;
    public long bytesRead;
    /** Most extent chain blocks one file had (st_blocks minus data blocks): > 0 means > 8 extents. */
    public long maxChainBlocks;
    /** Most runs of allocated blocks one file had (a lower bound of its extent count). */
    public long maxRuns;
    /** Fully allocated 2 MiB-aligned pieces of files seen at verification, and how many sat on a 2 MiB-aligned device run. */
    public long hugeCandidates;
    public long hugeMapped;
    /** Mapped reads that crossed into (and checked) the zero tail of the EOF page, and that hit SIGBUS past it. */
    public long mapTailChecks;
    public long mapSigbus;
    /** MAPWRITE operations that had to grow the file first. */
    public long mapWriteGrows;

    void count(Op.Kind kind) {
        ops.merge(kind, 1L, Long::sum);
        total++;
    }

    /** Adds {@code o} into this (for a summary over seeds or threads). */
    public synchronized void add(FsxStats o) {
        o.ops.forEach((k, v) -> ops.merge(k, v, Long::sum));
        total += o.total;
        expectedErrors += o.expectedErrors;
        enospc += o.enospc;
        shortWrites += o.shortWrites;
        metadataEnospc += o.metadataEnospc;
        learntBlocks += o.learntBlocks;
        remounts += o.remounts;
        verifies += o.verifies;
        fsckRuns += o.fsckRuns;
        bytesWritten += o.bytesWritten;
        bytesRead += o.bytesRead;
        maxChainBlocks = Math.max(maxChainBlocks, o.maxChainBlocks);
        maxRuns = Math.max(maxRuns, o.maxRuns);
        hugeCandidates += o.hugeCandidates;
        hugeMapped += o.hugeMapped;
        mapTailChecks += o.mapTailChecks;
        mapSigbus += o.mapSigbus;
        mapWriteGrows += o.mapWriteGrows;
    }

    @Override
    public String toString() {
        return total + " ops " + ops + "; " + expectedErrors + " expected errors, " + enospc + " ENOSPC ("
                + shortWrites + " short writes, " + metadataEnospc + " metadata, " + learntBlocks + " blocks learnt), " + remounts + " remounts ("
                + fsckRuns + " fsck), " + verifies + " full verifications, " + (bytesWritten >> 20) + " MiB written, "
                + (bytesRead >> 20) + " MiB read; max extent chain blocks " + maxChainBlocks + ", max allocated runs "
                + maxRuns + ", 2 MiB pieces mapped huge " + hugeMapped + "/" + hugeCandidates + "; mapped: "
                + mapTailChecks + " EOF-page tails checked, " + mapSigbus + " SIGBUS, " + mapWriteGrows + " writes that grew the file";
    }
}
