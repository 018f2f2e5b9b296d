package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.Internals;
import io.daxfs.device.MemoryDevice;
import io.daxfs.device.RecordingDevice;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.daxfs.fixture.FsFixture.pattern;
import static io.daxfs.fixture.FsFixture.write;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Freeing a huge block map in bounded steps: a truncate frees its tail in short handles with the
 * file on the orphan list, and a huge file that loses its last name is freed after the unlink has
 * let go of its locks; a crash between steps leaves work that mount finishes, never a leak. The
 * files here are "huge" by extent count (more than one step's worth of extents), which costs
 * little memory.
 */
class SteppedFreeTest {
    private static final int BLOCK = 4096;
    /** More extents than one step frees. */
    private static final int EXTENTS = Reaper.STEP_EXTENTS * 2 + 17;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private DaxFileSystem fs;

    @AfterEach
    void close() throws Exception {
        pool.shutdownNow();
        if (fs != null) {
            fs.close();
        }
    }

    private RecordingDevice mountRecording() throws Exception {
        RecordingDevice dev = RecordingDevice.allocate(64L << 20);
        fs = Internals.mountWithoutCommitTimer(dev);
        return dev;
    }

    /** A file of {@link #EXTENTS} one-block extents (every other block written). */
    private void fragmentedFile(String path) throws Exception {
        try (DaxFile f = fs.open(path, CREATE, READ, WRITE)) {
            for (int i = 0; i < EXTENTS; i++) {
                write(f, 2L * i * BLOCK, pattern(BLOCK, i));
            }
            f.fsync();
        }
    }

    /** Mounts a crash image: fsck finds it consistent before and after mount finishes the work. */
    private static DaxFileSystem mountCrashImage(MemorySegment image) throws Exception {
        try (MemoryDevice copy = MemoryDevice.copyOf(image)) {
            assertTrue(Internals.fsck(copy, false, ProgressListener.NONE).clean(), "the crash image is consistent as it is");
        }
        return Internals.mount(MemoryDevice.copyOf(image), MountOptions.DEFAULT);
    }

    @Test
    @Timeout(120)
    void aTruncateFreesItsTailInStepsAndMountFinishesOneACrashCutShort() throws Exception {
        RecordingDevice dev = mountRecording();
        fs.open("/placeholder", CREATE, WRITE).close();
        fs.sync();
        long base = fs.statfs().freeBlocks();
        fragmentedFile("/f");
        int[] steps = {0};
        MemorySegment[] crash = {null};
        Internals.volume(fs).hooks(new FsHooks() {
            @Override
            public void freeStepDone(long ino) {
                if (steps[0]++ == 0) {
                    try {
                        Internals.volume(fs).journal().commit(); // the new size and the orphan entry are durable
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    crash[0] = MemorySegment.ofArray(dev.durableImage().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                }
            }
        });
        try (DaxFile f = fs.open("/f", READ, WRITE)) {
            f.truncate(BLOCK);
            assertEquals(BLOCK, f.size());
            assertEquals(8, f.stat().blocks(), "one block left");
        }
        Internals.volume(fs).hooks(FsHooks.NONE);
        assertTrue(steps[0] >= 3, "freed in " + steps[0] + " steps");
        assertEquals(base - 1, fs.statfs().freeBlocks());

        try (DaxFileSystem crashed = mountCrashImage(crash[0])) {
            assertEquals(BLOCK, crashed.stat("/f").size(), "the size was committed before the first step");
            assertEquals(8, crashed.stat("/f").blocks(), "mount freed what the crash left past the size");
            assertEquals(base - 1, crashed.statfs().freeBlocks(), "nothing leaked");
        }
    }

    @Test
    @Timeout(120)
    void aHugeFileIsFreedAfterUnlinkLetGoOfItsLocksAndMountFinishesOneACrashCutShort() throws Exception {
        RecordingDevice dev = mountRecording();
        fs.mkdir("/d");
        fs.open("/d/placeholder", CREATE, WRITE).close();
        fs.sync();
        long base = fs.statfs().freeBlocks();
        fragmentedFile("/d/huge");
        int[] steps = {0};
        MemorySegment[] crash = {null};
        Internals.volume(fs).hooks(new FsHooks() {
            @Override
            public void freeStepDone(long ino) {
                if (steps[0]++ == 0) {
                    try {
                        // Another thread creates in the same directory and commits: neither the
                        // directory lock nor the journal is held while the file is freed.
                        pool.submit(() -> {
                            fs.open("/d/other", CREATE, WRITE).close();
                            fs.sync();
                            return null;
                        }).get(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new AssertionError("a create in the same directory waited for the free", e);
                    }
                    crash[0] = MemorySegment.ofArray(dev.durableImage().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                }
            }
        });
        fs.unlink("/d/huge");
        Internals.volume(fs).hooks(FsHooks.NONE);
        assertTrue(steps[0] >= 3, "freed in " + steps[0] + " steps");
        assertEquals(base, fs.statfs().freeBlocks(), "all of its space is free when unlink returns");

        try (DaxFileSystem crashed = mountCrashImage(crash[0])) {
            assertTrue(crashed.exists("/d/other"));
            assertTrue(!crashed.exists("/d/huge"));
            assertEquals(base, crashed.statfs().freeBlocks(), "mount freed the rest: nothing leaked");
        }
    }

    /** A file system on a memory device that frees huge files on its background thread. */
    private io.daxfs.testutil.RetainedDevice mountFreeingInBackground() throws Exception {
        io.daxfs.testutil.RetainedDevice dev = io.daxfs.testutil.RetainedDevice.allocate(64L << 20);
        Internals.format(dev, io.daxfs.types.FormatOptions.DEFAULT).close();
        fs = Internals.mount(dev, MountOptions.DEFAULT.withCommitIntervalMs(0).withFreeInBackground(true));
        return dev;
    }

    @Test
    @Timeout(120)
    void inTheBackgroundTheUnlinkReturnsBeforeTheFreeAndTheSpaceComesBackAfter() throws Exception {
        mountFreeingInBackground();
        fs.open("/placeholder", CREATE, WRITE).close();
        fs.sync();
        long base = fs.statfs().freeBlocks();
        fragmentedFile("/huge");
        java.util.concurrent.CountDownLatch inFirstStep = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread[] freer = {null};
        Internals.volume(fs).hooks(new FsHooks() {
            @Override
            public void freeStepDone(long ino) {
                if (inFirstStep.getCount() > 0) {
                    freer[0] = Thread.currentThread();
                    inFirstStep.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        fs.unlink("/huge"); // returns while the free is held at its first step
        inFirstStep.await();
        assertTrue(freer[0] != Thread.currentThread() && freer[0].getName().equals("daxfs-free"), "freed by " + freer[0]);
        assertEquals(false, fs.exists("/huge"));
        assertTrue(fs.statfs().freeBlocks() < base, "not all freed yet");
        release.countDown();
        awaitFreeBlocks(base);
        assertEquals(base, fs.statfs().freeBlocks(), "all freed in the background");
    }

    @Test
    @Timeout(120)
    void unmountStopsTheBackgroundFreeBetweenStepsAndMountFinishesIt() throws Exception {
        io.daxfs.testutil.RetainedDevice dev = mountFreeingInBackground();
        long base = leaveHugeOrphanThroughUnmount();
        assertTrue(Internals.fsck(dev, false, ProgressListener.NONE).clean(), "the unfinished free is on the orphan list");
        fs = Internals.mount(dev, MountOptions.DEFAULT);
        assertEquals(base, fs.statfs().freeBlocks(), "mount finished the free");
    }

    @Test
    @Timeout(120)
    void aMountThatFreesInTheBackgroundLeavesAHugeOrphanToItsThread() throws Exception {
        io.daxfs.testutil.RetainedDevice dev = mountFreeingInBackground();
        long base = leaveHugeOrphanThroughUnmount();
        fs = Internals.mount(dev, MountOptions.DEFAULT.withCommitIntervalMs(0).withFreeInBackground(true));
        awaitFreeBlocks(base);
        assertEquals(base, fs.statfs().freeBlocks(), "the background thread freed what the last unmount left");
        fs.close();
        fs = null;
        assertTrue(Internals.fsck(dev, false, ProgressListener.NONE).clean());
    }

    /** Holds the background free after its first step until unmount interrupts it; counts down once there. */
    private java.util.concurrent.CountDownLatch holdFirstStepUntilUnmount() {
        java.util.concurrent.CountDownLatch inFirstStep = new java.util.concurrent.CountDownLatch(1);
        Internals.volume(fs).hooks(new FsHooks() {
            @Override
            public void freeStepDone(long ino) {
                if (inFirstStep.getCount() > 0) {
                    inFirstStep.countDown();
                    try {
                        new java.util.concurrent.CountDownLatch(1).await(); // until unmount interrupts
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        return inFirstStep;
    }

    /**
     * Unlinks a huge file on the background-freeing mount, lets its free take one step and
     * unmounts: the file is left on the orphan list. Returns the free block count from before the
     * file was written; {@link #fs} is null afterwards.
     */
    private long leaveHugeOrphanThroughUnmount() throws Exception {
        fs.open("/placeholder", CREATE, WRITE).close();
        fs.sync();
        long base = fs.statfs().freeBlocks();
        fragmentedFile("/huge");
        java.util.concurrent.CountDownLatch inFirstStep = holdFirstStepUntilUnmount();
        fs.unlink("/huge");
        inFirstStep.await();
        fs.close(); // stops the free after its first step
        fs = null;
        return base;
    }

    /** Waits, syncing (freed blocks count once their transactions commit), until {@code base} blocks are free again; at most a minute. */
    private void awaitFreeBlocks(long base) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (fs.statfs().freeBlocks() != base && System.nanoTime() < deadline) {
            fs.sync();
            Thread.onSpinWait();
        }
    }
}
