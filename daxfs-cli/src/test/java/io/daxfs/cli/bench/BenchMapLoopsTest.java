package io.daxfs.cli.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxMapping;
import io.daxfs.types.DaxException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The read loops of `daxfs bench map` do the same work on both sides: each daxfs loop reads the
 * very offsets its raw twin reads (equal sums over distinct contents, equal to a sum computed
 * here), and random offsets stay inside the power-of-two part of the file, aligned.
 */
class BenchMapLoopsTest {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    /** Not a power of two: random reads must stay in the first 4 MiB. */
    private static final long SIZE = 6L << 20;
    private static final long SEED = 0x9E3779B97F4A7C15L;

    private static long content(long off) {
        return off * 31 + 7;
    }

    @Test
    void daxfsLoopsReadWhatTheirRawTwinsReadWithHugeAndSmallWindows() throws DaxException {
        try (DaxFileSystem fs = DaxFileSystem.formatMemory(64L << 20);
             DaxFile f = fs.open("/f", CREATE, READ, WRITE);
             Arena arena = Arena.ofConfined()) {
            f.allocate(0, SIZE, false);
            MemorySegment raw = arena.allocate(SIZE, 4096);
            for (long off = 0; off < SIZE; off += 8) {
                raw.set(LONG, off, content(off));
            }
            f.write(0, raw);
            try (DaxMapping m = f.map(0, SIZE, DaxMapMode.READ_ONLY)) {
                assertPairs(raw, m);
            }
            try (DaxMapping m = f.map(0, SIZE, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES)) {
                assertPairs(raw, m);
            }
        }
    }

    private static void assertPairs(MemorySegment raw, DaxMapping m) {
        // Sequential: from inside a page to inside another 2 MiB page, so windows are cut at both ends.
        long from = 3 * 4096 + 8;
        long n = (2L << 20) + 5 * 4096;
        long expected = 0;
        for (long off = from; off < from + n; off += 8) {
            expected += content(off);
        }
        assertEquals(expected, MapBench.sequentialRaw(raw, from, n));
        assertEquals(expected, MapBench.sequentialGetLong(m, from, n));
        assertEquals(expected, MapBench.sequentialRawWindow(raw, MapBench.HUGE, from, n));
        assertEquals(expected, MapBench.sequentialWindow(m, from, n));

        long mask = MapBench.randomMask(SIZE);
        assertEquals((4L << 20) - 8, mask);
        int reads = 10_000;
        long random = 0;
        long x = SEED;
        for (int i = 0; i < reads; i++) {
            x = MapBench.next(x);
            long off = x & mask;
            assertTrue(off >= 0 && off < 4L << 20 && off % 8 == 0, "offset " + off);
            random += content(off);
        }
        assertEquals(random, MapBench.randomRaw(raw, mask, SEED, reads));
        assertEquals(random, MapBench.randomGetLong(m, mask, SEED, reads));
        assertEquals(random, MapBench.randomRawWindow(raw, MapBench.HUGE, mask, SEED, reads));
        assertEquals(random, MapBench.randomWindow(m, mask, SEED, reads));
    }
}
