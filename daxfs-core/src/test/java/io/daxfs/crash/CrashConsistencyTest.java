package io.daxfs.crash;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.FormatOptions;
import io.daxfs.device.RecordingDevice;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash consistency: runs {@link Workload} on a 16 MiB recording device and, at persistence
 * points, checks crash images against the model of what was promised ({@link CrashPoints},
 * {@link CrashChecker}).
 */
class CrashConsistencyTest {
    private static final long SIZE = 16L << 20;

    @Test
    void everyPersistencePointOfTheScriptedWorkload() throws Exception {
        RecordingDevice dev = RecordingDevice.allocate(SIZE);
        try {
            DaxFileSystem.format(new NonClosingDevice(dev), FormatOptions.DEFAULT).close();
            DaxFileSystem fs = DaxFileSystem.mount(new NonClosingDevice(dev), CrashChecker.MOUNT);
            ModelFs m = new ModelFs(fs);
            CrashPoints points = new CrashPoints(dev, m, 20240601L, 2, 1);
            dev.onPersist(points);
            long t0 = System.nanoTime();
            Workload.run(m);
            fs.close();
            points.stop();
            m.model.promiseAll();
            System.out.printf("crash consistency: %s, %d points in all, %.1f s%n", points.summary(),
                    dev.persistencePoints(), (System.nanoTime() - t0) / 1e9);
            List<String> finalProblems = points.checker().check(dev.durableImage(), false);
            assertEquals(List.of(), finalProblems, "the cleanly unmounted image");
            assertTrue(points.failures().isEmpty(), points.failures().size() + " crash states failed; first:\n"
                    + String.join("\n", points.failures().subList(0, Math.min(3, points.failures().size()))));
        } finally {
            dev.close();
        }
    }
}
