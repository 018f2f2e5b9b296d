package io.daxfs.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IoBenchTest {
    @TempDir
    Path dir;

    @Test
    void optionsAreValidated() {
        Duration s = Duration.ofSeconds(1);
        assertThrows(IllegalArgumentException.class, () -> new IoBench.Options(1000, s, s, 1, dir, true));
        assertThrows(IllegalArgumentException.class, () -> new IoBench.Options(1 << 20, s, Duration.ZERO, 1, dir, true));
        assertThrows(IllegalArgumentException.class, () -> new IoBench.Options(1 << 20, s, s, 0, dir, true));
    }

    @Test
    void imageLeavesRoomForMetadata() {
        assertTrue(IoBench.imageSizeFor(256L << 20) >= (256L << 20) * 9 / 8);
        assertEquals(0, IoBench.imageSizeFor(3L << 20) % (1 << 20));
    }

    @Test
    void measuresEveryWorkloadOnBothPathsAndCleansUp() throws IOException {
        for (boolean memory : new boolean[] {true, false}) {
            List<IoBench.Result> seen = new ArrayList<>();
            IoBench.Options o = new IoBench.Options(8 << 20, Duration.ofMillis(20), Duration.ofMillis(50), 2, dir, memory);
            List<IoBench.Result> results = IoBench.run(o, seen::add);
            assertEquals(results, seen);
            assertEquals(List.of(Workload.values()), results.stream().map(IoBench.Result::workload).toList());
            for (IoBench.Result r : results) {
                assertTrue(r.daxfsMBps() > 0 && r.fileChannelMBps() > 0, r::toString);
            }
            try (var files = Files.list(dir)) {
                assertEquals(0, files.count(), "test files are deleted");
            }
        }
    }
}
