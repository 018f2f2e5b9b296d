package io.daxfs.crash;

/**
 * The bytes the workloads write: a function of a write's tag and the file offset, so that the
 * bytes of different writes (and of different files) are distinguishable and a stray byte in a
 * crash image can be told from a legitimate one. Also the marker that files are filled with
 * before they are deleted, to detect exposure of freed blocks.
 */
final class Pattern {
    /** "DAXSTALE" as a little-endian word: written to 8-aligned offsets of files about to be deleted. */
    static final long MARKER = 0x454C_4154_5358_4144L;

    private Pattern() {
    }

    /** Fills {@code dst[off, off + len)} with the bytes of write {@code tag} at file offsets {@code pos...}. */
    static void fill(byte[] dst, int off, int len, long pos, long tag) {
        for (int i = 0; i < len; ) {
            long p = pos + i;
            long word = mix(tag, p >>> 3);
            int k = (int) (p & 7);
            for (; k < 8 && i < len; k++, i++) {
                dst[off + i] = (byte) (word >>> (8 * k));
            }
        }
    }

    /** Fills {@code dst[off, off + len)}, file offsets {@code pos...}, with the marker. */
    static void fillMarker(byte[] dst, int off, int len, long pos) {
        for (int i = 0; i < len; i++) {
            dst[off + i] = (byte) (MARKER >>> (8 * ((pos + i) & 7)));
        }
    }

    /** The first 8-aligned file offset in {@code data[0, size)} holding the marker word, or -1. */
    static long findMarker(byte[] data, int size) {
        for (int i = 0; i + 8 <= size; i += 8) {
            if (data[i] == (byte) MARKER && wordAt(data, i) == MARKER) {
                return i;
            }
        }
        return -1;
    }

    static long wordAt(byte[] data, int i) {
        long w = 0;
        for (int k = 7; k >= 0; k--) {
            w = (w << 8) | (data[i + k] & 0xFF);
        }
        return w;
    }

    private static long mix(long tag, long word) {
        long z = tag * 0x9E37_79B9_7F4A_7C15L + word * 0xC2B2_AE3D_27D4_EB4FL + 0x1656_67B1_9E37_79F9L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        z ^= z >>> 31;
        return z == MARKER ? z + 1 : z;
    }
}
