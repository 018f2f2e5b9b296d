package io.daxfs.crash;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DirEntry;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;
import io.daxfs.device.RecordingDevice;
import io.daxfs.testutil.RetainedDevice;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A crash while formatting over an existing file system, at every persistence point of format,
 * its first mount and unmount (durable image and 8 random crash images each): the image is
 * either refused with a DaxException (only until format has returned), or is the old file
 * system intact, or the new one, empty. Never the old one damaged, never a mix.
 */
class FormatCrashTest {
    private static final long SIZE = 8L << 20;
    private static final List<String> OUTCOMES = List.of("old", "new", "refused");

    @Test
    void everyPersistencePointOfFormatOverAnOldFileSystem() throws Exception {
        RecordingDevice dev = RecordingDevice.allocate(SIZE);
        ExecutorService checkThread = Executors.newSingleThreadExecutor();
        RetainedDevice scratch = RetainedDevice.allocateFreeable(SIZE);
        try (Arena arena = Arena.ofShared()) {
            Map<String, byte[]> old = new TreeMap<>();
            String oldUuid;
            try (DaxFileSystem fs = Internals.format(RetainedDevice.view(dev), FormatOptions.DEFAULT)) {
                fs.mkdir("/old");
                for (int i = 0; i < 5; i++) {
                    byte[] b = new byte[3000 * i + 10];
                    Pattern.fill(b, 0, b.length, 0, 77 + i);
                    try (DaxFile f = fs.open("/old/f" + i, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                        f.write(0, MemorySegment.ofArray(b));
                    }
                    old.put("/old/f" + i, b);
                }
                oldUuid = fs.statfs().uuid();
            }
            List<String> failures = new ArrayList<>();
            boolean[] formatReturned = {false};
            long[] images = {0};
            Map<String, Integer> seen = new TreeMap<>();
            dev.onPersist(new RecordingDevice.PersistListener() {
                @Override
                public void beforePersist(long point, long offset, long length) {
                    for (int v = 0; v < 8; v++) {
                        check(dev.crashImage(point * 10 + v, arena), "before point " + point + ", seed " + (point * 10 + v));
                    }
                }

                @Override
                public void persisted(long point) {
                    check(dev.durableImage(), "after point " + point + ", durable image");
                }

                private void check(MemorySegment image, String where) {
                    images[0]++;
                    try {
                        String o = checkThread.submit(() -> outcome(scratch.load(image), oldUuid, old, formatReturned[0])).get();
                        if (OUTCOMES.contains(o)) {
                            seen.merge(o, 1, Integer::sum);
                        } else {
                            failures.add(where + ": " + o);
                        }
                    } catch (Exception e) {
                        failures.add(where + ": " + CrashChecker.describe(e));
                    }
                }
            });
            DaxFileSystem fs = Internals.format(RetainedDevice.view(dev), FormatOptions.DEFAULT);
            formatReturned[0] = true;
            fs.close();
            System.out.printf("format crashes: %d points, %d images checked: %s%n", dev.persistencePoints(), images[0], seen);
            assertTrue(failures.isEmpty(), () -> failures.size() + " crash states failed; first: " + failures.getFirst());
            assertTrue(seen.containsKey("new") && seen.containsKey("refused"), "outcomes: " + seen);
        } finally {
            checkThread.shutdown();
            scratch.free();
            dev.close();
        }
    }

    /** "old", "new" or "refused" when the image is an allowed outcome, else why not. */
    private static String outcome(RetainedDevice dev, String oldUuid, Map<String, byte[]> old, boolean mustMount) {
        DaxFileSystem fs;
        try {
            fs = Internals.mount(dev, CrashChecker.MOUNT);
        } catch (DaxException e) {
            return mustMount ? "refused after format returned: " + e : "refused";
        } catch (RuntimeException e) {
            return "mount threw " + CrashChecker.describe(e);
        }
        String which = fs.statfs().uuid().equals(oldUuid) ? "old" : "new";
        try {
            if (which.equals("old")) {
                List<DirEntry> root = fs.readdir("/");
                if (root.size() != 1 || !root.getFirst().name().equals("old") || fs.readdir("/old").size() != old.size()) {
                    return "the old file system, damaged: / holds " + root;
                }
                for (Map.Entry<String, byte[]> e : old.entrySet()) {
                    byte[] b = new byte[e.getValue().length];
                    try (DaxFile f = fs.open(e.getKey(), StandardOpenOption.READ)) {
                        if (f.size() != b.length || (b.length > 0 && f.read(0, b, 0, b.length) != b.length)
                                || !Arrays.equals(b, e.getValue())) {
                            return "the old file system, damaged: " + e.getKey() + " differs";
                        }
                    }
                }
            } else if (!fs.readdir("/").isEmpty()) {
                return "the new file system is not empty: " + fs.readdir("/");
            }
        } catch (DaxException | RuntimeException e) {
            return "mounted, but " + CrashChecker.describe(e);
        } finally {
            try {
                fs.close();
            } catch (DaxException e) {
                return "unmount failed: " + e;
            }
        }
        try {
            FsckReport r = Internals.fsck(dev, false, ProgressListener.NONE);
            if (!r.clean()) {
                return "fsck after unmount: " + r.problems();
            }
        } catch (DaxException e) {
            return "fsck after unmount failed: " + e;
        }
        return which;
    }
}
