package io.daxfs.fsck;

import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The fs info block and the orphan list it heads: the list must be well formed (links in range,
 * to in-use inodes, back links matching, no cycle) and hold exactly the inodes flagged as
 * orphans, each a non-directory with no links. Marks every member {@link InodeInfo#onOrphanList}.
 */
final class OrphanCheck {
    private OrphanCheck() {
    }

    /**
     * What was found: whether the fs info block is valid, its head, the members in list order,
     * and whether the list is well formed.
     */
    record Result(boolean fsinfoValid, long head, List<Long> members, boolean wellFormed) {
    }

    static Result run(MetaView view, InodeTable table, Findings f) {
        Geometry g = view.geometry();
        MemorySegment blk = view.block(Geometry.FSINFO_BLOCK);
        String what = "fs info block (block " + Geometry.FSINFO_BLOCK + ")";
        if (BlockHeader.magic(blk) != BlockHeader.FSINFO) {
            f.problem(what + ": wrong block type (magic 0x" + Integer.toHexString(BlockHeader.magic(blk)) + ")");
            return new Result(false, 0, List.of(), false);
        }
        if (!BlockHeader.valid(blk, BlockHeader.FSINFO)) {
            f.problem(what + ": checksum mismatch");
            return new Result(false, 0, List.of(), false);
        }
        if (BlockHeader.b(blk) != 0 || BlockHeader.c(blk) != 0) {
            f.problem(what + ": reserved header fields are " + BlockHeader.b(blk) + ", " + BlockHeader.c(blk) + " (must be 0)");
        }
        long head = BlockHeader.a(blk);
        List<Long> members = new ArrayList<>();
        boolean wellFormed = walk(g, table, head, members, f);
        for (InodeInfo in : table.all()) {
            if ((in.flags & InodeRecord.FLAG_ORPHAN) != 0 && !in.onOrphanList && wellFormed) {
                f.problem(in.describe() + ": flagged as an orphan but not on the orphan list");
            }
        }
        return new Result(true, head, members, wellFormed);
    }

    /** Walks the list from {@code head}; each inode is visited at most once, so it ends. */
    private static boolean walk(Geometry g, InodeTable table, long head, List<Long> members, Findings f) {
        Set<Long> seen = new HashSet<>();
        long prev = 0;
        boolean ok = true;
        for (long cur = head; cur != 0; ) {
            String from = prev == 0 ? "the fs info block" : "inode " + prev;
            if (cur < 2 || cur >= g.inodeCount()) {
                f.problem("orphan list: link from " + from + " to inode " + cur + " is out of range");
                return false;
            }
            if (!seen.add(cur)) {
                f.problem("orphan list: cycle: " + from + " links back to inode " + cur);
                return false;
            }
            InodeInfo in = table.get(cur);
            if (in == null) {
                f.problem("orphan list: " + from + " links to inode " + cur + ", which is free");
                return false;
            }
            if (in.isDamaged()) {
                f.problem("orphan list: inode " + cur + " is damaged; the rest of the list is unknown");
                return false;
            }
            if (in.orphanPrev != prev) {
                f.problem("orphan list: inode " + cur + " links back to inode " + in.orphanPrev + ", expected " + prev);
                ok = false;
            }
            if ((in.flags & InodeRecord.FLAG_ORPHAN) == 0) {
                f.problem("orphan " + in.describe() + ": on the orphan list but not flagged as an orphan");
            }
            if (in.nlink != 0 && (in.flags & InodeRecord.FLAG_TRUNCATING) == 0) {
                f.problem("orphan " + in.describe() + ": nlink is " + in.nlink
                        + " (an orphan has no links)");
            }
            if (in.isDir()) {
                f.problem("orphan " + in.describe() + ": directories are never orphans");
            }
            in.onOrphanList = true;
            members.add(cur);
            prev = cur;
            cur = in.orphanNext;
        }
        return ok;
    }
}
