package io.daxfs.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `daxfs bench alloc`, run tiny: the layout line and the table's shape, not the rates. */
class BenchAllocCommandTest {
    private static final String NUMBER = "\\d+(\\.\\d+)?[kMG]?";

    @TempDir
    Path dir;

    @Test
    void inMemoryPrintsTheLayoutAndARowPerSizeAndThreadCount() throws IOException {
        check(BenchRun.of("bench", "alloc", "--size", "64M", "--seconds", "0.05", "--warmup", "0"));
    }

    @Test
    void inAnImageCleansUp() throws IOException {
        check(BenchRun.of("bench", "alloc", "--size", "64M", "--seconds", "0.05", "--warmup", "0", "--dir", dir.toString()));
        assertEquals(List.of(), BenchRun.leftIn(dir), "the image is deleted");
    }

    private static void check(BenchRun run) {
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(1, run.lines("fragmented 75% of it: \\d+ pieces of 4-64 KiB allocated in \\d+ files, every other one "
                + "punched out: about \\d+ free runs of 4-64 KiB \\(.*\\);").size(), run::toString);
        assertEquals(1, run.lines("unfragmented: .*, about \\d+ 2 MiB-aligned runs; setup took \\d+\\.\\d s").size(), run::toString);
        assertEquals(1, run.lines("allocation +threads +allocations +bursts +allocations/s +vs 1 thread +goal +result").size(),
                run::toString);
        String counts = " +\\d+ +\\d+ +" + NUMBER + " +\\d+\\.\\d\\d";
        assertEquals(1, run.lines("2 MiB +1" + counts + " +>= 100k/s +(pass|FAIL)").size(), run::toString);
        assertEquals(1, run.lines("2 MiB +2" + counts + " +>= 1\\.60x +(pass|FAIL)").size(), run::toString);
        assertEquals(1, run.lines("4 KiB +1" + counts + " +- +-").size(), run::toString);
        assertEquals(1, run.lines("4 KiB +2" + counts + " +>= 1\\.60x +(pass|FAIL)").size(), run::toString);
        assertTrue(run.lines("\\d MiB +1 .* 1\\.00 .*|4 KiB +1 .* 1\\.00 .*").size() == 2, run::toString);
    }

    @Test
    void rejectsASizeThatIsNotAMultipleOf2M() {
        BenchRun run = BenchRun.of("bench", "alloc", "--size", "65M");
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertTrue(run.err().startsWith("daxfs: EINVAL: ") && run.err().contains("multiple of 2 MiB"), run::toString);
    }

    @Test
    void planCoversThreeQuartersWithPiecesOf4To64K() {
        long size = 64L << 20;
        int[] blocks = AllocBench.plan(size);
        long sum = Arrays.stream(blocks).asLongStream().sum();
        assertTrue(sum * AllocBench.BLOCK >= size * 3 / 4 && sum * AllocBench.BLOCK < size * 3 / 4 + (64 << 10), "" + sum);
        assertTrue(Arrays.stream(blocks).allMatch(b -> b >= 1 && b <= 16));
        assertTrue(Arrays.stream(blocks).anyMatch(b -> b == 1) && Arrays.stream(blocks).anyMatch(b -> b == 16));
    }

    @Test
    void goalsAreARateForOneThreadAt2MAndARatioForTwo() {
        assertEquals(Boolean.TRUE, new AllocBench.Result(AllocBench.HUGE, 1, 1, 1, 100_000, 1).passed());
        assertEquals(Boolean.FALSE, new AllocBench.Result(AllocBench.HUGE, 1, 1, 1, 99_999, 1).passed());
        assertEquals(Boolean.TRUE, new AllocBench.Result(AllocBench.BLOCK, 2, 1, 1, 1, 1.6).passed());
        assertEquals(Boolean.FALSE, new AllocBench.Result(AllocBench.HUGE, 2, 1, 1, 1e9, 1.59).passed());
        assertNull(new AllocBench.Result(AllocBench.BLOCK, 1, 1, 1, 1, 1).passed());
    }
}
