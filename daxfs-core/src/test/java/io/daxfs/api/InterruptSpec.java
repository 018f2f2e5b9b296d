package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import org.junit.jupiter.api.Test;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A caller whose thread is interrupted (what a FUSE INTERRUPT turns into) stops a large
 * allocation between two of its steps with EINTR: what was allocated stays, the file system is
 * consistent, and the interrupt status is left for the caller, not cleared.
 */
class InterruptSpec extends FsSpec {
    @Override
    protected long deviceSize() {
        return 384L << 20; // room for two allocation steps of 128 MiB
    }

    @Test
    void anInterruptedAllocationStopsBetweenStepsWithEintrAndKeepsWhatItAllocated() throws Exception {
        try (DaxFile f = fs.open("/f", CREATE, READ, WRITE)) {
            Thread.currentThread().interrupt();
            DaxException e;
            try {
                e = fails(Errno.EINTR, () -> f.allocate(0, 256L << 20, true));
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt status is the caller's to clear");
            }
            assertTrue(e.getMessage().contains("interrupted after"), e.getMessage());
            long blocks = f.stat().blocks() / SECTORS_PER_BLOCK;
            assertTrue(blocks > 0 && blocks < 65536, "one step's blocks stay: " + blocks);
            assertEquals(0, f.size(), "KEEP_SIZE");
            f.allocate(0, 256L << 20, true); // not interrupted: runs to the end
            assertEquals(65536, f.stat().blocks() / SECTORS_PER_BLOCK);
        }
    }
}
