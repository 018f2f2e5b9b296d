package io.daxfs.model;

import io.daxfs.types.MountOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * fsx: random operations on several files of a 256 MiB file system, every answer checked
 * against {@link FileModel}s. 4 seeds x 30,000 operations (mapped reads and writes among them); {@code -Ddaxfs.test.long=true} runs
 * 20 times as many, {@code -Ddaxfs.fsx.seed=N} only seed N, {@code -Ddaxfs.fsx.ops=N} N
 * operations per seed, {@code -Ddaxfs.fsx.verifyEvery=N} a full verification every N operations
 * and {@code -Ddaxfs.fsx.verbose=true} prints every operation.
 */
class FsxTest {
    static final boolean LONG = Boolean.getBoolean("daxfs.test.long");
    static final Duration STALL = Duration.ofSeconds(60);
    private static final long[] SEEDS = {1001, 1002, 1003, 1004};

    static LongStream seeds(long... defaults) {
        String one = System.getProperty("daxfs.fsx.seed");
        return one != null && !one.isBlank() ? LongStream.of(Long.decode(one.trim())) : LongStream.of(defaults);
    }

    static long ops(long normal) {
        return Long.getLong("daxfs.fsx.ops", normal * (LONG ? 20 : 1));
    }

    /** {@code cfg}, verifying every file every {@code -Ddaxfs.fsx.verifyEvery=N} operations when given (1: after each). */
    static FsxConfig tuned(FsxConfig cfg) {
        return cfg.withVerifyEvery(Integer.getInteger("daxfs.fsx.verifyEvery", cfg.verifyEvery()));
    }

    static LongStream standardSeeds() {
        return seeds(SEEDS);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("standardSeeds")
    void randomOperations(long seed) throws Exception {
        long ops = ops(30_000);
        long t0 = System.nanoTime();
        FsxStats st = FsxRunner.runSeed(tuned(FsxConfig.standard()), seed, ops,
                FsxTarget.memory(256L << 20, MountOptions.DEFAULT.withCommitIntervalMs(0)), STALL);
        System.out.printf("fsx seed %d: %.1f s, %s%n", seed, (System.nanoTime() - t0) / 1e9, st);
        assertEquals(ops, st.total);
        if (ops >= 20_000) {
            // The run must have reached the situations it is meant to exercise.
            assertTrue(st.maxChainBlocks >= 2, "no file ever needed two extent chain blocks (> 262 extents)");
            assertTrue(st.hugeMapped > 0, "no 2 MiB piece of a file was ever on a 2 MiB-aligned device run");
            assertTrue(st.remounts > 0 && st.expectedErrors > 0, "no remount or no invalid call");
        }
    }

    /** The same on an image file (mount by path, with validation first), fewer operations. */
    @Test
    void imageFile(@TempDir Path dir) throws Exception {
        long seed = seeds(2001).findFirst().orElseThrow();
        long ops = ops(1_500); // mapped writes and msync are slow on an image file
        FsxStats st = FsxRunner.runSeed(tuned(FsxConfig.standard().withRemountEvery(500)), seed, ops,
                FsxTarget.image(dir.resolve("fsx.img"), 256L << 20, MountOptions.DEFAULT.withCommitIntervalMs(0)), STALL);
        System.out.println("fsx image seed " + seed + ": " + st);
        assertEquals(ops, st.total);
    }
}
