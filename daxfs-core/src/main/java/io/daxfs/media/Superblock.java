package io.daxfs.media;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.lang.foreign.MemorySegment;
import java.util.UUID;

/**
 * The superblock: identity, geometry, and the journal tail. It is the one structure written in
 * place rather than through the journal, so it has two slots (blocks 0 and 1) written
 * alternately, each with a generation and a CRC32C; mount takes the valid slot with the higher
 * generation, so a torn superblock write falls back to the previous one.
 *
 * <pre>
 *   0 u64 magic "DAXFS\0SB"   8 u32 version   12 u32 block size   16 uuid (16 bytes)
 *  32 u64 total blocks  40 u64 generation  48..127 geometry (see Geometry)  128 u64 root ino
 * 136 u64 journal tail position  144 u64 journal tail sequence  152 u32 state  156 u32 flags
 * 160 i64 format time ns  168 i64 last mount time ns  176 u64 mount count  4092 u32 crc32c[0,4092)
 * </pre>
 */
public record Superblock(UUID uuid, Geometry geometry, long generation, long rootIno, long journalTailPos,
                         long journalTailSeq, int state, long formatTimeNs, long lastMountTimeNs,
                         long mountCount) {
    public static final long MAGIC = 0x4253_0053_4658_4144L; // "DAXFS\0SB" little-endian
    /**
     * The format this build writes. Version 2 adds unwritten extents (the top bit of an extent's
     * physical field); version 3 adds special files (FIFOs, sockets, device nodes); version 4 adds extended
     * attributes (an xattr block chain named by bytes 240..251 of the inode record); version 5 adds
     * directory indexes (index nodes mapped from file block 2^31, the root named by block 0). An older image
     * has none of these, so it is read as is, and the first superblock a read-write mount writes
     * makes it this version (which older builds then refuse).
     */
    public static final int VERSION = 5;
    /** The oldest format this build reads. */
    public static final int OLDEST_READABLE_VERSION = 1;
    public static final int STATE_CLEAN = 0;
    public static final int STATE_MOUNTED = 1;
    private static final int CRC_OFF = 4092;

    public Superblock withTail(long pos, long seq) {
        return new Superblock(uuid, geometry, generation, rootIno, pos, seq, state, formatTimeNs, lastMountTimeNs, mountCount);
    }

    public Superblock withState(int s) {
        return new Superblock(uuid, geometry, generation, rootIno, journalTailPos, journalTailSeq, s, formatTimeNs,
                lastMountTimeNs, mountCount);
    }

    public Superblock withMount(long nowNs) {
        return new Superblock(uuid, geometry, generation, rootIno, journalTailPos, journalTailSeq, state, formatTimeNs,
                nowNs, mountCount + 1);
    }

    public Superblock withGeneration(long g) {
        return new Superblock(uuid, geometry, g, rootIno, journalTailPos, journalTailSeq, state, formatTimeNs,
                lastMountTimeNs, mountCount);
    }

    /** Writes this superblock into a 4 KiB buffer (the whole block, zero padded). */
    public void encode(MemorySegment b) {
        b.asSlice(0, Geometry.BLOCK_SIZE).fill((byte) 0);
        Geometry g = geometry;
        Le.putLong(b, 0, MAGIC);
        Le.putInt(b, 8, VERSION);
        Le.putInt(b, 12, Geometry.BLOCK_SIZE);
        Le.putLong(b, 16, uuid.getMostSignificantBits());
        Le.putLong(b, 24, uuid.getLeastSignificantBits());
        Le.putLong(b, 32, g.totalBlocks());
        Le.putLong(b, 40, generation);
        Le.putLong(b, 48, g.journalStart());
        Le.putLong(b, 56, g.journalBlocks());
        Le.putLong(b, 64, g.inodeBitmapStart());
        Le.putLong(b, 72, g.inodeBitmapBlocks());
        Le.putLong(b, 80, g.blockBitmapStart());
        Le.putLong(b, 88, g.blockBitmapBlocks());
        Le.putLong(b, 96, g.inodeTableStart());
        Le.putLong(b, 104, g.inodeTableBlocks());
        Le.putLong(b, 112, g.inodeCount());
        Le.putLong(b, 120, g.dataStart());
        Le.putLong(b, 128, rootIno);
        Le.putLong(b, 136, journalTailPos);
        Le.putLong(b, 144, journalTailSeq);
        Le.putInt(b, 152, state);
        Le.putInt(b, 156, 0);
        Le.putLong(b, 160, formatTimeNs);
        Le.putLong(b, 168, lastMountTimeNs);
        Le.putLong(b, 176, mountCount);
        Le.putInt(b, CRC_OFF, Crc.of(b, 0, CRC_OFF));
    }

    /**
     * Decodes one slot. Returns null for a slot that is not a valid superblock (wrong magic, bad
     * checksum); throws for a valid superblock this build cannot use (other version, bad geometry).
     */
    public static Superblock decodeSlot(MemorySegment b, long deviceBytes) throws DaxException {
        if (Le.getLong(b, 0) != MAGIC) {
            return null;
        }
        if (Le.getInt(b, CRC_OFF) != Crc.of(b, 0, CRC_OFF)) {
            return null;
        }
        int version = Le.getInt(b, 8);
        if (version < OLDEST_READABLE_VERSION || version > VERSION) {
            throw new DaxException(Errno.EMEDIUMTYPE, "format version " + version + " is not supported (this build reads versions "
                    + OLDEST_READABLE_VERSION + " to " + VERSION + ")");
        }
        if (Le.getInt(b, 12) != Geometry.BLOCK_SIZE) {
            throw new DaxException(Errno.EMEDIUMTYPE, "block size " + Le.getInt(b, 12) + " is not supported");
        }
        Geometry g = new Geometry(Le.getLong(b, 32), Le.getLong(b, 48), Le.getLong(b, 56), Le.getLong(b, 64),
                Le.getLong(b, 72), Le.getLong(b, 80), Le.getLong(b, 88), Le.getLong(b, 96), Le.getLong(b, 104),
                Le.getLong(b, 112), Le.getLong(b, 120));
        g.validate(deviceBytes);
        long root = Le.getLong(b, 128);
        long tailPos = Le.getLong(b, 136);
        long tailSeq = Le.getLong(b, 144);
        if (root != 1 || tailPos < 0 || tailPos >= g.journalBlocks()) {
            throw new DaxException(Errno.EUCLEAN, "superblock root inode or journal tail out of range");
        }
        return new Superblock(new UUID(Le.getLong(b, 16), Le.getLong(b, 24)), g, Le.getLong(b, 40), root, tailPos,
                tailSeq, Le.getInt(b, 152), Le.getLong(b, 160), Le.getLong(b, 168), Le.getLong(b, 176));
    }

    /**
     * Reads both slots of {@code device} and returns the newest valid one: the superblock to use.
     * A device with no valid slot is refused: EMEDIUMTYPE when neither slot even has the magic
     * (not a daxfs image), EUCLEAN otherwise.
     */
    public static Superblock read(MemorySegment device) throws DaxException {
        long size = device.byteSize();
        if (size < 2L * Geometry.BLOCK_SIZE) {
            throw new DaxException(Errno.EMEDIUMTYPE, "device of " + size + " bytes is too small to hold a daxfs superblock");
        }
        MemorySegment a = device.asSlice(Geometry.SUPERBLOCK_A * Geometry.BLOCK_SIZE, Geometry.BLOCK_SIZE);
        MemorySegment b = device.asSlice(Geometry.SUPERBLOCK_B * Geometry.BLOCK_SIZE, Geometry.BLOCK_SIZE);
        boolean anyMagic = Le.getLong(a, 0) == MAGIC || Le.getLong(b, 0) == MAGIC;
        if (!anyMagic) {
            throw new DaxException(Errno.EMEDIUMTYPE, "not a daxfs image (no superblock magic)");
        }
        DaxException firstError = null;
        Superblock sa = null;
        Superblock sb = null;
        try {
            sa = decodeSlot(a, size);
        } catch (DaxException e) {
            firstError = e;
        }
        try {
            sb = decodeSlot(b, size);
        } catch (DaxException e) {
            if (firstError == null) {
                firstError = e;
            }
        }
        if (sa == null && sb == null) {
            if (firstError != null) {
                throw firstError;
            }
            throw new DaxException(Errno.EUCLEAN, "both superblock slots fail their checksum");
        }
        if (sa != null && sb != null && !sa.uuid().equals(sb.uuid())) {
            throw new DaxException(Errno.EUCLEAN, "superblock slots disagree on the file system UUID");
        }
        if (sa == null) {
            return sb;
        }
        if (sb == null) {
            return sa;
        }
        return sa.generation() >= sb.generation() ? sa : sb;
    }

    /** The slot that the superblock with generation {@code g} lives in (alternating A/B). */
    public static long slotFor(long g) {
        return (g & 1) == 0 ? Geometry.SUPERBLOCK_A : Geometry.SUPERBLOCK_B;
    }
}
