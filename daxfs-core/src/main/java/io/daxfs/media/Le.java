package io.daxfs.media;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian, unaligned field access: the byte order of every on-device integer. */
public final class Le {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Le() {
    }

    public static long getLong(MemorySegment s, long off) {
        return s.get(LONG, off);
    }

    public static void putLong(MemorySegment s, long off, long v) {
        s.set(LONG, off, v);
    }

    public static int getInt(MemorySegment s, long off) {
        return s.get(INT, off);
    }

    public static void putInt(MemorySegment s, long off, int v) {
        s.set(INT, off, v);
    }

    public static int getU16(MemorySegment s, long off) {
        return Short.toUnsignedInt(s.get(SHORT, off));
    }

    public static void putU16(MemorySegment s, long off, int v) {
        s.set(SHORT, off, (short) v);
    }

    public static int getU8(MemorySegment s, long off) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, off));
    }

    public static void putU8(MemorySegment s, long off, int v) {
        s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
    }
}
