package io.daxfs.crash;

import io.daxfs.api.Internals;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FormatOptions;
import io.daxfs.device.RecordingDevice;
import io.daxfs.testutil.RetainedDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash consistency: a workload runs on a 16 MiB {@link RecordingDevice} (mounted with
 * commitIntervalMs 0, so only fsync, sync, a full journal and unmount commit) and crash images
 * taken at its persistence points are checked against the model of what was promised
 * ({@link CrashPoints}, {@link CrashChecker}, {@link FsModel}).
 *
 * <h2>Coverage</h2>
 * <ul>
 * <li>{@link Workload} (scripted, every operation kind): EVERY persistence point of the mounted
 *     file system, unmount included (about 370 points): the durable image after the point
 *     (fsck'ed, mounted, verified, used by a probe, unmounted, fsck'ed again) and 2 random crash
 *     images before it (torn write-backs); and at every 25th point, a crash at every persistence
 *     point of the durable image's own recovery.</li>
 * <li>{@link RandomWorkload}, seeds 1 and 2, 250 operations each: every 3rd point, the durable
 *     image and 1 random crash image; recovery crashes at every 50th point. With
 *     {@code -Ddaxfs.test.long=true}: seeds 1 to 8, 600 operations, every point.</li>
 * </ul>
 * The points of format and of the first mount are not checked. Failures name the point, the
 * operation in progress and the crash image's seed; -Ddaxfs.crash.trace=true prints the
 * operations as they run.
 */
class CrashConsistencyTest {
    private static final long SIZE = 16L << 20;
    private static final boolean LONG = Boolean.getBoolean("daxfs.test.long");

    @Test
    void everyPersistencePointOfTheScriptedWorkload() throws Exception {
        run("scripted workload", 20240601L, 2, 1, 25, Workload::run);
    }

    static LongStream seeds() {
        return LongStream.rangeClosed(1, LONG ? 8 : 2);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void randomWorkload(long seed) throws Exception {
        run("random workload " + seed, seed, 1, LONG ? 1 : 3, 50,
                m -> new RandomWorkload(m, seed, 2 << 20).run(LONG ? 600 : 250));
    }

    /**
     * The random workload with directory index nodes capped at three keys and every directory
     * indexed from its first block, so that its few dozen names per directory split leaves,
     * internal nodes and roots: every crash state of every split must mount, list and look up
     * exactly what the model allows, and pass fsck.
     */
    @Test
    void randomWorkloadOverDeepDirectoryIndexes() throws Exception {
        System.setProperty("daxfs.test.dirIndexFill", "3");
        try {
            run("random workload 11, index nodes of three keys", 11, 1, LONG ? 1 : 3, 50,
                    m -> new RandomWorkload(m, 11, 2 << 20).run(LONG ? 600 : 250));
        } finally {
            System.clearProperty("daxfs.test.dirIndexFill");
        }
    }

    private interface Body {
        void run(ModelFs m) throws Exception;
    }

    private static void run(String name, long seed, int variants, long stride, long recoveryStride, Body body)
            throws Exception {
        RecordingDevice dev = RecordingDevice.allocate(SIZE);
        CrashPoints points = null;
        try {
            Internals.format(RetainedDevice.view(dev), FormatOptions.DEFAULT).close();
            DaxFileSystem fs = Internals.mount(RetainedDevice.view(dev), CrashChecker.MOUNT);
            ModelFs m = new ModelFs(fs);
            points = new CrashPoints(dev, m, seed, variants, stride, recoveryStride);
            dev.onPersist(points);
            long t0 = System.nanoTime();
            long cpu0 = MetadataFuzzTest.processCpuNanos();
            body.run(m);
            fs.close();
            points.stop();
            m.model.promiseAll();
            System.out.printf("crash consistency, %s: %s; %d points in all, %.1f s (%.1f s of CPU)%n", name,
                    points.summary(), dev.persistencePoints(), (System.nanoTime() - t0) / 1e9,
                    (MetadataFuzzTest.processCpuNanos() - cpu0) / 1e9);
            List<String> finalProblems = points.checker().check(dev.durableImage(), false);
            assertEquals(List.of(), finalProblems, "the cleanly unmounted image");
            assertTrue(points.failures().isEmpty(), points.failures().size() + " crash states failed; first:\n"
                    + String.join("\n", points.failures().subList(0, Math.min(3, points.failures().size()))));
        } finally {
            if (points != null) {
                points.stop();
                points.checker().free();
            }
            dev.close();
        }
    }
}
