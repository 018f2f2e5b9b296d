package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.MountOptions;

import io.daxfs.device.MemoryDevice;
import io.daxfs.device.RecordingDevice;
import io.daxfs.fs.VolumeFormatter;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * fsync, fdatasync and sync: they succeed, and what they cover is durable: it is on the medium
 * after a power failure (a {@link RecordingDevice}'s durable image) and after an unmount and
 * mount of an image file.
 */
class SyncSpec extends FsSpec {

    @Test
    void fsyncFdatasyncAndSyncSucceedInEveryState() throws Exception {
        try (DaxFile f = fs.open("/empty", CREATE, WRITE)) {
            assertDoesNotThrow(f::fsync);
            assertDoesNotThrow(f::fdatasync);
        }
        writeFile("/f", pattern(10_000, 1));
        try (DaxFile r = fs.open("/f", READ)) {
            assertDoesNotThrow(r::fsync, "a read-only handle may be synced");
            assertDoesNotThrow(r::fdatasync);
            assertDoesNotThrow(r::fsync, "syncing twice is harmless");
        }
        assertDoesNotThrow(fs::sync);
        assertDoesNotThrow(fs::sync);
        assertArrayEquals(pattern(10_000, 1), readFile("/f"));
    }

    @Nested
    class PowerFailure {
        /** A file system on a device that records what is durable. */
        private RecordingDevice formatRecording() throws DaxException {
            fs.close();
            RecordingDevice dev = RecordingDevice.allocate(64L << 20);
            fs = DaxFileSystem.format(dev, FormatOptions.DEFAULT);
            return dev;
        }

        /** Mounts what the medium would hold after a power failure now. */
        private DaxFileSystem afterPowerFailure(RecordingDevice dev) throws DaxException {
            return Internals.mount(MemoryDevice.copyOf(dev.durableImage()), MountOptions.DEFAULT);
        }

        @Test
        void fsyncMakesTheFilesDataAndSizeDurable() throws Exception {
            RecordingDevice dev = formatRecording();
            byte[] data = pattern(3 << 20, 2);
            try (DaxFile f = fs.open("/f", CREATE, WRITE)) {
                write(f, 100, data);
                f.fsync();
                try (DaxFileSystem crashed = afterPowerFailure(dev); DaxFile g = crashed.open("/f")) {
                    assertEquals(100 + data.length, g.size());
                    assertArrayEquals(new byte[100], read(g, 0, 100));
                    assertArrayEquals(data, read(g, 100, data.length));
                }
            }
        }

        @Test
        void fdatasyncMakesTheDataAndWhatIsNeededToReadItDurable() throws Exception {
            RecordingDevice dev = formatRecording();
            try (DaxFile f = fs.open("/f", CREATE, WRITE)) {
                write(f, 0, utf8("first"));
                f.fsync();
                write(f, 5, utf8(" second"));
                f.fdatasync();
                try (DaxFileSystem crashed = afterPowerFailure(dev)) {
                    try (DaxFile g = crashed.open("/f")) {
                        assertArrayEquals(utf8("first second"), readAll(g));
                    }
                }
            }
        }

        @Test
        void fsyncCoversChangesMadeThroughOtherHandlesAndTruncation() throws Exception {
            RecordingDevice dev = formatRecording();
            writeFile("/f", pattern(5 * BLOCK, 3));
            try (DaxFile a = fs.open("/f", WRITE); DaxFile b = fs.open("/f", APPEND)) {
                a.truncate(BLOCK + 1);
                write(b, 0, utf8("appended"));
                a.fsync();
            }
            try (DaxFileSystem crashed = afterPowerFailure(dev); DaxFile g = crashed.open("/f")) {
                byte[] all = readAll(g);
                assertEquals(BLOCK + 1 + 8, all.length);
                assertArrayEquals(java.util.Arrays.copyOf(pattern(5 * BLOCK, 3), BLOCK + 1),
                        java.util.Arrays.copyOf(all, BLOCK + 1));
                assertArrayEquals(utf8("appended"), java.util.Arrays.copyOfRange(all, BLOCK + 1, all.length));
            }
        }

        @Test
        void fsyncCoversTheFallocateFamily() throws Exception {
            RecordingDevice dev = formatRecording();
            byte[] data = pattern(16 * BLOCK, 8);
            byte[] expect = data.clone();
            try (DaxFile f = fs.open("/f", CREATE, WRITE)) {
                write(f, 0, data);
                f.fsync();
                f.punchHole(100, 2 * BLOCK);                     // zeroes [100, 8292), frees block 1
                java.util.Arrays.fill(expect, 100, 100 + 2 * BLOCK, (byte) 0);
                f.zeroRange(5 * BLOCK + 7, 50);
                java.util.Arrays.fill(expect, 5 * BLOCK + 7, 5 * BLOCK + 57, (byte) 0);
                f.collapseRange(8L * BLOCK, 2L * BLOCK);         // drop blocks 8 and 9
                byte[] collapsed = new byte[14 * BLOCK];
                System.arraycopy(expect, 0, collapsed, 0, 8 * BLOCK);
                System.arraycopy(expect, 10 * BLOCK, collapsed, 8 * BLOCK, 6 * BLOCK);
                expect = collapsed;
                f.truncate(12L * BLOCK + 5);                      // shrink mid-block ...
                f.truncate(13L * BLOCK);                          // ... and grow: the tail reads zeros
                byte[] truncated = new byte[13 * BLOCK];
                System.arraycopy(expect, 0, truncated, 0, 12 * BLOCK + 5);
                expect = truncated;
                f.fsync();
            }
            try (DaxFileSystem crashed = afterPowerFailure(dev); DaxFile g = crashed.open("/f")) {
                assertArrayEquals(expect, readAll(g));
            }
        }

        @Test
        void syncMakesEveryFileAndNamespaceChangeDurable() throws Exception {
            RecordingDevice dev = formatRecording();
            fs.mkdir("/d");
            writeFile("/d/a", pattern(20_000, 4));
            writeFile("/gone", utf8("x"));
            DaxFile open = fs.open("/d/b", CREATE, WRITE);
            write(open, 0, pattern(70_000, 5));
            fs.symlink("/d/a", "/link");
            fs.rename("/d/a", "/d/renamed");
            fs.unlink("/gone");
            fs.sync();
            try (DaxFileSystem crashed = afterPowerFailure(dev)) {
                assertEquals(List.of("d", "link"), crashed.readdir("/").stream().map(DirEntry::name).sorted().toList());
                assertEquals("/d/a", crashed.readlink("/link"));
                try (DaxFile g = crashed.open("/d/renamed")) {
                    assertArrayEquals(pattern(20_000, 4), readAll(g));
                }
                try (DaxFile g = crashed.open("/d/b")) {
                    assertArrayEquals(pattern(70_000, 5), readAll(g), "data written through a still open handle");
                }
            }
            open.close();
        }

        @Test
        void theCommitTimerMakesNamespaceChangesDurableWithoutASync() throws Exception {
            fs.close();
            RecordingDevice dev = RecordingDevice.allocate(64L << 20);
            VolumeFormatter.format(dev, FormatOptions.DEFAULT);
            fs = Internals.mount(dev, MountOptions.DEFAULT.withCommitIntervalMs(20));
            fs.mkdir("/made-by-timer");
            long deadline = System.nanoTime() + 10_000_000_000L;
            boolean durable = false;
            while (!durable && System.nanoTime() < deadline) {
                Thread.sleep(20);
                try (DaxFileSystem crashed = afterPowerFailure(dev)) {
                    durable = crashed.exists("/made-by-timer");
                }
            }
            assertTrue(durable, "the timer committed the mkdir within 10 s");
        }

        @Test
        void fsyncOfOneFileAlsoPersistsTheDataOfOthersWhoseSizesItCommits() throws Exception {
            // Ordered data: a commit never makes a size durable over data still in a cache.
            RecordingDevice dev = formatRecording();
            DaxFile other = fs.open("/other", CREATE, WRITE);
            byte[] data = pattern(4000, 6);
            write(other, 0, java.util.Arrays.copyOf(data, 3000));
            fs.sync();                                           // block 0 of /other is allocated and durable
            write(other, 3000, java.util.Arrays.copyOfRange(data, 3000, 4000)); // grows inside block 0, no fsync
            writeFile("/synced", utf8("s"));
            try (DaxFile s = fs.open("/synced", WRITE)) {
                s.fsync();                                       // commits /other's size too
            }
            try (DaxFileSystem crashed = afterPowerFailure(dev); DaxFile g = crashed.open("/other")) {
                assertArrayEquals(data, readAll(g), "the committed size 4000 covers durable bytes only");
            }
            other.close();
        }

        @Test
        void withoutAnyCommitTheFormattedStateSurvives() throws Exception {
            fs.close();
            RecordingDevice dev = RecordingDevice.allocate(64L << 20);
            VolumeFormatter.format(dev, FormatOptions.DEFAULT);
            fs = Internals.mount(dev, MountOptions.DEFAULT.withCommitIntervalMs(0));
            fs.mkdir("/not-synced");
            try (DaxFileSystem crashed = afterPowerFailure(dev)) {
                assertFalse(crashed.exists("/not-synced"), "interval 0: nothing is committed before a sync");
                assertEquals(List.of(), crashed.readdir("/"));
            }
            fs.sync();
            try (DaxFileSystem crashed = afterPowerFailure(dev)) {
                assertTrue(crashed.exists("/not-synced"));
            }
        }
    }

    @Nested
    class ImageFiles {
        @TempDir
        Path dir;

        @Test
        void dataPersistsAcrossUnmountAndMount() throws Exception {
            Path image = dir.resolve("fs.img");
            byte[] big = pattern(5 << 20, 6);
            try (DaxFileSystem a = DaxFileSystem.format(image, 64L << 20)) {
                a.mkdir("/d");
                try (DaxFile f = a.open("/d/big", CREATE, WRITE)) {
                    write(f, 0, big);
                    f.fsync();
                }
                try (DaxFile f = a.open("/d/small", CREATE, WRITE)) {
                    write(f, 0, utf8("small"));
                    // no fsync: unmount makes it durable
                }
            }
            try (DaxFileSystem b = DaxFileSystem.mount(image)) {
                try (DaxFile f = b.open("/d/big")) {
                    assertArrayEquals(big, readAll(f));
                }
                try (DaxFile f = b.open("/d/small", APPEND)) {
                    write(f, 0, utf8("+more"));
                }
            }
            try (DaxFileSystem c = DaxFileSystem.mount(image); DaxFile f = c.open("/d/small")) {
                assertArrayEquals(utf8("small+more"), readAll(f));
            }
        }

        @Test
        void manyMountCyclesAccumulateChanges() throws Exception {
            Path image = dir.resolve("cycles.img");
            DaxFileSystem.format(image, 64L << 20).close();
            for (int i = 0; i < 5; i++) {
                try (DaxFileSystem m = DaxFileSystem.mount(image)) {
                    assertEquals(i, m.readdir("/").size());
                    try (DaxFile f = m.open("/f" + i, CREATE_NEW, WRITE)) {
                        write(f, 0, pattern(1000 * (i + 1), i));
                    }
                }
            }
            try (DaxFileSystem m = DaxFileSystem.mount(image)) {
                for (int i = 0; i < 5; i++) {
                    try (DaxFile f = m.open("/f" + i)) {
                        assertArrayEquals(pattern(1000 * (i + 1), i), readAll(f));
                    }
                }
            }
        }

        @Test
        void syncOnAReadOnlyMountIsANoOp() throws Exception {
            Path image = dir.resolve("ro.img");
            try (DaxFileSystem a = DaxFileSystem.format(image, 64L << 20)) {
                try (DaxFile f = a.open("/f", CREATE, WRITE)) {
                    write(f, 0, utf8("ro"));
                }
            }
            try (DaxFileSystem ro = DaxFileSystem.mount(image, MountOptions.DEFAULT.withReadOnly(true));
                 DaxFile f = ro.open("/f")) {
                assertDoesNotThrow(f::fsync);
                assertDoesNotThrow(f::fdatasync);
                assertDoesNotThrow(ro::sync);
                assertArrayEquals(utf8("ro"), readAll(f));
            }
        }
    }
}
