package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.Internals;
import io.daxfs.device.RecordingDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.daxfs.fixture.FsFixture.pattern;
import static io.daxfs.fixture.FsFixture.read;
import static io.daxfs.fixture.FsFixture.write;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Ordered data: the data of exactly the files whose metadata a transaction commits is durable
 * before its commit block, whatever a writer does while the commit runs (docs/RACES.md R22).
 * The interleavings are forced with {@link FsHooks}; what a power failure would leave comes
 * from a {@link RecordingDevice}.
 */
class OrderedDataTest {
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

    private RecordingDevice mountRecording() throws Exception {
        RecordingDevice dev = RecordingDevice.allocate(64L << 20);
        fs = Internals.mountWithoutCommitTimer(dev);
        return dev;
    }

    @Test
    @Timeout(60)
    @DisplayName("R22: an append that lands between fsync's data persist and its commit is committed only with its data")
    void r22_anAppendBetweenFsyncsDataPersistAndItsCommitIsNeverCommittedWithoutItsData() throws Exception {
        RecordingDevice dev = mountRecording();
        byte[] first = pattern(BLOCK, 1);
        byte[] second = pattern(BLOCK, 2);
        try (DaxFile f = fs.open("/f", CREATE, READ, WRITE)) {
            // Blocks already allocated and committed: the append below allocates nothing, so no
            // zeroing of new blocks happens to persist its data by accident.
            f.allocate(0, 2L * BLOCK, true);
            f.fsync();
            write(f, 0, first);
            CountDownLatch appended = new CountDownLatch(1);
            Internals.volume(fs).hooks(new FsHooks() {
                @Override
                public void fsyncDataPersisted(long ino) {
                    // Another writer grows the file now: after this fsync persisted the file's data,
                    // before its commit collects the new size.
                    Future<?> w = pool.submit(() -> {
                        write(f, BLOCK, second);
                        return null;
                    });
                    try {
                        w.get();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    appended.countDown();
                }
            });
            f.fsync();
            assertEquals(0, appended.getCount(), "the hook ran");
            Internals.volume(fs).hooks(FsHooks.NONE);
            try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(dev); DaxFile g = crashed.open("/f")) {
                long size = g.size();
                assertArrayEquals(first, read(g, 0, BLOCK), "the fsynced block");
                if (size == 2L * BLOCK) {
                    assertArrayEquals(second, read(g, BLOCK, BLOCK),
                            "a size that covers the appended block was committed: so must its data be");
                } else {
                    assertEquals(BLOCK, size, "either the append's size is committed or not at all");
                }
            }
        }
    }
}
