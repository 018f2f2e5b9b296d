package io.daxfs.fsck;

import io.daxfs.media.BlockHeader;
import io.daxfs.media.DirIndexNode;
import io.daxfs.media.Geometry;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * One directory's name index (format version 5) against its records: the root named by block 0
 * is one of the directory's index nodes; every node is a checksummed index block of this
 * directory at its own file block, reached from the root exactly once, one level below its
 * parent, with ascending keys inside the range its parent gives it and zeros past them; and the
 * leaves hold exactly the keys of the records in use (each record's name hash and position).
 */
final class DirIndexCheck {
    private final MetaView view;
    private final InodeInfo dir;
    private final Set<Long> recordKeys;
    private final Findings f;
    private final String who;
    private final Map<Long, Integer> nodeIndex = new HashMap<>();
    private final BitSet reached = new BitSet();
    /** Each key found in a leaf, and that leaf's device block. */
    private final Map<Long, Long> leafOf = new HashMap<>();
    private boolean ok = true;

    private DirIndexCheck(MetaView view, InodeInfo dir, Set<Long> recordKeys, Findings f) {
        this.view = view;
        this.dir = dir;
        this.recordKeys = recordKeys;
        this.f = f;
        this.who = "directory " + dir.ino;
        for (int k = 0; k < dir.indexBlocks.length; k++) {
            nodeIndex.put(dir.indexBlocks[k], k);
        }
    }

    /** The result: whether the index is sound, and the leaf holding each key found (for repairs). */
    record Result(boolean ok, Map<Long, Long> leafOf) {
    }

    /** Checks the index rooted at device block {@code root} (0: the directory has none). */
    static Result run(MetaView view, InodeInfo dir, long root, Set<Long> recordKeys, Findings f) {
        DirIndexCheck c = new DirIndexCheck(view, dir, recordKeys, f);
        if (root == 0) {
            if (dir.indexBlocks.length > 0) {
                c.problem(c.who + ": maps " + dir.indexBlocks.length + " index blocks but block 0 names no index root");
            }
            return new Result(c.ok, c.leafOf);
        }
        if (!c.nodeIndex.containsKey(root)) {
            c.problem(c.who + ": index root " + root + " (named by block 0) is not one of its index blocks");
            return new Result(false, c.leafOf);
        }
        c.node(root, -1, 0, false, 0);
        for (int k = c.reached.nextClearBit(0); k < dir.indexBlocks.length; k = c.reached.nextClearBit(k + 1)) {
            c.problem(c.who + ": index block " + k + " (block " + dir.indexBlocks[k] + ") is not reached from the root");
        }
        long missing = recordKeys.stream().filter(key -> !c.leafOf.containsKey(key)).count();
        if (missing > 0 && c.ok) {
            c.problem(c.who + ": " + Findings.count(missing, "entry") + " missing from the index");
        }
        return new Result(c.ok, c.leafOf);
    }

    /**
     * Checks node {@code phys} and what it reaches: its level must be {@code level} (any for the
     * root, -1), its keys in [{@code lo}, {@code hi}) ({@code bounded} false: no upper bound).
     */
    private void node(long phys, int level, long lo, boolean bounded, long hi) {
        Integer k = nodeIndex.get(phys);
        String what = who + " index block " + (k == null ? "?" : k) + " (block " + phys + ")";
        if (k == null) {
            problem(what + ": not one of the directory's index blocks");
            return;
        }
        if (reached.get(k)) {
            problem(what + ": reached twice from the root");
            return;
        }
        reached.set(k);
        MemorySegment blk = view.block(phys);
        if (!BlockHeader.valid(blk, BlockHeader.DIR_INDEX)) {
            problem(what + (BlockHeader.magic(blk) != BlockHeader.DIR_INDEX ? ": not an index block" : ": checksum mismatch"));
            return;
        }
        int actual = DirIndexNode.level(blk);
        int n = DirIndexNode.count(blk);
        if (BlockHeader.a(blk) != dir.ino || BlockHeader.b(blk) != DirIndexNode.NODE_BASE + k) {
            problem(what + ": header says inode " + BlockHeader.a(blk) + " file block " + BlockHeader.b(blk));
            return;
        }
        if (actual > DirIndexNode.MAX_LEVEL || level >= 0 && actual != level) {
            problem(what + ": level " + actual + " where " + (level < 0 ? "at most " + DirIndexNode.MAX_LEVEL : level) + " belongs");
            return;
        }
        if (n > DirIndexNode.capacity(actual) || actual > 0 && n < 1) {
            problem(what + ": holds " + n + " entries");
            return;
        }
        int width = actual == 0 ? 8 : 16;
        for (long off = BlockHeader.SIZE + (long) width * n; off < Geometry.BLOCK_SIZE; off++) {
            if (blk.get(ValueLayout.JAVA_BYTE, off) != 0) {
                problem(what + ": bytes past its " + n + " entries are not zero");
                return;
            }
        }
        long prev = lo;
        for (int i = 0; i < n; i++) {
            long key = actual == 0 ? DirIndexNode.leafKey(blk, i) : DirIndexNode.low(blk, i);
            boolean first = i == 0;
            if (actual > 0 && first) {
                key = lo; // the first entry's low is its parent's bound, whatever it says
            } else if (Long.compareUnsigned(key, prev) < 0 || !first && key == prev
                    || bounded && Long.compareUnsigned(key, hi) >= 0) {
                problem(what + ": key " + Long.toUnsignedString(key, 16) + " out of order or outside its range");
                return;
            }
            prev = key;
            if (actual == 0) {
                if (!recordKeys.contains(key)) {
                    problem(what + ": key " + Long.toUnsignedString(key, 16) + " names no entry (hash "
                            + Integer.toUnsignedString(DirIndexNode.hashOf(key), 16) + ", block " + DirIndexNode.blockOf(key)
                            + ", offset " + DirIndexNode.offsetOf(key) + ")");
                } else {
                    leafOf.put(key, phys);
                }
            }
        }
        if (actual > 0) {
            for (int i = 0; i < n; i++) {
                long childLo = i == 0 ? lo : DirIndexNode.low(blk, i);
                boolean childBounded = i + 1 < n || bounded;
                long childHi = i + 1 < n ? DirIndexNode.low(blk, i + 1) : hi;
                node(DirIndexNode.child(blk, i), actual - 1, childLo, childBounded, childHi);
            }
        }
    }

    private void problem(String line) {
        f.problem(line);
        ok = false;
    }
}
