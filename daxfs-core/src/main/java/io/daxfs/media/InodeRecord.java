package io.daxfs.media;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The 256-byte on-device inode record. A record of all zero bytes is a free inode.
 * <pre>
 *   0 u32 mode (0 = free)   4 u32 nlink   8 u32 uid   12 u32 gid   16 u64 size
 *  24 u64 blocks (4 KiB blocks owned: data, directory, extent, symlink and xattr blocks)
 *  32 i64 atime  40 i64 mtime  48 i64 ctime  56 i64 btime (ns since the epoch)
 *  64 u64 parent (directories: the parent's inode number; the root names itself)
 *  72 u32 generation   76 u32 flags   80 u64 next orphan   88 u64 previous orphan
 *  96 u32 extent count  100 u32 extent blocks  104 u64 first extent block
 * 112 inline area, 128 bytes: the first 8 extents, or (FLAG_INLINE_TARGET) a symlink target,
 *     or (FIFO, socket, device node: no extents) the u64 device number, then zeros
 * 240 u64 first xattr block (0 = none)   248 u32 xattr block count (version 4; zero before)
 * 252 u32 crc32c of bytes [0, 252)
 * </pre>
 * Extents are kept sorted by file block, inline ones first, then the chain of extent blocks.
 */
public final class InodeRecord {
    public static final int SIZE = 256;
    public static final int PER_BLOCK = Geometry.BLOCK_SIZE / SIZE;
    public static final int INLINE_OFF = 112;
    public static final int INLINE_BYTES = 128;
    public static final int INLINE_EXTENTS = INLINE_BYTES / Extent.BYTES;
    public static final int EXTENTS_PER_BLOCK = (Geometry.BLOCK_SIZE - BlockHeader.SIZE) / Extent.BYTES;
    /** The symlink target is stored in the inline area (its length is the size). */
    public static final int FLAG_INLINE_TARGET = 1;
    /** Set while the inode is on the orphan list (nlink 0, still open when last committed). */
    public static final int FLAG_ORPHAN = 2;
    /**
     * With {@link #FLAG_ORPHAN}: the inode (which may have links) is on the orphan list only
     * because a truncate is freeing its blocks past its size in several transactions; mount
     * finishes that and takes it off the list.
     */
    public static final int FLAG_TRUNCATING = 4;
    private static final int CRC_OFF = 252;

    public int mode;
    public int nlink;
    public int uid;
    public int gid;
    public long size;
    public long blocks;
    public long atime;
    public long mtime;
    public long ctime;
    public long btime;
    public long parent;
    public int generation;
    public int flags;
    public long orphanNext;
    public long orphanPrev;
    public int extentCount;
    public int extentBlockCount;
    public long extentHead;
    /** The first block of the extended attribute chain (0 when the inode has none). */
    public long xattrHead;
    public int xattrBlockCount;
    /** The inline area, verbatim (extents or symlink target bytes). */
    public final byte[] inline = new byte[INLINE_BYTES];

    /** The device number of a special file (the first 8 bytes of its inline area). */
    public long rdev() {
        return MemorySegment.ofArray(inline).get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
                java.nio.ByteOrder.LITTLE_ENDIAN), 0);
    }

    public void rdev(long dev) {
        MemorySegment.ofArray(inline).set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
                java.nio.ByteOrder.LITTLE_ENDIAN), 0, dev);
    }

    public boolean isFree() {
        return mode == 0;
    }

    public FileType type() {
        return FileType.ofMode(mode);
    }

    /** Decodes the record at {@code off}; EUCLEAN on a checksum mismatch or an impossible type. */
    public static InodeRecord decode(MemorySegment s, long off, long ino) throws DaxException {
        InodeRecord r = new InodeRecord();
        r.mode = Le.getInt(s, off);
        int crc = Le.getInt(s, off + CRC_OFF);
        if (r.mode == 0) {
            // A free record must be entirely zero; anything else is damage.
            if (!allZero(s, off, SIZE)) {
                throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": free record is not zeroed");
            }
            return r;
        }
        if (crc != Crc.of(s, off, CRC_OFF)) {
            throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": checksum mismatch");
        }
        if (FileType.ofMode(r.mode) == null) {
            throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": unknown file type in mode " + Integer.toOctalString(r.mode));
        }
        r.nlink = Le.getInt(s, off + 4);
        r.uid = Le.getInt(s, off + 8);
        r.gid = Le.getInt(s, off + 12);
        r.size = Le.getLong(s, off + 16);
        r.blocks = Le.getLong(s, off + 24);
        r.atime = Le.getLong(s, off + 32);
        r.mtime = Le.getLong(s, off + 40);
        r.ctime = Le.getLong(s, off + 48);
        r.btime = Le.getLong(s, off + 56);
        r.parent = Le.getLong(s, off + 64);
        r.generation = Le.getInt(s, off + 72);
        r.flags = Le.getInt(s, off + 76);
        r.orphanNext = Le.getLong(s, off + 80);
        r.orphanPrev = Le.getLong(s, off + 88);
        r.extentCount = Le.getInt(s, off + 96);
        r.extentBlockCount = Le.getInt(s, off + 100);
        r.extentHead = Le.getLong(s, off + 104);
        MemorySegment.copy(s, java.lang.foreign.ValueLayout.JAVA_BYTE, off + INLINE_OFF, r.inline, 0, INLINE_BYTES);
        r.xattrHead = Le.getLong(s, off + 240);
        r.xattrBlockCount = Le.getInt(s, off + 248);
        if (r.size < 0 || r.extentCount < 0 || r.extentBlockCount < 0
                || r.xattrBlockCount < 0 || r.xattrBlockCount > XattrTable.MAX_BLOCKS
                || (r.xattrBlockCount == 0) != (r.xattrHead == 0)
                || (r.flags & FLAG_INLINE_TARGET) != 0 && (r.size > INLINE_BYTES || r.extentCount != 0)) {
            throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": impossible field values");
        }
        return r;
    }

    /** Encodes into the 256 bytes at {@code off} (a free record encodes as all zeros). */
    public void encode(MemorySegment s, long off) {
        s.asSlice(off, SIZE).fill((byte) 0);
        if (mode == 0) {
            return;
        }
        Le.putInt(s, off, mode);
        Le.putInt(s, off + 4, nlink);
        Le.putInt(s, off + 8, uid);
        Le.putInt(s, off + 12, gid);
        Le.putLong(s, off + 16, size);
        Le.putLong(s, off + 24, blocks);
        Le.putLong(s, off + 32, atime);
        Le.putLong(s, off + 40, mtime);
        Le.putLong(s, off + 48, ctime);
        Le.putLong(s, off + 56, btime);
        Le.putLong(s, off + 64, parent);
        Le.putInt(s, off + 72, generation);
        Le.putInt(s, off + 76, flags);
        Le.putLong(s, off + 80, orphanNext);
        Le.putLong(s, off + 88, orphanPrev);
        Le.putInt(s, off + 96, extentCount);
        Le.putInt(s, off + 100, extentBlockCount);
        Le.putLong(s, off + 104, extentHead);
        MemorySegment.copy(inline, 0, s, java.lang.foreign.ValueLayout.JAVA_BYTE, off + INLINE_OFF, INLINE_BYTES);
        Le.putLong(s, off + 240, xattrHead);
        Le.putInt(s, off + 248, xattrBlockCount);
        Le.putInt(s, off + CRC_OFF, Crc.of(s, off, CRC_OFF));
    }

    /** The inline extents (at most {@link #INLINE_EXTENTS}); EUCLEAN when one is malformed. */
    public List<Extent> inlineExtents(long ino) throws DaxException {
        int n = Math.min(extentCount, INLINE_EXTENTS);
        List<Extent> out = new ArrayList<>(n);
        MemorySegment s = MemorySegment.ofArray(inline);
        for (int i = 0; i < n; i++) {
            Extent e = Extent.read(s, (long) i * Extent.BYTES);
            if (e == null) {
                throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": malformed inline extent " + i);
            }
            out.add(e);
        }
        return out;
    }

    public void setInlineExtents(List<Extent> extents) {
        java.util.Arrays.fill(inline, (byte) 0);
        MemorySegment s = MemorySegment.ofArray(inline);
        for (int i = 0; i < extents.size() && i < INLINE_EXTENTS; i++) {
            extents.get(i).write(s, (long) i * Extent.BYTES);
        }
    }

    /** Reads the extents stored in one extent block (header already verified). */
    public static List<Extent> blockExtents(MemorySegment blk, long ino) throws DaxException {
        long n = BlockHeader.c(blk);
        if (n < 0 || n > EXTENTS_PER_BLOCK || BlockHeader.a(blk) != ino) {
            throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": extent block has a bad header");
        }
        List<Extent> out = new ArrayList<>((int) n);
        for (int i = 0; i < n; i++) {
            Extent e = Extent.read(blk, BlockHeader.SIZE + (long) i * Extent.BYTES);
            if (e == null) {
                throw new DaxException(Errno.EUCLEAN, "inode " + ino + ": malformed extent in extent block");
            }
            out.add(e);
        }
        return out;
    }

    /** Fills an extent block with {@code extents[from, to)}; the caller sets the next pointer and seals. */
    public static void fillExtentBlock(MemorySegment blk, long ino, List<Extent> extents, int from, int to, long next) {
        blk.fill((byte) 0);
        BlockHeader.init(blk, BlockHeader.EXTENTS, ino, next, to - from);
        for (int i = from; i < to; i++) {
            extents.get(i).write(blk, BlockHeader.SIZE + (long) (i - from) * Extent.BYTES);
        }
        BlockHeader.seal(blk);
    }

    static boolean allZero(MemorySegment s, long off, long len) {
        for (long i = 0; i < len; i += 8) {
            if (Le.getLong(s, off + i) != 0) {
                return false;
            }
        }
        return true;
    }
}
