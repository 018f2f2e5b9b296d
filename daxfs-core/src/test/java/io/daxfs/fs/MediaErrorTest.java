package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxMapping;
import io.daxfs.api.Internals;
import io.daxfs.media.Bitmap;
import io.daxfs.media.Geometry;
import io.daxfs.testutil.PoisonableDevice;
import io.daxfs.types.DaxException;
import io.daxfs.types.DaxFaultException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.daxfs.fixture.FsFixture.fails;
import static io.daxfs.fixture.FsFixture.pattern;
import static io.daxfs.fixture.FsFixture.read;
import static io.daxfs.fixture.FsFixture.readAll;
import static io.daxfs.fixture.FsFixture.write;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A media error (the device mapping faults: SIGBUS, reported by the JDK as an InternalError; or
 * a write-back fails) fails its operation with EIO and aborts the journal before anything half
 * done can be committed. Each test poisons, for real ({@link PoisonableDevice}), the device range
 * one kind of operation stores to or loads from, just before or in the middle of it, and checks:
 * the operation (or the commit that needs the range) fails with EIO and a one-line message
 * naming the media error; the volume is read-only afterwards (EROFS); once healed, unmount
 * reports that the image was not closed cleanly and writes nothing more to it; fsck finds the
 * image clean; and a remount shows the last committed state.
 *
 * <p>Which range each operation touches: namespace changes are made in memory and reach the
 * device only at commit (journal ring first, then the homes: inode table, directory blocks), but
 * they load inodes (inode table) and directories (directory blocks) they have not seen yet, and a
 * create reads the new inode's record at home to check it is free; data writes store into data
 * blocks, new ones from the free area; truncate zeroes the tail of the new last block; a write
 * fault zeroes its new block; fsync persists data, then writes the ring.
 */
@Timeout(120)
class MediaErrorTest {
    private static final int BLOCK = 4096;
    private static final long SIZE = 32L << 20;
    /** /d/f: four blocks, the last one partial. */
    private static final byte[] F = pattern(3 * BLOCK + 100, 1);
    private static final long G_SIZE = 1L << 20;

    @TempDir
    Path dir;
    private Path image;
    private PoisonableDevice dev;
    private DaxFileSystem fs;

    /** Formats, and commits the baseline: /d/f (data), /d/g (1 MiB, all hole), /keep. */
    @BeforeEach
    void baseline() throws Exception {
        image = dir.resolve("media.img");
        PoisonableDevice d = PoisonableDevice.create(image, SIZE);
        VolumeFormatter.format(d, FormatOptions.DEFAULT);
        mount(d);
        fs.mkdir("/d");
        fs.mkdir("/keep");
        try (DaxFile f = fs.open("/d/f", CREATE, WRITE)) {
            write(f, 0, F);
        }
        try (DaxFile g = fs.open("/d/g", CREATE, WRITE)) {
            g.truncate(G_SIZE);
        }
        fs.close();
        remount(); // nothing loaded but what mount loads
    }

    @AfterEach
    void cleanUp() {
        if (fs != null) {
            try {
                fs.close();
            } catch (DaxException ignored) {
                // a test failed before its own unmount
            }
        }
        if (dev != null) {
            dev.close();
        }
    }

    private void mount(PoisonableDevice d) throws DaxException {
        dev = d;
        fs = Internals.mount(d, MountOptions.DEFAULT.withCommitIntervalMs(0));
    }

    private void remount() throws Exception {
        mount(PoisonableDevice.open(image));
    }

    // ---------------------------------------------------------------- namespace changes

    @Test
    void createThatReadsAPoisonedInodeTableFailsInsideItsHandle() throws Exception {
        fs.stat("/d/f");
        fs.stat("/d/g");
        poisonInodeTable(); // every live inode is loaded: only the new inode's check reads it
        mediaError(() -> fs.open("/d/new", CREATE, WRITE).close(), "open");
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertFalse(again.exists("/d/new"));
            assertBaseline(again);
        }
    }

    @Test
    void mkdirThatReadsAPoisonedInodeTableFails() throws Exception {
        fs.stat("/d/f");
        fs.stat("/d/g");
        poisonInodeTable();
        mediaError(() -> fs.mkdir("/d/sub"), "mkdir");
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertFalse(again.exists("/d/sub"));
            assertBaseline(again);
        }
    }

    @Test
    void unlinkThatLoadsItsVictimFromAPoisonedInodeTableFails() throws Exception {
        fs.stat("/d");
        poisonInodeTable();
        mediaError(() -> fs.unlink("/d/f"), "unlink");
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertBaseline(again);
        }
    }

    @Test
    void renameInAPoisonedDirectoryBlockFails() throws Exception {
        fs.stat("/d");
        dev.poison(blockOf("/d", 0) * BLOCK, BLOCK);
        mediaError(() -> fs.rename("/d/f", "/d/h"), "rename");
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertFalse(again.exists("/d/h"));
            assertBaseline(again);
        }
    }

    @Test
    void aCommitWhoseHomeCopyFaultsFailsAfterItsCommitBlockAndTheTransactionSurvives() throws Exception {
        fs.rename("/d/f", "/d/h"); // /d's directory is loaded: its blocks are images in memory
        dev.poison(blockOf("/d", 0) * BLOCK, BLOCK);
        mediaError(() -> fs.sync(), "journal commit"); // the ring was written and sealed; copying home faulted
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertFalse(again.exists("/d/f"), "committed: replayed from the journal");
            try (DaxFile h = again.open("/d/h", READ)) {
                assertArrayEquals(F, readAll(h));
            }
        }
    }

    @Test
    void aCommitThatReadsAPoisonedInodeTableFailsBeforeItsCommitBlock() throws Exception {
        fs.chmod("/d/f", 0600);
        poisonInodeTable(); // an inode's block image is made over the block at home
        mediaError(() -> fs.sync(), "journal commit");
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertEquals(0644, again.stat("/d/f").mode() & 07777, "never committed");
            assertBaseline(again);
        }
    }

    // ---------------------------------------------------------------- file data

    @Test
    void aWriteThatAppendsIntoPoisonedNewBlocksFails() throws Exception {
        try (DaxFile f = fs.open("/d/f", WRITE)) {
            poisonFreeData();
            mediaError(() -> f.write(F.length, MemorySegment.ofArray(pattern(5 * BLOCK, 2))), "write");
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertBaseline(again);
        }
    }

    @Test
    void aWriteThatAllocatesInAHoleFails() throws Exception {
        try (DaxFile g = fs.open("/d/g", WRITE)) {
            poisonFreeData();
            mediaError(() -> g.write(512 << 10, MemorySegment.ofArray(pattern(2 * BLOCK + 7, 3))), "write");
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertBaseline(again);
        }
    }

    @Test
    void anOverwriteOfAPoisonedBlockFails() throws Exception {
        try (DaxFile f = fs.open("/d/f", WRITE)) {
            dev.poison(blockOf("/d/f", 1) * BLOCK, BLOCK);
            mediaError(() -> f.write(BLOCK + 10, MemorySegment.ofArray(pattern(100, 4))), "write");
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertEquals(F.length, again.stat("/d/f").size());
        }
    }

    @Test
    void aReadOfAPoisonedBlockFailsAndTurnsTheVolumeReadOnly() throws Exception {
        try (DaxFile f = fs.open("/d/f", READ)) {
            dev.poison(blockOf("/d/f", 2) * BLOCK, BLOCK);
            mediaError(() -> read(f, 0, F.length), "read");
            dev.heal();
            assertArrayEquals(F, readAll(f), "reads still work on the read-only volume");
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertBaseline(again);
        }
    }

    @Test
    void fallocateWritesNothingAndItsCommitFailsOnAPoisonedRing() throws Exception {
        try (DaxFile g = fs.open("/d/g", WRITE)) {
            poisonRing();
            g.allocate(0, 2 * G_SIZE, false); // unwritten blocks: no device store
            assertEquals(2 * G_SIZE, g.size());
            mediaError(g::fsync, "journal commit");
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertBaseline(again);
        }
    }

    @Test
    void truncateThatZeroesAPoisonedTailFails() throws Exception {
        try (DaxFile f = fs.open("/d/f", WRITE)) {
            dev.poison(blockOf("/d/f", 1) * BLOCK, BLOCK);
            mediaError(() -> f.truncate(BLOCK + 123), "truncate");
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertBaseline(again);
        }
    }

    // ---------------------------------------------------------------- durability calls

    @Test
    void fsyncWhoseRingIsPoisonedAfterItsDataPersistFails() throws Exception {
        try (DaxFile f = fs.open("/d/f", WRITE)) {
            write(f, F.length, pattern(3 * BLOCK, 5)); // new blocks, a new size
            dev.onNextPersist(this::poisonRing); // in the middle: the data is persisted, the ring not yet written
            mediaError(f::fsync, "journal commit");
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertBaseline(again); // the commit never sealed: the old size
        }
    }

    @Test
    void aWriteBackFailureOfSyncFails() throws Exception {
        try (DaxFile f = fs.open("/d/f", WRITE)) {
            write(f, 0, pattern(BLOCK, 6));
            long b = blockOf("/d/f", 0);
            dev.failPersists(b * BLOCK, BLOCK);
            DaxException e = mediaError(() -> fs.sync(), "sync");
            assertTrue(e.getMessage().contains("injected write-back failure"), e.getMessage());
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertEquals(F.length, again.stat("/d/f").size());
        }
    }

    @Test
    void anODsyncWriteWhoseCommitFaultsFails() throws Exception {
        try (DaxFile f = fs.open("/d/f", WRITE, java.nio.file.StandardOpenOption.DSYNC)) {
            poisonRing();
            mediaError(() -> f.write(F.length, MemorySegment.ofArray(pattern(BLOCK, 7))), "journal commit");
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertBaseline(again);
        }
    }

    // ---------------------------------------------------------------- mappings

    @Test
    void aMappedStoreWhoseWriteFaultZeroesAPoisonedNewBlockFails() throws Exception {
        try (DaxFile g = fs.open("/d/g", READ, WRITE); DaxMapping m = g.map(0, G_SIZE, DaxMapMode.READ_WRITE)) {
            poisonFreeData();
            DaxFaultException e = assertThrows(DaxFaultException.class, () -> m.setLong(8192, 42));
            assertMediaError(e.getCause(), "write fault");
            fails(Errno.EROFS, () -> fs.mkdir("/after"));
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertBaseline(again);
        }
    }

    @Test
    void aMappedStoreToAPoisonedPageFails() throws Exception {
        try (DaxFile f = fs.open("/d/f", READ, WRITE); DaxMapping m = f.map(0, 4 * BLOCK, DaxMapMode.READ_WRITE)) {
            m.setLong(BLOCK, 1); // the window is installed
            m.msync(0, 4 * BLOCK);
            dev.poison(blockOf("/d/f", 1) * BLOCK, BLOCK);
            DaxFaultException e = assertThrows(DaxFaultException.class, () -> m.setLong(BLOCK + 8, 2));
            assertMediaError(e.getCause(), "mapped access");
            fails(Errno.EROFS, () -> fs.mkdir("/after"));
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertEquals(F.length, again.stat("/d/f").size());
        }
    }

    // ---------------------------------------------------------------- unmount

    @Test
    void anUnmountWhoseCommitFaultsIsNotClean() throws Exception {
        fs.mkdir("/d/late");
        poisonRing();
        DaxException e = assertThrows(DaxException.class, fs::close);
        fs = null;
        assertMediaError(e, "journal commit");
        dev.heal();
        dev.close();
        dev = null;
        checkClean();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertFalse(again.exists("/d/late"));
            assertBaseline(again);
        }
    }

    @Test
    void theCommitTimerHittingAPoisonedRingAbortsTheJournal() throws Exception {
        fs.close();
        PoisonableDevice d = PoisonableDevice.open(image);
        dev = d;
        fs = Internals.mount(d, MountOptions.DEFAULT.withCommitIntervalMs(10));
        poisonRing();
        fs.mkdir("/d/late"); // dirty: the timer's next commit faults
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!volume().journal().isFailed() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        afterMediaError();
        try (DaxFileSystem again = DaxFileSystem.mount(image)) {
            assertFalse(again.exists("/d/late"));
            assertBaseline(again);
        }
    }

    // ---------------------------------------------------------------- not media errors

    @Test
    void theJvmsOwnErrorsAreNeverSwallowedButStillStopTheJournal() throws Exception {
        fs.close();
        PoisonableDevice d = PoisonableDevice.open(image);
        dev = d;
        fs = Internals.mount(d, MountOptions.DEFAULT.withCommitIntervalMs(0), new io.daxfs.dax.DaxHooks() {
            @Override
            public void faultLocked(io.daxfs.dax.EntryIndex index, long pageIndex, long entry) {
                throw new OutOfMemoryError("injected");
            }
        });
        try (DaxFile g = fs.open("/d/g", READ, WRITE); DaxMapping m = g.map(0, G_SIZE, DaxMapMode.READ_WRITE)) {
            OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> m.setLong(8192, 42));
            assertEquals("injected", e.getMessage(), "rethrown as it is, not turned into EIO");
        }
        assertTrue(volume().journal().isFailed(), "the fault may have been half done: nothing more is committed");
        fails(Errno.EROFS, () -> fs.mkdir("/after"));
        fails(Errno.EROFS, fs::close);
        fs = null;
        dev = null;
        checkClean();
    }

    // ---------------------------------------------------------------- helpers

    /** Runs {@code op}, which must fail with a one-line EIO naming a media error of {@code op}. */
    private DaxException mediaError(Executable op, String name) {
        DaxException e = fails(Errno.EIO, op);
        assertMediaError(e, name);
        return e;
    }

    private static void assertMediaError(DaxException e, String op) {
        String m = e.getMessage();
        assertEquals(Errno.EIO, e.errno(), m);
        assertTrue(m.startsWith("EIO: " + op + ": media error on poisonable image"), m);
        assertFalse(m.contains("\n"), m);
    }

    /**
     * The volume is read-only; healed, unmount says the image was not closed cleanly and writes
     * nothing to it; fsck finds it clean.
     */
    private void afterMediaError() throws Exception {
        assertTrue(Internals.volume(fs).journal().isFailed());
        DaxException ro = fails(Errno.EROFS, () -> fs.mkdir("/after"));
        assertTrue(ro.getMessage().contains("media error"), ro.getMessage());
        dev.heal();
        byte[] before = Files.readAllBytes(image);
        DaxException e = fails(Errno.EROFS, fs::close);
        fs = null;
        assertTrue(e.getMessage().contains("not closed cleanly"), e.getMessage());
        dev = null; // the unmount closed it
        assertTrue(Arrays.equals(before, Files.readAllBytes(image)), "unmount after the media error wrote to the image");
        checkClean();
    }

    private void checkClean() throws DaxException {
        FsckReport r = DaxFileSystem.fsck(image, false, ProgressListener.NONE);
        assertTrue(r.clean(), () -> "fsck: " + r.problems());
    }

    private static void assertBaseline(DaxFileSystem again) throws DaxException {
        try (DaxFile f = again.open("/d/f", READ)) {
            assertArrayEquals(F, readAll(f));
        }
        assertEquals(G_SIZE, again.stat("/d/g").size());
        assertEquals(0, again.stat("/d/g").blocks(), "/d/g is all hole");
        assertTrue(again.exists("/keep"));
        assertFalse(again.exists("/after"));
    }

    private Volume volume() {
        return Internals.volume(fs);
    }

    private Geometry geometry() {
        return volume().geometry();
    }

    /** The device block behind file block {@code fb} of {@code path}. */
    private long blockOf(String path, long fb) throws DaxException {
        Inode in = volume().lookup.resolve(path, true);
        return in.extents.find(fb).physicalOf(fb);
    }

    private void poisonInodeTable() {
        Geometry g = geometry();
        dev.poison(g.inodeTableStart() * BLOCK, g.inodeTableBlocks() * BLOCK);
    }

    private void poisonRing() {
        Geometry g = geometry();
        dev.poison(g.journalStart() * BLOCK, g.journalBlocks() * BLOCK);
    }

    /** Poisons every data block the home block bitmap shows free: wherever an allocation lands. */
    private void poisonFreeData() {
        Geometry g = geometry();
        MemorySegment s = dev.segment();
        List<long[]> runs = new ArrayList<>();
        long runStart = -1;
        for (long b = g.dataStart(); b <= g.totalBlocks(); b++) {
            boolean free = b < g.totalBlocks() && !Bitmap.get(
                    s.asSlice((g.blockBitmapStart() + b / Bitmap.BITS_PER_BLOCK) * BLOCK, BLOCK),
                    (int) (b % Bitmap.BITS_PER_BLOCK));
            if (free && runStart < 0) {
                runStart = b;
            } else if (!free && runStart >= 0) {
                runs.add(new long[] {runStart, b});
                runStart = -1;
            }
        }
        assertFalse(runs.isEmpty(), "free data blocks");
        for (long[] r : runs) {
            dev.poison(r[0] * BLOCK, (r[1] - r[0]) * BLOCK);
        }
    }
}
