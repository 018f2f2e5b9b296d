package io.daxfs.crash;

import io.daxfs.crash.ImageLocator.Region;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Image fuzzing: 1,200 corrupted images per run (12,000 with -Ddaxfs.test.long=true), each an
 * 8 MiB populated image (clean, or crashed with committed transactions and an orphan still in
 * the journal) with 1-8 random byte flips in one kind of metadata, found with
 * {@link ImageLocator}: superblock slots (one, or both), fs info, journal, bitmaps, inode
 * records, directory, extent and symlink blocks. Kinds are taken in turn, and half the images
 * have their checksums resealed after the flips so the damage reaches the checks behind the
 * checksums. Each image must pass {@link FuzzRun} within 10 seconds. Seeds are fixed: image
 * {@code i} uses seed {@code SEED + i}; run one image with {@code -Ddaxfs.fuzz.seed=<seed>}.
 * About 40 s of CPU.
 */
class MetadataFuzzTest {
    static final int IMAGES = Boolean.getBoolean("daxfs.test.long") ? 12_000 : 1200;
    static final long SEED = 0x5EED_0000L;
    private static final Arena ARENA = Arena.ofShared();
    private static final List<FuzzImages.Base> BASES = new ArrayList<>();

    @TempDir
    static Path tmp;

    @BeforeAll
    static void buildImages() throws Exception {
        BASES.add(FuzzImages.clean(ARENA));
        BASES.add(FuzzImages.journaled(ARENA));
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    @AfterAll
    static void free() {
        ARENA.close();
    }

    /**
     * Where the path-based API's image file goes: tmpfs when there is one, since every persist of
     * an image file is an msync, which on a disk-backed file system waits for the disk.
     */
    private static Path imageDir() throws java.io.IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            Path dir = Files.createTempDirectory(shm, "daxfs-fuzz");
            dir.toFile().deleteOnExit();
            dir.resolve("fuzz.img").toFile().deleteOnExit();
            return dir;
        }
        return tmp;
    }

    @Test
    void damagedMetadataIsRefusedOrSurvived() throws Exception {
        String only = System.getProperty("daxfs.fuzz.seed");
        List<String> failures = new ArrayList<>();
        MemorySegment image = ARENA.allocate(FuzzImages.SIZE, 4096);
        long t0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        int done = 0;
        try (FuzzRun run = new FuzzRun(imageDir(), FuzzImages.SIZE)) {
            for (int i = 0; i < IMAGES && failures.size() < 20; i++) {
                long seed = SEED + i;
                if (only != null && Long.decode(only) != seed) {
                    continue;
                }
                FuzzImages.Base base = BASES.get(i % BASES.size());
                List<Region> regions = base.locator().regions();
                Region region = regions.get((i / BASES.size()) % regions.size());
                SplittableRandom rnd = new SplittableRandom(seed);
                image.copyFrom(base.image());
                String what = Corruptor.corrupt(image, base.locator(), region, rnd, rnd.nextBoolean());
                done++;
                try {
                    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> run.check(image));
                } catch (Throwable e) {
                    String f = "seed " + seed + " (" + base.name() + " image, " + what + "): " + CrashChecker.describe(e);
                    failures.add(f);
                    System.out.println("FUZZ FAILURE " + f);
                }
            }
            System.out.printf("metadata fuzzing: %d images (%d mounted, %d refused; %d damage reports while using"
                    + " mounted ones; fsck repaired %d, clean afterwards %d), %d failures, %.1f s (%.1f s of CPU)%n",
                    done, run.mounted, run.refused, run.lazyErrors, run.repaired, run.cleanAfterRepair,
                    failures.size(), (System.nanoTime() - t0) / 1e9, (processCpuNanos() - cpu0) / 1e9);
        }
        assertTrue(failures.isEmpty(), failures.size() + " images broke a rule; first:\n" + (failures.isEmpty() ? "" : failures.getFirst()));
    }
}
