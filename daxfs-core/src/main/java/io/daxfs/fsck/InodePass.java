package io.daxfs.fsck;

import io.daxfs.types.DaxException;
import io.daxfs.types.FileType;
import io.daxfs.types.ProgressListener;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.DirIndexNode;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Le;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Pass over the inode table: every record against its inode bitmap bit, every in-use record's
 * checksum, type and fields, its block map ({@link BlockMapReader}), its {@code blocks} count,
 * and what its type demands (a directory's size and hole-free map, a symlink's target), and its
 * extended attributes ({@link XattrCheck}). Every block an inode owns is claimed in the
 * {@link BlockOwnership}.
 */
final class InodePass {
    static final int KNOWN_FLAGS = InodeRecord.FLAG_INLINE_TARGET | InodeRecord.FLAG_ORPHAN | InodeRecord.FLAG_TRUNCATING;
    private static final long MAX_FILE = (Extent.MAX_LOGICAL + 1) << Geometry.BLOCK_SHIFT;
    private static final int MAX_TARGET = Geometry.BLOCK_SIZE - BlockHeader.SIZE;
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[Geometry.BLOCK_SIZE]);

    private final MetaView view;
    private final Geometry g;
    private final BitmapArea inodeBitmap;
    private final BlockOwnership ownership;
    private final Findings f;
    private final InodeTable table = new InodeTable();
    /** Records with mode 0 that are not all zero (inode 0's record too, if in use): zeroed by repair. */
    private final List<Long> strayRecords = new ArrayList<>();

    /** What the pass found. */
    record Result(InodeTable table, List<Long> strayRecords) {
    }

    private InodePass(MetaView view, BitmapArea inodeBitmap, BlockOwnership ownership, Findings f) {
        this.view = view;
        this.g = view.geometry();
        this.inodeBitmap = inodeBitmap;
        this.ownership = ownership;
        this.f = f;
    }

    static Result run(MetaView view, BitmapArea inodeBitmap, BlockOwnership ownership, Findings f, ProgressListener p) {
        InodePass pass = new InodePass(view, inodeBitmap, ownership, f);
        long n = view.geometry().inodeCount();
        for (long ino = 0; ino < n; ino++) {
            try {
                pass.check(ino);
            } catch (RuntimeException e) {
                // Bounds are checked before every access; this is the net under that promise.
                f.problem("inode " + ino + ": unreadable (" + e.getMessage() + ")");
                pass.markDamaged(ino);
            }
            if ((ino & 4095) == 4095) {
                p.progress("inodes", ino + 1, n);
            }
        }
        p.progress("inodes", n, n);
        return new Result(pass.table, pass.strayRecords);
    }

    private void markDamaged(long ino) {
        if (table.get(ino) == null && ino != 0) {
            table.add(InodeInfo.damaged(ino));
        }
    }

    private void check(long ino) {
        MemorySegment blk = view.block(g.inodeBlock(ino));
        long off = (ino % InodeRecord.PER_BLOCK) * InodeRecord.SIZE;
        int mode = Le.getInt(blk, off);
        int bit = inodeBitmap.bit(ino);
        if (mode == 0) {
            if (!allZero(blk, off, InodeRecord.SIZE)) {
                f.problem("inode " + ino + ": free record is not zeroed");
                strayRecords.add(ino);
            }
            if (ino == 0 && bit == 0) {
                f.problem("inode 0: reserved, but marked free in the inode bitmap");
            } else if (ino != 0 && bit == 1) {
                f.problem("inode " + ino + ": free, but marked in use in the inode bitmap");
            }
            return;
        }
        if (ino == 0) {
            f.problem("inode 0: reserved, but its record is in use (mode " + Integer.toOctalString(mode) + ")");
            strayRecords.add(ino);
            return;
        }
        if (bit == 0) {
            f.problem("inode " + ino + ": in use, but marked free in the inode bitmap");
        }
        InodeRecord r;
        try {
            r = InodeRecord.decode(blk, off, ino);
        } catch (DaxException e) {
            f.problem(e.detail());
            table.add(InodeInfo.damaged(ino));
            return;
        }
        InodeInfo info = new InodeInfo(ino, r.type(), r.nlink, r.flags, r.parent, r.orphanNext, r.orphanPrev);
        table.add(info);
        checkFields(info, r, blk, off);
        FoundBlockMap map = BlockMapReader.read(view, ino, r, f::problem);
        info.mapIntact = map.intact();
        for (Extent e : map.extents()) {
            ownership.claim(e.physical(), e.length());
        }
        for (long c : map.chain()) {
            ownership.claim(c, 1);
        }
        for (long c : map.xattrChain()) {
            ownership.claim(c, 1);
        }
        if (map.intact()) {
            info.ownedBlocks = map.ownedBlocks();
            if (r.blocks != info.ownedBlocks) {
                f.problem(info.describe() + ": blocks field says " + r.blocks + " but it owns " + info.ownedBlocks
                        + " (" + map.mappedBlocks() + " mapped, " + map.chain().length + " extent blocks"
                        + (map.xattrChain().length > 0 ? ", " + map.xattrChain().length + " xattr blocks)" : ")"));
            }
            XattrCheck.checkTable(view, info, r, map.xattrChain(), f::problem);
        }
        switch (info.type) {
            case DIRECTORY -> checkDirectory(info, r, map);
            case SYMLINK -> checkSymlink(info, r, map);
            case REGULAR -> {
                if (r.size > MAX_FILE) {
                    f.problem(info.describe() + ": size " + r.size + " exceeds the maximum file size " + MAX_FILE);
                }
            }
            case FIFO, CHARACTER_DEVICE, BLOCK_DEVICE, SOCKET -> checkSpecial(info, r);
        }
    }

    /** A FIFO, socket or device node: no data, no blocks; its inline area is its device number, then zeros. */
    private void checkSpecial(InodeInfo info, InodeRecord r) {
        String who = info.describe();
        if (r.size != 0 || r.extentCount != 0 || r.extentBlockCount != 0 || r.blocks != 0) {
            f.problem(who + ": has size " + r.size + ", " + r.extentCount + " extents and " + r.blocks
                    + " blocks (a special file has no data)");
        }
        MemorySegment inline = MemorySegment.ofArray(r.inline);
        if (!allZero(inline, 8, InodeRecord.INLINE_BYTES - 8)) {
            f.problem(who + ": inline area past the device number is not zero");
        }
        if (!info.type.isDevice() && r.rdev() != 0) {
            f.problem(who + ": device number " + r.rdev() + " on a " + InodeInfo.typeName(info.type));
        }
    }

    private void checkFields(InodeInfo info, InodeRecord r, MemorySegment blk, long off) {
        String who = info.describe();
        if ((r.flags & ~KNOWN_FLAGS) != 0) {
            f.problem(who + ": unknown flag bits 0x" + Integer.toHexString(r.flags & ~KNOWN_FLAGS));
        }
        if ((r.flags & InodeRecord.FLAG_INLINE_TARGET) != 0 && info.type != FileType.SYMLINK) {
            f.problem(who + ": inline-target flag on a " + InodeInfo.typeName(info.type));
        }
        if ((r.flags & InodeRecord.FLAG_ORPHAN) == 0 && (r.orphanNext != 0 || r.orphanPrev != 0)) {
            f.problem(who + ": orphan list links set (next " + r.orphanNext + ", previous " + r.orphanPrev
                    + ") but it is not flagged as an orphan");
        }
        if (info.isDir()) {
            if (info.ino == 1 && r.parent != 1) {
                f.problem("root directory: parent field is " + r.parent + ", must be 1 (itself)");
            } else if (r.parent < 1 || r.parent >= g.inodeCount()) {
                f.problem(who + ": parent " + r.parent + " is out of range");
            }
        }
    }

    /**
     * A directory's size is its record block count times 4096; its map covers those blocks and
     * its index nodes (a run from file block {@link DirIndexNode#NODE_BASE}), with no holes.
     */
    private void checkDirectory(InodeInfo info, InodeRecord r, FoundBlockMap map) {
        if (!map.intact()) {
            return;
        }
        String who = info.describe();
        if ((r.size & (Geometry.BLOCK_SIZE - 1)) != 0) {
            f.problem(who + ": size " + r.size + " is not a whole number of blocks");
            return;
        }
        long n = r.size >>> Geometry.BLOCK_SHIFT;
        long m = map.mappedBlocks() - n; // index nodes, from file block NODE_BASE
        if (m < 0) {
            f.problem(who + ": size " + r.size + " means " + n + " blocks but " + map.mappedBlocks() + " are mapped");
            return;
        }
        if (n > DirIndexNode.MAX_RECORD_BLOCKS || m > g.dataBlocks()) {
            f.problem(who + ": " + n + " record blocks and " + m + " index blocks is more than the format or the data area allows");
            return;
        }
        long[] blocks = new long[(int) n];
        long[] nodes = new long[(int) m];
        for (Extent e : map.extents()) {
            boolean records = e.logicalEnd() <= n;
            boolean index = e.logical() >= DirIndexNode.NODE_BASE && e.logicalEnd() <= DirIndexNode.NODE_BASE + m;
            if (!records && !index) {
                f.problem(who + ": maps file blocks [" + e.logical() + ", " + e.logicalEnd() + "), outside its " + n
                        + " record blocks and its " + m + " index blocks (from " + DirIndexNode.NODE_BASE + ")");
                return;
            }
            for (long i = 0; i < e.length(); i++) {
                if (records) {
                    blocks[(int) (e.logical() + i)] = e.physical() + i;
                } else {
                    nodes[(int) (e.logical() - DirIndexNode.NODE_BASE + i)] = e.physical() + i;
                }
            }
        }
        // Extents are sorted and disjoint (the map is intact): n blocks below n and m from
        // NODE_BASE within their ranges leave no holes.
        info.dirBlocks = blocks;
        info.indexBlocks = nodes;
    }

    private void checkSymlink(InodeInfo info, InodeRecord r, FoundBlockMap map) {
        String who = "symlink " + info.ino;
        if (r.size == 0) {
            f.problem(who + ": empty target");
            return;
        }
        if ((r.flags & InodeRecord.FLAG_INLINE_TARGET) != 0) {
            MemorySegment inline = MemorySegment.ofArray(r.inline);
            checkTarget(who, inline, 0, r.size);
            if (!allZero(inline, r.size, InodeRecord.INLINE_BYTES - r.size)) {
                f.problem(who + ": inline area past the " + r.size + "-byte target is not zero");
            }
            return;
        }
        if (r.size <= InodeRecord.INLINE_BYTES || r.size > MAX_TARGET) {
            f.problem(who + ": a target of " + r.size + " bytes must be "
                    + (r.size <= InodeRecord.INLINE_BYTES ? "stored inline" : "at most " + MAX_TARGET + " bytes"));
            return;
        }
        if (!map.intact()) {
            return;
        }
        List<Extent> ex = map.extents();
        if (ex.size() != 1 || ex.getFirst().logical() != 0 || ex.getFirst().length() != 1) {
            f.problem(who + ": must map exactly one block, at file block 0 (maps " + map.mappedBlocks()
                    + " blocks in " + ex.size() + " extents)");
            return;
        }
        long b = ex.getFirst().physical();
        MemorySegment blk = view.block(b);
        String what = who + " target block " + b;
        if (BlockHeader.magic(blk) != BlockHeader.SYMLINK) {
            f.problem(what + ": wrong block type (magic 0x" + Integer.toHexString(BlockHeader.magic(blk)) + ")");
        } else if (!BlockHeader.valid(blk, BlockHeader.SYMLINK)) {
            f.problem(what + ": checksum mismatch");
        } else if (BlockHeader.a(blk) != info.ino || BlockHeader.b(blk) != r.size) {
            f.problem(what + ": header says inode " + BlockHeader.a(blk) + ", length " + BlockHeader.b(blk)
                    + " (the inode says length " + r.size + ")");
        } else {
            checkTarget(who, blk, BlockHeader.SIZE, r.size);
        }
    }

    private void checkTarget(String who, MemorySegment s, long off, long len) {
        for (long i = 0; i < len; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, off + i) == 0) {
                f.problem(who + ": target contains a NUL byte at " + i);
                return;
            }
        }
    }

    static boolean allZero(MemorySegment s, long off, long len) {
        return s.asSlice(off, len).mismatch(ZEROS.asSlice(0, len)) == -1;
    }
}
