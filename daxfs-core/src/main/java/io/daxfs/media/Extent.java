package io.daxfs.media;

/**
 * A run of file blocks mapped to contiguous device blocks: file blocks
 * {@code [logical, logical + length)} live at device blocks {@code [physical, physical + length)}.
 * On the device it is 16 bytes: u32 logical, u32 length, u64 physical, whose top bit is the
 * UNWRITTEN flag.
 *
 * <p>An <em>unwritten</em> extent owns its blocks but reads as zeros: fallocate allocates them
 * so, without writing the blocks, and a write or a write fault turns the part it wrote (with the
 * rest of each block it touched zeroed) into a written extent, in a transaction whose ordered
 * data makes those bytes durable first. So blocks reach a file without being written twice, and
 * whatever a block held before is never readable, after a crash either.
 */
public record Extent(long logical, long length, long physical, boolean unwritten) {
    public static final int BYTES = 16;
    /** File block numbers are u32 on the device: files end before 2^32 blocks (16 TiB). */
    public static final long MAX_LOGICAL = 0xFFFF_FFFFL;
    /** The UNWRITTEN flag in the on-device physical field. */
    static final long UNWRITTEN_BIT = 1L << 63;

    public Extent {
        if (length <= 0 || logical < 0 || physical <= 0 || logical + length - 1 > MAX_LOGICAL) {
            throw new IllegalArgumentException("bad extent " + logical + "+" + length + "@" + physical);
        }
    }

    /** A written extent. */
    public Extent(long logical, long length, long physical) {
        this(logical, length, physical, false);
    }

    public long logicalEnd() {
        return logical + length;
    }

    public long physicalEnd() {
        return physical + length;
    }

    /** The device block holding file block {@code fileBlock}, which must lie in this extent. */
    public long physicalOf(long fileBlock) {
        return physical + (fileBlock - logical);
    }

    public boolean contains(long fileBlock) {
        return fileBlock >= logical && fileBlock < logical + length;
    }

    /** The part {@code [from, to)} of this extent (which must cover it), in the same state. */
    public Extent slice(long from, long to) {
        return new Extent(from, to - from, physicalOf(from), unwritten);
    }

    /** This extent in state {@code asUnwritten}. */
    public Extent withUnwritten(boolean asUnwritten) {
        return asUnwritten == unwritten ? this : new Extent(logical, length, physical, asUnwritten);
    }

    /** True when {@code next} starts where this ends, on the device too, in the same state. */
    public boolean continuedBy(Extent next) {
        return logicalEnd() == next.logical && physicalEnd() == next.physical && unwritten == next.unwritten;
    }

    static Extent read(java.lang.foreign.MemorySegment s, long off) {
        long logical = Integer.toUnsignedLong(Le.getInt(s, off));
        long length = Integer.toUnsignedLong(Le.getInt(s, off + 4));
        long raw = Le.getLong(s, off + 8);
        long physical = raw & ~UNWRITTEN_BIT;
        if (length == 0 || physical <= 0) {
            return null;
        }
        if (logical + length - 1 > MAX_LOGICAL) {
            return null;
        }
        return new Extent(logical, length, physical, (raw & UNWRITTEN_BIT) != 0);
    }

    void write(java.lang.foreign.MemorySegment s, long off) {
        Le.putInt(s, off, (int) logical);
        Le.putInt(s, off + 4, (int) length);
        Le.putLong(s, off + 8, unwritten ? physical | UNWRITTEN_BIT : physical);
    }
}
