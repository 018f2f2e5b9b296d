package io.daxfs.media;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/** CRC32C (Castagnoli) of device or heap ranges: the checksum of every on-device structure. */
public final class Crc {
    private Crc() {
    }

    public static int of(MemorySegment s, long off, long len) {
        CRC32C c = new CRC32C();
        c.update(s.asSlice(off, len).asByteBuffer());
        return (int) c.getValue();
    }

    /** Continues {@code c} with the range. */
    public static void update(CRC32C c, MemorySegment s, long off, long len) {
        c.update(s.asSlice(off, len).asByteBuffer());
    }
}
