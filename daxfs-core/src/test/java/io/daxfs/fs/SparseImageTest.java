package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.Internals;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.ProgressListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.daxfs.fixture.FsFixture.pattern;
import static io.daxfs.fixture.FsFixture.readAll;
import static io.daxfs.fixture.FsFixture.write;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sparse image gives the blocks the file system frees back to its host (hole punching, in the
 * background, before the blocks are reused); a preallocated image keeps its reservation.
 */
class SparseImageTest {
    private static final long MIB = 1L << 20;

    /** What the host holds of {@code file} (st_blocks; the JDK does not report it). */
    static long hostBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String[] out = new String(p.getInputStream().readAllBytes()).trim().split(" ");
        p.waitFor();
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }

    private static void releaseFreedBlocks(DaxFileSystem fs) throws Exception {
        fs.sync();
        Internals.volume(fs).reclaimFreedSpace(); // checkpoint, and wait for the punches
    }

    @Test
    void aSparseImageShrinksOnTheHostWhenFilesAreDeletedAndReusesThePunchedBlocksSafely(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("sparse.img");
        try (DaxFileSystem fs = DaxFileSystem.format(image, 256 * MIB, FormatOptions.DEFAULT.withSparse(true))) {
            byte[] data = pattern((int) (64 * MIB), 1);
            try (DaxFile f = fs.open("/a", CREATE, WRITE)) {
                write(f, 0, data);
            }
            fs.sync();
            long full = hostBytes(image);
            fs.unlink("/a");
            releaseFreedBlocks(fs);
            long after = hostBytes(image);
            assertTrue(full - after >= 60 * MIB, "the host got the file's space back: " + (full >> 20) + " MiB -> "
                    + (after >> 20) + " MiB");
            // The punched blocks are reused and hold new data.
            byte[] again = pattern((int) (64 * MIB), 2);
            try (DaxFile f = fs.open("/b", CREATE, READ, WRITE)) {
                write(f, 0, again);
                assertArrayEquals(again, readAll(f));
            }
        }
        try (DaxFileSystem fs = DaxFileSystem.mount(image); DaxFile f = fs.open("/b")) {
            assertArrayEquals(pattern((int) (64 * MIB), 2), readAll(f));
        }
        assertTrue(DaxFileSystem.fsck(image, false, ProgressListener.NONE).clean());
    }

    @Test
    void aPreallocatedImageKeepsItsReservation(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("full.img");
        try (DaxFileSystem fs = DaxFileSystem.format(image, 128 * MIB)) {
            long before = hostBytes(image);
            try (DaxFile f = fs.open("/a", CREATE, WRITE)) {
                write(f, 0, pattern((int) (32 * MIB), 1));
            }
            fs.unlink("/a");
            releaseFreedBlocks(fs);
            assertTrue(hostBytes(image) >= before, "nothing was given back");
        }
    }
}
