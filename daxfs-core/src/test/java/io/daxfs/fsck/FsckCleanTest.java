package io.daxfs.fsck;

import io.daxfs.api.Internals;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;
import io.daxfs.device.MemoryDevice;
import io.daxfs.device.RecordingDevice;
import io.daxfs.media.Geometry;
import io.daxfs.media.Superblock;
import io.daxfs.testutil.RetainedDevice;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Images the file system produced itself, in any state it can leave them in, are clean. */
class FsckCleanTest {
    @Test
    void freshlyFormattedImageIsClean() throws Exception {
        RetainedDevice dev = TestImages.formatted();
        FsckReport r = Fsck.check(dev, false, ProgressListener.NONE);
        assertEquals(List.of(), r.problems());
        assertTrue(r.clean());
        assertEquals(1, r.inodesChecked(), "only the root is in use");
        assertEquals(1, r.directoriesChecked());
        assertFalse(r.journalReplayed());
    }

    @Test
    void imageAfterWorkloadIsClean() throws Exception {
        RetainedDevice dev = RetainedDevice.allocate(TestImages.SIZE);
        try (DaxFileSystem fs = Internals.format(dev, FormatOptions.DEFAULT)) {
            TestImages.workload(fs);
            assertTrue(fs.lstat("/a/long-link").blocks() > 0, "the long target has a block");
            assertTrue(fs.stat("/big").blocks() > 600 * 8, "the sparse file has its extent chain");
            // Unlinked while open: on the orphan list until the unmount closes it.
            DaxFile open = fs.open("/open-then-unlinked", StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            open.write(0, new byte[10_000], 0, 10_000);
            fs.unlink("/open-then-unlinked");
        }
        FsckReport r = Fsck.check(dev, false, ProgressListener.NONE);
        assertEquals(List.of(), r.problems());
        assertEquals(5, r.directoriesChecked(), "/, /a, /a/b, /c-moved, /many (/gone was removed)");
        assertTrue(r.blocksInUse() > 1000);
    }

    @Test
    void committedButNotCheckpointedJournalIsCheckedAsReplayed() throws Exception {
        RetainedDevice dev = RetainedDevice.allocate(TestImages.SIZE);
        try (DaxFileSystem fs = Internals.format(dev, FormatOptions.DEFAULT)) {
            TestImages.workload(fs);
            Internals.volume(fs).journal().checkpoint();
            fs.mkdir("/after-checkpoint");
            TestImages.write(fs, "/after-checkpoint/file", "data");
            try (DaxFile open = fs.open("/orphan", StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                open.write(0, new byte[20_000], 0, 20_000);
                fs.unlink("/orphan");
                Internals.volume(fs).journal().commit();
                try (MemoryDevice copy = MemoryDevice.copyOf(dev.segment())) {
                    FsckReport r = Fsck.check(copy, false, ProgressListener.NONE);
                    assertEquals(List.of(), r.problems());
                    assertTrue(r.journalReplayed(), "the last transactions are only in the journal");
                }
            }
        }
    }

    @Test
    void staleHomeLocationsAreReadThroughTheJournal() throws Exception {
        RecordingDevice dev = RecordingDevice.allocate(TestImages.SIZE);
        DaxFileSystem fs = Internals.format(dev, FormatOptions.DEFAULT);
        TestImages.workload(fs);
        Internals.volume(fs).journal().checkpoint();
        fs.mkdir("/late");
        TestImages.write(fs, "/late/file", "late");
        fs.unlink("/a/f1");
        Internals.volume(fs).journal().commit();
        // After a power failure now, the medium has the new transactions in the journal only:
        // their home locations were written but never persisted.
        MemorySegment durable = TestImages.snapshot(dev.durableImage());
        Geometry g = Superblock.read(durable).geometry();
        long metaBytes = g.dataStart() << Geometry.BLOCK_SHIFT;
        assertNotEquals(-1, durable.asSlice(0, metaBytes).mismatch(dev.segment().asSlice(0, metaBytes)),
                "some home location is stale on the medium");
        FsckReport r = Fsck.check(RetainedDevice.copyOf(durable), false, ProgressListener.NONE);
        assertEquals(List.of(), r.problems());
        assertTrue(r.journalReplayed());
        fs.close();
    }

    @Test
    void reportsProgressPerPhase() throws Exception {
        RetainedDevice dev = TestImages.small().device();
        Set<String> phases = new HashSet<>();
        Fsck.check(dev, false, (phase, done, total) -> {
            assertTrue(done <= total, phase + ": " + done + " of " + total);
            phases.add(phase);
        });
        assertTrue(phases.containsAll(List.of("superblock", "journal", "bitmaps", "inodes", "directories", "blocks")),
                phases.toString());
    }
}
