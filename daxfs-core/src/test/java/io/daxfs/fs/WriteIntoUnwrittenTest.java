package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxMapping;
import io.daxfs.api.Internals;
import io.daxfs.device.MemoryDevice;
import io.daxfs.types.DaxMapMode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicReference;

import static io.daxfs.fixture.FsFixture.pattern;
import static io.daxfs.fixture.FsFixture.read;
import static io.daxfs.fixture.FsFixture.write;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * write() into blocks that are not data yet (a hole, or unwritten blocks) against a DAX write
 * fault on the same block (docs/RACES.md R23). The interleaving is forced with {@link FsHooks}.
 */
class WriteIntoUnwrittenTest {
    private static final int BLOCK = 4096;
    private DaxFileSystem fs;

    @AfterEach
    void close() throws Exception {
        if (fs != null) {
            fs.close();
        }
    }

    @Test
    @Timeout(60)
    @DisplayName("R23: a write fault on a block that write() has filled but not yet marked written keeps write()'s bytes")
    void r23_aWriteFaultBetweenWritesCopyAndItsConversionDoesNotZeroTheBytesWritten() throws Exception {
        fs = Internals.mountWithoutCommitTimer(MemoryDevice.allocate(64L << 20));
        byte[] data = pattern(2000, 7);
        try (DaxFile f = fs.open("/f", CREATE, READ, WRITE);
             DaxMapping m = f.map(0, 4L * BLOCK, DaxMapMode.READ_WRITE)) {
            f.allocate(0, 4L * BLOCK, false); // unwritten blocks inside end of file: a fault may reach them
            AtomicReference<Thread> faulter = new AtomicReference<>();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Internals.volume(fs).hooks(new FsHooks() {
                @Override
                public void writeBytesPlaced(long ino) {
                    // The bytes are in the block, which is still unwritten: a mapped store to
                    // another byte of it now write-faults.
                    Thread t = new Thread(() -> {
                        try {
                            m.setByte(4000, (byte) 0x5A);
                        } catch (Throwable e) {
                            failed.set(e);
                        }
                    });
                    faulter.set(t);
                    t.start();
                    // Until the fault either finished (it did not wait for this write) or is
                    // parked waiting for a lock this thread holds.
                    while (t.isAlive() && t.getState() != Thread.State.WAITING) {
                        Thread.onSpinWait();
                    }
                }
            });
            write(f, 0, data);
            Internals.volume(fs).hooks(FsHooks.NONE);
            faulter.get().join();
            assertNull(failed.get(), () -> "the mapped store failed: " + failed.get());
            assertArrayEquals(data, read(f, 0, data.length), "write()'s bytes survive the fault");
            assertEquals(0x5A, read(f, 4000, 1)[0], "and so does the mapped store");
            assertEquals(0, read(f, 2000, 1)[0], "the rest of the block reads as zeros");
        }
    }
}
