package io.daxfs.model;

import io.daxfs.api.Internals;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.MountOptions;
import io.daxfs.fs.Iomap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness can fail: damage done behind the runner's back is reported, with what replays it. */
class FsxSelfTest {
    private static final int B = FileModel.BLOCK;
    private FsxTarget target;
    private FsxRunner runner;

    @BeforeEach
    void start() throws Exception {
        target = FsxTarget.memory(64L << 20, MountOptions.DEFAULT.withCommitIntervalMs(0));
        runner = new FsxRunner(FsxConfig.standard().withMaxFileSize(4L << 20).withRemountEvery(0), 77, target.format(), target);
        runner.setup();
        runner.run(500);
        runner.verifyAll("before the damage");
    }

    @AfterEach
    void stop() throws Exception {
        runner.close();
        runner.fileSystem().close();
        target.close();
    }

    /**
     * A file block below EOF that the model says is allocated and that holds written data (not
     * unwritten blocks, which read as zeros whatever the device holds).
     */
    private long allocatedBlock(int slot) {
        FileModel m = runner.model(slot);
        DaxFile file = runner.file(slot);
        for (long b = 0; b < m.size() / B; b++) {
            if (m.isAllocated(b) && Internals.volume(runner.fileSystem()).fileBlocks()
                    .lookup(Internals.openFile(file).inode(), b, 1).state() == Iomap.State.MAPPED) {
                return b;
            }
        }
        DaxFile f = runner.file(slot);
        try {
            f.write(0, new byte[]{1}, 0, 1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("slot " + slot + " has no allocated block below EOF: " + m);
    }

    @Test
    void aFlippedByteOnTheDeviceIsReported() throws Exception {
        int slot = 0;
        long b = allocatedBlock(slot);
        DaxFileSystem fs = runner.fileSystem();
        DaxFile f = runner.file(slot);
        Iomap iomap = Internals.volume(fs).fileBlocks().lookup(Internals.openFile(f).inode(), b, 1);
        long at = (iomap.deviceBlock() << 12) + 123;
        byte old = Internals.device(fs).segment().get(ValueLayout.JAVA_BYTE, at);
        Internals.device(fs).segment().set(ValueLayout.JAVA_BYTE, at, (byte) ~old);
        FsxFailure e = assertThrows(FsxFailure.class, () -> runner.verifyAll("after the damage"));
        assertEquals(77, e.seed());
        assertTrue(e.getMessage().contains("first wrong byte at " + (b * B + 123)), e.getMessage());
        assertTrue(e.getMessage().contains("replay: -Ddaxfs.fsx.seed=77"), e.getMessage());
        assertTrue(e.getMessage().contains("last operations:"), e.getMessage());
    }

    @Test
    void aSizeChangedBehindTheModelsBackIsReported() throws Exception {
        DaxFile f = runner.file(1);
        f.truncate(f.size() + 1);
        FsxFailure e = assertThrows(FsxFailure.class, () -> runner.verifyAll("after the damage"));
        assertTrue(e.getMessage().contains("size"), e.getMessage());
    }

    @Test
    void aBlockAllocatedBehindTheModelsBackIsReported() throws Exception {
        int slot = 2;
        DaxFile f = runner.file(slot);
        FileModel m = runner.model(slot);
        if (m.size() + 64L * B > m.capacity()) { // make room: 64 blocks of holes must fit below the capacity
            f.truncate(m.capacity() - 64L * B);
            m.truncate(m.capacity() - 64L * B);
        }
        f.truncate(m.size() + 64L * B);
        m.truncate(m.size() + 64L * B);
        long hole = -1;
        for (long b = 0; b < m.size() / B && hole < 0; b++) {
            hole = m.isAllocated(b) ? -1 : b;
        }
        assertTrue(hole >= 0, "no hole in " + m);
        f.allocate(hole * B, B, true); // reads as zeros, like the hole it was: only the block map differs
        FsxFailure e = assertThrows(FsxFailure.class, () -> runner.verifyAll("after the damage"));
        assertTrue(e.getMessage().contains("block " + hole + " is allocated"), e.getMessage());
    }

    /** A hang becomes a failure that shows where every thread is stuck, and who holds the lock. */
    @Test
    void aHangIsReportedWithEveryThreadsStack() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        lock.lock();
        try {
            Watchdog.Hang h = assertThrows(Watchdog.Hang.class, () -> Watchdog.run("hang-test", Duration.ofMillis(500),
                    () -> 0, () -> { }, List.of(() -> {
                        lock.lock();
                        lock.unlock();
                    })));
            assertTrue(h.getMessage().contains("\"hang-test-0\""), h.getMessage());
            assertTrue(h.getMessage().contains("owned by \"" + Thread.currentThread().getName() + "\""), h.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** The same seed gives the same run (what makes a printed seed worth having). */
    @Test
    void aSeedReplaysExactly() throws Exception {
        for (FsxConfig cfg : new FsxConfig[]{FsxConfig.standard(), FsxConfig.smallFileSystem()}) {
            long size = cfg.enospc() ? 12L << 20 : 256L << 20;
            String a = FsxRunner.runSeed(cfg, 5, 4000, FsxTarget.memory(size, MountOptions.DEFAULT.withCommitIntervalMs(0)),
                    Duration.ofSeconds(60)).toString();
            String b = FsxRunner.runSeed(cfg, 5, 4000, FsxTarget.memory(size, MountOptions.DEFAULT.withCommitIntervalMs(0)),
                    Duration.ofSeconds(60)).toString();
            assertEquals(a, b);
        }
    }
}
