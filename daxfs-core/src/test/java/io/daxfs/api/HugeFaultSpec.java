package io.daxfs.api;

import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxStats;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In the spirit of ndctl's dax.sh: a 1 GiB file allocated up front on a freshly formatted
 * device (so its blocks are 2 MiB-aligned extents), mapped read-write and touched once per
 * 4 KiB page, must be served by 2 MiB faults only (one per 2 MiB: at least 500 of the 512, and
 * not a single 4 KiB fault), and read() must see every store.
 *
 * <p>The 1.25 GiB device is off-heap memory, touched only where the file system writes: the
 * run takes a few seconds.
 */
class HugeFaultSpec {
    private static final long MIB = 1 << 20;
    private static final long GIB = 1 << 30;
    private static final long PAGE = 4096;

    @Test
    void aOneGibFileIsMappedWith2MibFaultsOnly() throws Exception {
        long t0 = System.nanoTime();
        try (DaxFileSystem fs = DaxFileSystem.formatMemory(GIB + GIB / 4);
             DaxFile f = fs.open("/huge", StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            f.allocate(0, GIB, false);
            assertEquals(GIB, f.size());
            DaxStats before = fs.stats();
            try (DaxMapping m = f.map(0, GIB, DaxMapMode.READ_WRITE)) {
                for (long off = 0; off < GIB; off += PAGE) {
                    m.setLong(off + (off >>> 12) % 512 * 8, stamp(off));
                }
                m.msync(0, GIB);
                assertEquals(2 * MIB, m.window(GIB - 1).byteSize(), "the last 2 MiB is mapped huge");
            }
            DaxStats after = fs.stats();
            long huge = after.faults2m() - before.faults2m();
            long small = after.faults4k() - before.faults4k();
            System.out.printf("HugeFaultSpec: %d 2 MiB faults, %d 4 KiB faults, fallbacks %s, %.1f s%n", huge, small,
                    after.fallbacks(), (System.nanoTime() - t0) / 1e9);
            assertTrue(huge >= 500, "only " + huge + " 2 MiB faults for 1 GiB (fallbacks " + after.fallbacks() + ")");
            assertEquals(0, small, "4 KiB faults on a 2 MiB-aligned, fully allocated file (fallbacks "
                    + after.fallbacks() + ")");
            assertEquals(0, after.fallbacksTotal() - before.fallbacksTotal(), "fallbacks " + after.fallbacks());

            // Every store reached the file: read() sees it, and the rest of each page is zero.
            byte[] chunk = new byte[(int) (8 * MIB)];
            MemorySegment seg = MemorySegment.ofArray(chunk);
            for (long base = 0; base < GIB; base += chunk.length) {
                assertEquals(chunk.length, f.read(base, chunk, 0, chunk.length));
                for (long p = 0; p < chunk.length; p += PAGE) {
                    long off = base + p;
                    long at = (off >>> 12) % 512 * 8;
                    assertEquals(stamp(off), seg.get(ValueLayout.JAVA_LONG_UNALIGNED, p + at), "store at " + (off + at));
                    long other = p + (at == 0 ? 8 : 0);
                    assertEquals(0, seg.get(ValueLayout.JAVA_LONG_UNALIGNED, other), "untouched bytes at " + (base + other));
                }
            }
        }
    }

    private static long stamp(long off) {
        return off * 0x9E3779B97F4A7C15L + 1;
    }
}
