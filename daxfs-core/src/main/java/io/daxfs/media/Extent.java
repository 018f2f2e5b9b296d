package io.daxfs.media;

/**
 * A run of file blocks mapped to contiguous device blocks: file blocks
 * {@code [logical, logical + length)} live at device blocks {@code [physical, physical + length)}.
 * On the device it is 16 bytes: u32 logical, u32 length, u64 physical.
 */
public record Extent(long logical, long length, long physical) {
    public static final int BYTES = 16;
    /** File block numbers are u32 on the device: files end before 2^32 blocks (16 TiB). */
    public static final long MAX_LOGICAL = 0xFFFF_FFFFL;

    public Extent {
        if (length <= 0 || logical < 0 || physical <= 0 || logical + length - 1 > MAX_LOGICAL) {
            throw new IllegalArgumentException("bad extent " + logical + "+" + length + "@" + physical);
        }
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

    static Extent read(java.lang.foreign.MemorySegment s, long off) {
        long logical = Integer.toUnsignedLong(Le.getInt(s, off));
        long length = Integer.toUnsignedLong(Le.getInt(s, off + 4));
        long physical = Le.getLong(s, off + 8);
        if (length == 0 || physical <= 0) {
            return null;
        }
        if (logical + length - 1 > MAX_LOGICAL) {
            return null;
        }
        return new Extent(logical, length, physical);
    }

    void write(java.lang.foreign.MemorySegment s, long off) {
        Le.putInt(s, off, (int) logical);
        Le.putInt(s, off + 4, (int) length);
        Le.putLong(s, off + 8, physical);
    }
}
