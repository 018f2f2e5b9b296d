package io.daxfs.media;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

/**
 * Where everything lives on a daxfs device. All numbers are 4 KiB block numbers or counts.
 *
 * <pre>
 * block 0            superblock slot A
 * block 1            superblock slot B
 * block 2            fs info block (journaled: orphan list head)
 * journalStart ...   journal (circular redo log of metadata block images)
 * inodeBitmapStart   inode allocation bitmap
 * blockBitmapStart   block allocation bitmap (covers every device block, metadata included)
 * inodeTableStart    inode table, 16 records of 256 bytes per block
 * dataStart ...      data: file data, directory blocks, extent blocks, symlink blocks
 * </pre>
 */
public record Geometry(long totalBlocks, long journalStart, long journalBlocks, long inodeBitmapStart,
                       long inodeBitmapBlocks, long blockBitmapStart, long blockBitmapBlocks,
                       long inodeTableStart, long inodeTableBlocks, long inodeCount, long dataStart) {

    public static final int BLOCK_SIZE = 4096;
    public static final int BLOCK_SHIFT = 12;
    public static final long SUPERBLOCK_A = 0;
    public static final long SUPERBLOCK_B = 1;
    public static final long FSINFO_BLOCK = 2;
    public static final long MIN_DEVICE_SIZE = 4L << 20;
    public static final long MIN_JOURNAL_BLOCKS = 256;
    public static final long MAX_JOURNAL_BLOCKS = 65536;
    public static final long MIN_INODES = 64;
    /** 4 KiB blocks in a 2 MiB huge page. */
    public static final int HUGE_BLOCKS = 512;

    /** Computes the layout for a device of {@code sizeBytes}, honouring explicit choices (0 = default). */
    public static Geometry compute(long sizeBytes, long inodes, long journalBytes) throws DaxException {
        if (sizeBytes < MIN_DEVICE_SIZE) {
            throw new DaxException(Errno.EINVAL, "device size " + sizeBytes + " is below the minimum of "
                    + MIN_DEVICE_SIZE + " bytes (4 MiB)");
        }
        long total = sizeBytes >>> BLOCK_SHIFT;
        long journal = journalBytes > 0 ? journalBytes >>> BLOCK_SHIFT
                : Math.clamp(total / 64, MIN_JOURNAL_BLOCKS, MAX_JOURNAL_BLOCKS);
        if (journal < MIN_JOURNAL_BLOCKS) {
            throw new DaxException(Errno.EINVAL, "journal of " + journalBytes + " bytes is below the minimum of 1 MiB");
        }
        long icount = inodes > 0 ? inodes : Math.max(1024, sizeBytes / (16 << 10));
        icount = Math.max(MIN_INODES, (icount + InodeRecord.PER_BLOCK - 1) / InodeRecord.PER_BLOCK * InodeRecord.PER_BLOCK);
        long ibmBlocks = ceilDiv(icount, Bitmap.BITS_PER_BLOCK);
        long bbmBlocks = ceilDiv(total, Bitmap.BITS_PER_BLOCK);
        long itBlocks = icount / InodeRecord.PER_BLOCK;
        long journalStart = FSINFO_BLOCK + 1;
        long ibmStart = journalStart + journal;
        long bbmStart = ibmStart + ibmBlocks;
        long itStart = bbmStart + bbmBlocks;
        long dataStart = itStart + itBlocks;
        if (dataStart + 16 > total) {
            throw new DaxException(Errno.EINVAL, "device of " + sizeBytes + " bytes is too small for "
                    + icount + " inodes and a " + (journal * 4) + " KiB journal");
        }
        return new Geometry(total, journalStart, journal, ibmStart, ibmBlocks, bbmStart, bbmBlocks,
                itStart, itBlocks, icount, dataStart);
    }

    /** Checks that a geometry read from a superblock is self-consistent and fits {@code deviceBytes}. */
    public void validate(long deviceBytes) throws DaxException {
        long devBlocks = deviceBytes >>> BLOCK_SHIFT;
        boolean ok = totalBlocks > 0 && totalBlocks <= devBlocks
                && journalStart == FSINFO_BLOCK + 1
                && journalBlocks >= MIN_JOURNAL_BLOCKS && journalBlocks <= (1L << 32)
                && inodeBitmapStart == journalStart + journalBlocks
                && inodeCount >= MIN_INODES && inodeCount % InodeRecord.PER_BLOCK == 0 && inodeCount <= (1L << 40)
                && inodeBitmapBlocks == ceilDiv(inodeCount, Bitmap.BITS_PER_BLOCK)
                && blockBitmapStart == inodeBitmapStart + inodeBitmapBlocks
                && blockBitmapBlocks == ceilDiv(totalBlocks, Bitmap.BITS_PER_BLOCK)
                && inodeTableStart == blockBitmapStart + blockBitmapBlocks
                && inodeTableBlocks == inodeCount / InodeRecord.PER_BLOCK
                && dataStart == inodeTableStart + inodeTableBlocks
                && dataStart < totalBlocks;
        if (!ok) {
            if (totalBlocks > devBlocks) {
                throw new DaxException(Errno.EUCLEAN, "superblock says " + totalBlocks
                        + " blocks but the device has " + devBlocks + " (truncated image?)");
            }
            throw new DaxException(Errno.EUCLEAN, "superblock geometry is inconsistent: " + this);
        }
    }

    /** Device block holding inode {@code ino}. */
    public long inodeBlock(long ino) {
        return inodeTableStart + ino / InodeRecord.PER_BLOCK;
    }

    /** Byte offset of inode {@code ino} on the device. */
    public long inodeOffset(long ino) {
        return (inodeTableStart << BLOCK_SHIFT) + ino * InodeRecord.SIZE;
    }

    public boolean isDataBlock(long block) {
        return block >= dataStart && block < totalBlocks;
    }

    /** True for blocks that only the journal may write: everything that is metadata by position. */
    public boolean isFixedMetadata(long block) {
        return block == FSINFO_BLOCK || (block >= inodeBitmapStart && block < dataStart);
    }

    public long dataBlocks() {
        return totalBlocks - dataStart;
    }

    public static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
