package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.Internals;
import io.daxfs.device.MemoryDevice;
import io.daxfs.device.RecordingDevice;
import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.MountOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Power failure: what the file system promised is on the medium when the power goes, and a
 * mount of what is there finds it. A {@link RecordingDevice} keeps the durable image (what a
 * power failure now would leave: every store not yet persisted lost); a copy of the live image
 * after a sync stands for a crash at which everything had been written back. The API cannot
 * reach a device, so these are white-box tests; the API specifications check the same promises
 * across a clean unmount and mount.
 */
class PowerFailureTest extends VolumeFixture {
    /** From SyncSpec: what fsync, fdatasync, sync and the commit timer make durable. */
    @Nested
    class Sync {
        /** A file system on a device that records what is durable. */
        private RecordingDevice formatRecording() throws DaxException {
            fs.close();
            RecordingDevice dev = RecordingDevice.allocate(64L << 20);
            fs = Internals.format(dev, FormatOptions.DEFAULT);
            return dev;
        }

        @Test
        void fsyncMakesTheFilesDataAndSizeDurable() throws Exception {
            RecordingDevice dev = formatRecording();
            byte[] data = pattern(3 << 20, 2);
            try (DaxFile f = fs.open("/f", CREATE, WRITE)) {
                write(f, 100, data);
                f.fsync();
                try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev); DaxFile g = crashed.open("/f")) {
                    assertEquals(100 + data.length, g.size());
                    assertArrayEquals(new byte[100], read(g, 0, 100));
                    assertArrayEquals(data, read(g, 100, data.length));
                }
            }
        }

        /** sync covers every file's data, what was stored through a mapping included (fsync does per file). */
        @Test
        void syncMakesStoresThroughMappingsDurable() throws Exception {
            RecordingDevice dev = formatRecording();
            try (DaxFile f = fs.open("/f", CREATE, READ, WRITE)) {
                f.truncate(8 << 12);
                f.fsync(); // the file and its size are durable; its blocks come from the faults below
                try (io.daxfs.api.DaxMapping m = f.map(0, 8 << 12, io.daxfs.types.DaxMapMode.READ_WRITE)) {
                    m.setLong(3 << 12, 0x5EED5EED5EEDL);
                    f.fsync(); // the fault's block is reachable; its zeroes and this store are flushed
                    m.setLong(3 << 12, 0x0DDBA11L); // a store on a clean page: dirty again, not flushed
                    fs.sync();
                }
                try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev); DaxFile g = crashed.open("/f")) {
                    assertEquals(0x0DDBA11L, MemorySegment.ofArray(read(g, 3 << 12, 8))
                            .get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0), "the store after the fsync");
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
                try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev)) {
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
            try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev); DaxFile g = crashed.open("/f")) {
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
            try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev); DaxFile g = crashed.open("/f")) {
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
            try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev)) {
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
                try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev)) {
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
            try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev); DaxFile g = crashed.open("/other")) {
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
            try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev)) {
                assertFalse(crashed.exists("/not-synced"), "interval 0: nothing is committed before a sync");
                assertEquals(List.of(), crashed.readdir("/"));
            }
            fs.sync();
            try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev)) {
                assertTrue(crashed.exists("/not-synced"));
            }
        }
    }

    /** From UnlinkSpec: unlinked files still open at a crash are freed by the next mount. */
    @Nested
    class Orphans {
        long baseBlocks;
        long baseInodes;

        @BeforeEach
        void baseline() throws Exception {
            // The root directory gets its first block with its first entry; it keeps it afterwards.
            fs.open("/placeholder", CREATE_NEW, WRITE).close();
            checkpoint();
            baseBlocks = freeBlocks();
            baseInodes = freeInodes();
        }

        void assertAllSpaceFree() throws DaxException {
            checkpoint();
            assertEquals(baseBlocks, freeBlocks(), "free blocks back to the baseline");
            assertEquals(baseInodes, freeInodes(), "free inodes back to the baseline");
        }

        @Test
        void aCrashWhileAnUnlinkedFileIsOpenLeaksNothing() throws Exception {
            DaxFile f = fs.open("/f", CREATE, WRITE);
            write(f, 0, pattern(1 << 20, 6));
            fs.unlink("/f");
            fs.sync(); // the unlink is durable, the file still open: it is an orphan
            MemorySegment crashed = MemorySegment.ofArray(new byte[(int) Internals.device(fs).size()]);
            MemorySegment.copy(Internals.device(fs).segment(), 0, crashed, 0, crashed.byteSize());
            f.close();
            try (DaxFileSystem after = Internals.mount(MemoryDevice.copyOf(crashed), MountOptions.DEFAULT)) {
                assertEquals(baseBlocks, after.statfs().freeBlocks(), "mount frees the orphan's blocks");
                assertEquals(baseInodes, after.statfs().freeInodes(), "and its inode");
                assertEquals(1, after.readdir("/").size());
            }
        }

        @Test
        void severalOrphansClosedInAnyOrderLeakNothingAfterACrash() throws Exception {
            List<DaxFile> open = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                DaxFile f = fs.open("/o" + i, CREATE_NEW, WRITE);
                write(f, 0, pattern(50_000 * (i + 1), i));
                open.add(f);
                fs.unlink("/o" + i);
            }
            // Close from the middle, the end and the start of the orphan list.
            open.remove(2).close();
            open.remove(3).close();
            open.remove(0).close();
            MemorySegment crashed = crashCopy();
            for (DaxFile f : open) {
                assertEquals(0, f.stat().nlink());
                f.close();
            }
            assertAllSpaceFree();
            try (DaxFileSystem after = Internals.mount(MemoryDevice.copyOf(crashed), MountOptions.DEFAULT)) {
                assertEquals(baseBlocks, after.statfs().freeBlocks());
                assertEquals(baseInodes, after.statfs().freeInodes());
                // A second crash-mount cycle finds a clean orphan list.
                after.sync();
            }
        }

        @Test
        void aFileReplacedByRenameWhileOpenIsAnOrphanToo() throws Exception {
            writeFile("/victim", pattern(300_000, 9));
            writeFile("/winner", utf8("w"));
            long winnerBlocks = 1;
            try (DaxFile f = fs.open("/victim", READ)) {
                fs.rename("/winner", "/victim");
                MemorySegment crashed = crashCopy();
                assertArrayEquals(pattern(300_000, 9), readAll(f));
                try (DaxFileSystem after = Internals.mount(MemoryDevice.copyOf(crashed), MountOptions.DEFAULT)) {
                    assertEquals(baseBlocks - winnerBlocks, after.statfs().freeBlocks());
                    assertEquals(baseInodes - 1, after.statfs().freeInodes());
                }
            }
            checkpoint();
            assertEquals(baseBlocks - winnerBlocks, freeBlocks());
        }
    }
}
