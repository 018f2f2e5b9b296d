package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.Internals;
import io.daxfs.device.ImageFileDevice;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 16 TiB file system on a sparse image: a 4 TiB file is allocated, truncated, allocated again
 * and deleted, each in bounded journal handles (no EIO, no read-only volume), writing no data
 * block (the image stays sparse), and fsck finds the image clean afterwards.
 */
class HugeGeometryTest {
    private static final long TIB = 1L << 40;

    @Test
    @Timeout(600)
    void aFourTebibyteFileOnASixteenTebibyteImageIsAllocatedTruncatedAndDeletedCleanly(@TempDir Path dir) throws Exception {
        // tmpfs takes a file of 16 TiB; ext4 stops just short of it, so elsewhere 16 TiB - 1 GiB.
        Path shm = Path.of("/dev/shm");
        boolean onShm = Files.isDirectory(shm) && Files.isWritable(shm);
        Path image = onShm ? Files.createTempFile(shm, "daxfs-huge-", ".img") : dir.resolve("huge.img");
        long size = onShm ? 16 * TIB : 16 * TIB - (1L << 30);
        try {
            run(image, size);
        } finally {
            Files.deleteIfExists(image);
        }
    }

    /** What the host really holds of {@code file} (st_blocks; the JDK does not report it). */
    private static long hostBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String[] out = new String(p.getInputStream().readAllBytes()).trim().split(" ");
        assertEquals(0, p.waitFor(), String.join(" ", out));
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }

    private static void run(Path image, long size) throws Exception {
        FormatOptions options = FormatOptions.DEFAULT.withInodes(1 << 16);
        long t0 = System.nanoTime();
        try (DaxFileSystem fs = Internals.format(ImageFileDevice.create(image, size, true), options)) {
            fs.open("/big", CREATE, WRITE).close(); // the root directory gets its first block
            long free0 = fs.statfs().freeBlocks();
            try (DaxFile f = fs.open("/big", READ, WRITE)) {
                f.allocate(0, 4 * TIB, false);
                assertEquals(4 * TIB, f.size());
                assertEquals(4 * TIB / 512, f.stat().blocks());
                assertEquals(free0 - 4 * TIB / 4096, fs.statfs().freeBlocks());
                f.truncate(0);
                assertEquals(0, f.stat().blocks());
                f.allocate(0, 4 * TIB, true);
                assertEquals(0, f.size());
                assertEquals(4 * TIB / 512, f.stat().blocks());
                byte[] hello = "hello".getBytes();
                f.write(3 * TIB, hello, 0, hello.length);
                byte[] back = new byte[5];
                f.read(3 * TIB, back, 0, 5);
                assertEquals("hello", new String(back));
            }
            fs.unlink("/big");
            assertFalse(fs.isReadOnly());
            assertEquals(free0, fs.statfs().freeBlocks(), "all 4 TiB back");
            fs.sync();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long allocated = hostBytes(image);
        assertTrue(allocated < (2L << 30), "the image stays sparse: " + allocated + " bytes allocated on the host");
        FsckReport r = DaxFileSystem.fsck(image, false, ProgressListener.NONE);
        assertTrue(r.clean(), () -> String.join("\n", r.problems()));
        System.out.printf("16 TiB image: 4 TiB allocated, truncated, allocated, deleted in %.1f s; %d MiB of the image on the host%n",
                seconds, allocated >> 20);
    }
}
