package io.daxfs.model;

import io.daxfs.types.MountOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * fsx under ENOSPC pressure: five files of up to 5 MiB in a 10 MiB file system, so writes are
 * cut short and fallocate and zero range fail part way. The model takes exactly what the API
 * promises (a short write ends at the first block that could not be allocated; a failed
 * fallocate leaves a prefix of the holes allocated, learnt through SEEK_DATA/SEEK_HOLE), and the
 * runner checks that ENOSPC comes only when the data space is really gone, that the other files
 * are untouched and that used space is exactly what the files own, with remounts throughout.
 */
class FsxEnospcTest {
    private static final long[] SEEDS = {3001, 3002, 3003};
    private static final FsxStats TOTAL = new FsxStats();

    static LongStream enospcSeeds() {
        return FsxTest.seeds(SEEDS);
    }

    @BeforeAll
    static void reset() {
        TOTAL.ops.clear();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("enospcSeeds")
    void randomOperationsOnAFullFileSystem(long seed) throws Exception {
        long ops = FsxTest.ops(15_000);
        long t0 = System.nanoTime();
        FsxStats st = FsxRunner.runSeed(FsxTest.tuned(FsxConfig.smallFileSystem()), seed, ops,
                FsxTarget.memory(10L << 20, MountOptions.DEFAULT.withCommitIntervalMs(0)), FsxTest.STALL);
        System.out.printf("fsx ENOSPC seed %d: %.1f s, %s%n", seed, (System.nanoTime() - t0) / 1e9, st);
        assertEquals(ops, st.total);
        TOTAL.add(st);
        if (ops >= 10_000) {
            assertTrue(st.enospc > 0, "the file system never ran out of space");
        }
    }

    @AfterAll
    static void pressureWasReal() {
        if (TOTAL.total >= 40_000) {
            assertTrue(TOTAL.shortWrites > 0, "no write was ever cut short: " + TOTAL);
        }
    }
}
