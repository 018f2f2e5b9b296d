package io.daxfs.fsck;

import io.daxfs.types.DaxException;
import io.daxfs.media.Extent;
import io.daxfs.media.InodeRecord;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Names the owners of the blocks earlier passes found suspicious: blocks claimed more than
 * once (cross-linked) and blocks in use but marked free. It reads every block map again and
 * intersects it with just those runs, which keeps the ownership pass down to one bit per block.
 */
final class OwnerFinder {
    private OwnerFinder() {
    }

    static void report(MetaView view, InodeTable table, BlockRuns conflicts, BlockRuns missing, Findings f) {
        if (conflicts.isEmpty() && missing.isEmpty()) {
            return;
        }
        List<LinkedHashSet<String>> owners = new ArrayList<>();
        for (int i = 0; i < conflicts.size(); i++) {
            owners.add(new LinkedHashSet<>());
        }
        for (InodeInfo in : table.all()) {
            if (in.isDamaged()) {
                continue;
            }
            InodeRecord r;
            MemorySegment blk = view.block(view.geometry().inodeBlock(in.ino));
            try {
                r = InodeRecord.decode(blk, (in.ino % InodeRecord.PER_BLOCK) * InodeRecord.SIZE, in.ino);
            } catch (DaxException e) {
                continue; // it decoded in the inode pass; the view does not change
            }
            FoundBlockMap map = BlockMapReader.read(view, in.ino, r, problem -> { });
            String role = switch (in.type) {
                case REGULAR -> "data";
                case DIRECTORY -> "directory block";
                case SYMLINK -> "symlink target";
                case FIFO, CHARACTER_DEVICE, BLOCK_DEVICE, SOCKET -> "block of special file";
            };
            for (Extent e : map.extents()) {
                visit(e.physical(), e.length(), role + " of inode " + in.ino, conflicts, owners, missing, f);
            }
            for (long c : map.chain()) {
                visit(c, 1, "extent block of inode " + in.ino, conflicts, owners, missing, f);
            }
            for (long c : map.xattrChain()) {
                visit(c, 1, "xattr block of inode " + in.ino, conflicts, owners, missing, f);
            }
        }
        for (int i = 0; i < conflicts.size(); i++) {
            f.problem(Findings.blocks(conflicts.start(i), conflicts.length(i)) + " claimed more than once, by: "
                    + String.join(", ", owners.get(i)));
        }
    }

    private static void visit(long start, long length, String label, BlockRuns conflicts,
                              List<LinkedHashSet<String>> owners, BlockRuns missing, Findings f) {
        for (long[] piece : conflicts.intersect(start, length)) {
            owners.get((int) piece[0]).add(label);
        }
        for (long[] piece : missing.intersect(start, length)) {
            f.problem(Findings.blocks(piece[1], piece[2]) + " (" + label + "): in use, but marked free in the block bitmap");
        }
    }
}
