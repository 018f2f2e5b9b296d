package io.daxfs.fsck;

import io.daxfs.types.DaxException;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads an inode's block map (inline extents, then the chain of extent blocks) straight from the
 * device with every check the format allows: chain pointers inside the data area and without
 * loops, chain blocks of the right kind, checksum and owner, per-block extent counts, chain
 * length equal to the record's extent block count, extent total equal to its extent count, and
 * extents inside the data area, sorted and not overlapping in the file; and the chain of
 * extended attribute blocks ({@link XattrCheck}).
 */
final class BlockMapReader {
    /** Out-of-range or unsorted extents reported per inode before the rest are only counted. */
    private static final int MAX_EXTENT_PROBLEMS = 4;

    private BlockMapReader() {
    }

    /** Reads the map of {@code ino} (record {@code r}); problems go to {@code report}. */
    static FoundBlockMap read(MetaView view, long ino, InodeRecord r, Consumer<String> report) {
        Geometry g = view.geometry();
        String who = "inode " + ino;
        List<Long> xattrs = new ArrayList<>();
        boolean xattrsIntact = XattrCheck.readChain(view, ino, r, xattrs, report);
        long[] xattrChain = xattrs.stream().mapToLong(Long::longValue).toArray();
        if ((r.flags & InodeRecord.FLAG_INLINE_TARGET) != 0) {
            // The inline area holds a symlink target; decode already ensured extentCount == 0.
            boolean ok = r.extentBlockCount == 0 && r.extentHead == 0;
            if (!ok) {
                report.accept(who + ": inline symlink with " + r.extentBlockCount + " extent blocks (head "
                        + r.extentHead + ")");
            }
            return new FoundBlockMap(List.of(), new long[0], xattrChain, ok && xattrsIntact);
        }
        boolean intact = true;
        List<Extent> raw = new ArrayList<>();
        try {
            raw.addAll(r.inlineExtents(ino));
        } catch (DaxException e) {
            report.accept(e.detail());
            intact = false;
        }
        long count = r.extentCount;
        long chainLen = r.extentBlockCount;
        if ((count <= InodeRecord.INLINE_EXTENTS && chainLen != 0)
                || count > InodeRecord.INLINE_EXTENTS + chainLen * InodeRecord.EXTENTS_PER_BLOCK) {
            report.accept(who + ": " + count + " extents cannot be stored in " + chainLen + " extent blocks");
            intact = false;
        }
        List<Long> chain = new ArrayList<>();
        if (chainLen > g.dataBlocks()) {
            report.accept(who + ": extent chain of " + chainLen + " blocks is longer than the data area");
            intact = false;
        } else if (!readChain(view, ino, r, chain, raw, report)) {
            intact = false;
        } else if (intact && raw.size() != count) {
            report.accept(who + ": the block map holds " + raw.size() + " extents but the record says " + count);
            intact = false;
        }
        List<Extent> good = new ArrayList<>(raw.size());
        long prevEnd = 0;
        int bad = 0;
        for (Extent e : raw) {
            if (e.physical() < g.dataStart() || e.physical() > g.totalBlocks() - e.length()) {
                if (bad++ < MAX_EXTENT_PROBLEMS) {
                    report.accept(who + ": extent of file blocks " + e.logical() + "-" + (e.logicalEnd() - 1)
                            + " at device block " + e.physical() + " lies outside the data area");
                }
                intact = false;
                continue;
            }
            if (e.logical() < prevEnd) {
                if (bad++ < MAX_EXTENT_PROBLEMS) {
                    report.accept(who + ": extents out of order or overlapping at file block " + e.logical());
                }
                intact = false;
            }
            prevEnd = Math.max(prevEnd, e.logicalEnd());
            good.add(e);
        }
        if (bad > MAX_EXTENT_PROBLEMS) {
            report.accept(who + ": " + (bad - MAX_EXTENT_PROBLEMS) + " more bad extents");
        }
        return new FoundBlockMap(good, chain.stream().mapToLong(Long::longValue).toArray(), xattrChain,
                intact && xattrsIntact);
    }

    /**
     * Follows the chain, appending its extents to {@code extents} and its verified blocks to
     * {@code chain}. False on any problem (reported); a block that fails its type, checksum or
     * owner check is not added, since it may well belong to someone else.
     */
    private static boolean readChain(MetaView view, long ino, InodeRecord r, List<Long> chain, List<Extent> extents,
                                     Consumer<String> report) {
        String who = "inode " + ino;
        long next = r.extentHead;
        if (r.extentBlockCount == 0 && next != 0) {
            report.accept(who + ": extent chain head " + next + " set but the record has no extent blocks");
            return false;
        }
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < r.extentBlockCount; i++) {
            String what = who + " extent block #" + i + " (block " + next + ")";
            MemorySegment blk = ChainLink.follow(view, ino, next, BlockHeader.EXTENTS, seen, what, "extent", report);
            if (blk == null) {
                return false;
            }
            chain.add(next);
            long n = BlockHeader.c(blk);
            if (n < 1 || n > InodeRecord.EXTENTS_PER_BLOCK) {
                report.accept(what + ": holds " + n + " extents (must be 1.." + InodeRecord.EXTENTS_PER_BLOCK + ")");
                return false;
            }
            try {
                extents.addAll(InodeRecord.blockExtents(blk, ino));
            } catch (DaxException e) {
                report.accept(what + ": holds a malformed extent");
                return false;
            }
            next = BlockHeader.b(blk);
        }
        if (next != 0) {
            report.accept(who + ": extent chain continues past its " + r.extentBlockCount + " blocks (to block " + next + ")");
            return false;
        }
        return true;
    }
}
