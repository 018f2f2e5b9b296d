package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxMapping;
import io.daxfs.api.Internals;
import io.daxfs.device.MemoryDevice;
import io.daxfs.device.RecordingDevice;
import io.daxfs.journal.Journal;
import io.daxfs.testutil.FailingDevice;
import io.daxfs.testutil.RetainedDevice;
import io.daxfs.types.DaxException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.MountOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.daxfs.fixture.FsFixture.fails;
import static io.daxfs.fixture.FsFixture.pattern;
import static io.daxfs.fixture.FsFixture.read;
import static io.daxfs.fixture.FsFixture.write;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.DSYNC;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What each durability call commits: fsync and fdatasync wait for the transaction holding the
 * file's last change (fdatasync ignores a change of times only) and commit only when it is not
 * durable yet, so concurrent fsyncs share one commit; an O_DSYNC overwrite, an msync and a
 * synchronous fault over blocks already reachable after a crash commit nothing; a failure of the
 * commit timer aborts the journal instead of stopping it silently.
 */
class SyncCommitsTest {
    private static final int BLOCK = 4096;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private DaxFileSystem fs;

    @AfterEach
    void close() throws Exception {
        pool.shutdownNow();
        if (fs != null) {
            fs.close();
        }
    }

    private void memoryFs() throws DaxException {
        fs = Internals.mountWithoutCommitTimer(MemoryDevice.allocate(64L << 20));
    }

    private static <D extends io.daxfs.device.Device> D formatted(D device) throws DaxException {
        VolumeFormatter.format(device, FormatOptions.DEFAULT);
        return device;
    }

    private Journal journal() {
        return Internals.volume(fs).journal();
    }

    private long commits() {
        return journal().commitCount();
    }

    @Test
    void anFsyncWithNothingUncommittedCommitsNothing() throws Exception {
        memoryFs();
        try (DaxFile f = fs.open("/f", CREATE, READ, WRITE)) {
            write(f, 0, pattern(BLOCK, 1));
            f.fsync();
            long before = commits();
            f.fsync();
            f.fdatasync();
            assertEquals(before, commits());
        }
    }

    @Test
    void fdatasyncOfAnOverwriteCommitsNothingButFsyncCommitsItsTimes() throws Exception {
        memoryFs();
        try (DaxFile f = fs.open("/f", CREATE, READ, WRITE)) {
            write(f, 0, pattern(2 * BLOCK, 1));
            f.fsync();
            long before = commits();
            write(f, BLOCK, pattern(BLOCK, 2));
            f.fdatasync();
            assertEquals(before, commits(), "mtime alone is not needed to read the data back");
            f.fsync();
            assertEquals(before + 1, commits(), "fsync makes the new mtime durable");
        }
    }

    @Test
    void fdatasyncOfAnAppendCommitsTheNewSize() throws Exception {
        memoryFs();
        try (DaxFile f = fs.open("/f", CREATE, READ, WRITE)) {
            write(f, 0, pattern(BLOCK, 1));
            f.fsync();
            long before = commits();
            write(f, BLOCK, pattern(BLOCK, 2));
            f.fdatasync();
            assertEquals(before + 1, commits());
        }
    }

    @Test
    @Timeout(60)
    void concurrentFsyncsOfChangesInOneTransactionShareOneCommit() throws Exception {
        memoryFs();
        int n = 3;
        List<DaxFile> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            files.add(fs.open("/f" + i, CREATE, READ, WRITE));
        }
        fs.sync();
        // Each thread appends, then waits in its fsync (data persisted, commit not begun) until
        // all have appended: all three changes are in the running transaction, and one commit
        // carries them.
        CyclicBarrier allAppended = new CyclicBarrier(n);
        Internals.volume(fs).hooks(new FsHooks() {
            @Override
            public void fsyncDataPersisted(long ino) {
                try {
                    allAppended.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        });
        long before = commits();
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            DaxFile f = files.get(i);
            byte[] data = pattern(BLOCK, i);
            done.add(pool.submit(() -> {
                write(f, 0, data);
                f.fsync();
                return null;
            }));
        }
        for (Future<?> d : done) {
            d.get();
        }
        Internals.volume(fs).hooks(FsHooks.NONE);
        assertEquals(before + 1, commits(), "three fsyncs, one commit");
        for (DaxFile f : files) {
            f.close();
        }
    }

    @Test
    void anODsyncOverwriteIsDurableWithoutACommit() throws Exception {
        RecordingDevice dev = RecordingDevice.allocate(64L << 20);
        fs = Internals.mountWithoutCommitTimer(dev);
        try (DaxFile f = fs.open("/f", CREATE, READ, WRITE)) {
            write(f, 0, pattern(2 * BLOCK, 1));
            f.fsync();
        }
        long before = commits();
        byte[] over = pattern(BLOCK, 9);
        try (DaxFile f = fs.open("/f", READ, WRITE, DSYNC)) {
            write(f, 100, over);
        }
        assertEquals(before, commits(), "the size and the blocks were durable already");
        try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev);
             DaxFile g = crashed.open("/f")) {
            assertArrayEquals(over, read(g, 100, BLOCK));
        }
    }

    @Test
    void anODsyncAppendCommitsItsSize() throws Exception {
        RecordingDevice dev = RecordingDevice.allocate(64L << 20);
        fs = Internals.mountWithoutCommitTimer(dev);
        byte[] data = pattern(3 * BLOCK, 4);
        try (DaxFile f = fs.open("/f", CREATE, READ, WRITE, DSYNC)) {
            write(f, 0, data);
        }
        try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev);
             DaxFile g = crashed.open("/f")) {
            assertArrayEquals(data, read(g, 0, data.length));
        }
    }

    @Test
    void msyncOverBlocksAlreadyDurableCommitsNothing() throws Exception {
        RecordingDevice dev = RecordingDevice.allocate(64L << 20);
        fs = Internals.mountWithoutCommitTimer(dev);
        try (DaxFile f = fs.open("/f", CREATE, READ, WRITE)) {
            write(f, 0, pattern(4 * BLOCK, 3)); // written blocks: reachable after a crash once committed
            f.fsync();
            long before = commits();
            try (DaxMapping m = f.map(0, 4L * BLOCK, DaxMapMode.READ_WRITE)) {
                m.setLong(BLOCK, 0x1234_5678_9abc_def0L);
                m.msync(BLOCK, 8);
            }
            assertEquals(before, commits(), "the block's mapping was durable");
        }
        try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev);
             DaxFile g = crashed.open("/f");
             DaxMapping m = g.map(0, 4L * BLOCK, DaxMapMode.READ_ONLY)) {
            assertEquals(0x1234_5678_9abc_def0L, m.getLong(BLOCK), "msync made the store durable");
        }
    }

    @Test
    void aSynchronousWriteFaultCommitsOnlyForABlockNotYetDurable() throws Exception {
        memoryFs();
        try (DaxFile f = fs.open("/f", CREATE, READ, WRITE)) {
            write(f, 0, pattern(2 * BLOCK, 3));
            f.allocate(2L * BLOCK, BLOCK, false); // unwritten: the first store makes it data
            f.truncate(4L * BLOCK);
            f.fsync();
            try (DaxMapping m = f.map(0, 4L * BLOCK, DaxMapMode.READ_WRITE_SYNC)) {
                long before = commits();
                m.setLong(0, 1);
                assertEquals(before, commits(), "a store to a block whose mapping is durable needs no commit");
                m.setLong(3L * BLOCK, 2);
                assertEquals(before + 1, commits(), "a store to a hole allocates: that block's mapping is committed first");
                m.setLong(2L * BLOCK, 3);
                assertEquals(before + 2, commits(), "a store to an unwritten block makes it data: committed first");
                assertEquals(2, fs.stats().syncFaultCommits());
            }
        }
    }

    @Test
    @Timeout(60)
    void aFailureOfTheCommitTimerAbortsTheJournalAndTheVolumeTurnsReadOnly() throws Exception {
        RetainedDevice image = formatted(RetainedDevice.allocate(64L << 20));
        FailingDevice dev = new FailingDevice(image);
        fs = Internals.mount(dev, MountOptions.DEFAULT.withCommitIntervalMs(10));
        fs.mkdir("/committed");
        fs.sync();
        dev.failPersists(new UncheckedIOException(new java.io.IOException("injected write-back failure")));
        fs.mkdir("/lost"); // dirty: the timer's next commit hits the failure
        assertTrue(dev.failed.await(30, TimeUnit.SECONDS), "the timer committed");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!journal().isFailed() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(journal().isFailed(), "the journal is aborted, not left running with a dead timer");
        fails(Errno.EROFS, () -> fs.mkdir("/after"));
        dev.heal();
        try {
            fs.close();
        } catch (DaxException e) {
            assertEquals(Errno.EROFS, e.errno());
        }
        fs = null;
        assertTrue(Internals.fsck(image, false, io.daxfs.types.ProgressListener.NONE).clean(), "the last committed state is consistent");
        try (DaxFileSystem again = Internals.mount(RetainedDevice.view(image), MountOptions.DEFAULT)) {
            assertTrue(again.exists("/committed"));
        }
    }
}
