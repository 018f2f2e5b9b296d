package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Image-file devices: the device contract, and what only a mapped file does (sparse creation,
 * preallocated creation and ENOSPC, contents across close and reopen, huge images, the silent
 * MAP_SYNC fallback, errno).
 */
class ImageFileDeviceTest extends DeviceContract {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private int images;
    private Path readOnlyImage;

    @Override
    protected Device create(long size) throws DaxException {
        return ImageFileDevice.create(dir.resolve("contract-" + images++ + ".img"), size, false);
    }

    @Override
    protected Device createReadOnly(byte[] image) throws Exception {
        readOnlyImage = dir.resolve("contract-ro.img");
        Files.write(readOnlyImage, image);
        return ImageFileDevice.open(readOnlyImage, true);
    }

    @Override
    protected byte[] mediumAfterReadOnlyUse() throws IOException {
        return Files.readAllBytes(readOnlyImage);
    }

    /** 512-byte blocks allocated to {@code file} (st_blocks); the JDK does not expose it. */
    static long allocatedBlocks(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("stat", "-c", "%b", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertEquals(0, p.waitFor(), "stat failed: " + out);
        return Long.parseLong(out);
    }

    @Test
    void createMakesASparseZeroImageOfExactlyTheSize() throws Exception {
        Path img = dir.resolve("a.img");
        try (ImageFileDevice d = ImageFileDevice.create(img, 64 * MIB, true)) {
            assertEquals(64 * MIB, d.size());
            assertEquals(64 * MIB, Files.size(img));
            assertFalse(d.isReadOnly());
            assertEquals(0, allocatedBlocks(img), "a fresh image must be one hole");
            Random r = new Random(1);
            for (int i = 0; i < 1000; i++) {
                assertEquals(0, d.segment().get(JAVA_LONG, (r.nextLong(64 * MIB)) & ~7L));
            }
        }
    }

    @Test
    void createReplacesAnExistingFile() throws Exception {
        Path img = dir.resolve("old.img");
        byte[] junk = new byte[3 * 4096];
        Arrays.fill(junk, (byte) 0x5A);
        Files.write(img, junk);
        try (ImageFileDevice d = ImageFileDevice.create(img, 8192, false)) {
            assertEquals(8192, d.size());
            assertEquals(-1, d.segment().mismatch(MemorySegment.ofArray(new byte[8192])));
        }
        assertArrayEquals(new byte[8192], Files.readAllBytes(img));
    }

    @Test
    void createPreallocatesTheWholeImageUnlessSparse() throws Exception {
        Path img = dir.resolve("full.img");
        try (ImageFileDevice d = ImageFileDevice.create(img, 16 * MIB, false)) {
            assertEquals(16 * MIB, d.size());
            assertEquals(16 * MIB, Files.size(img));
            assertTrue(allocatedBlocks(img) >= 16 * MIB / 512, "every block reserved: " + allocatedBlocks(img));
            assertEquals(-1, d.segment().mismatch(MemorySegment.ofArray(new byte[(int) (16 * MIB)])), "and reads as zeros");
        }
    }

    @Test
    void aPreallocationBeyondTheHostsSpaceIsENOSPCAndLeavesNoImage() throws Exception {
        Path img = dir.resolve("toobig.img");
        Files.write(img, new byte[4096]); // an old file it replaces
        long usable = Files.getFileStore(dir).getUsableSpace();
        long size = ((usable >> 20) + 1024) << 20; // a GiB more than there is
        DaxException e = assertThrows(DaxException.class, () -> ImageFileDevice.create(img, size, false));
        assertEquals(Errno.ENOSPC, e.errno());
        assertTrue(e.getMessage().startsWith("ENOSPC: " + img + ": cannot reserve "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Files.exists(img), "no half-made image is left");
        assertEquals(Errno.ENOSPC, errnoOf(() -> ImageFileDevice.create(dir.resolve("other.img"), size, false)));
        assertFalse(Files.exists(dir.resolve("other.img")));
    }

    @Test
    void contentsSurvivePersistCloseAndReopen() throws Exception {
        Path img = dir.resolve("b.img");
        byte[] pattern = new byte[10_000];
        new Random(7).nextBytes(pattern);
        try (ImageFileDevice d = ImageFileDevice.create(img, MIB, false)) {
            MemorySegment.copy(pattern, 0, d.segment(), JAVA_BYTE, 123_456, pattern.length);
            d.segment().set(JAVA_LONG, MIB - 8, 0x1122334455667788L);
            d.persist(123_456, pattern.length);
            d.persist(MIB - 8, 8);
            d.fence();
        }
        // Read through the file, not a mapping, so the check does not trust the code under test.
        byte[] file = Files.readAllBytes(img);
        assertArrayEquals(pattern, Arrays.copyOfRange(file, 123_456, 123_456 + pattern.length));
        try (ImageFileDevice d = ImageFileDevice.open(img, false)) {
            assertEquals(MIB, d.size());
            assertEquals(0x1122334455667788L, d.segment().get(JAVA_LONG, MIB - 8));
            byte[] back = new byte[pattern.length];
            MemorySegment.copy(d.segment(), JAVA_BYTE, 123_456, back, 0, back.length);
            assertArrayEquals(pattern, back);
        }
        try (ImageFileDevice d = ImageFileDevice.open(img, true)) {
            assertTrue(d.isReadOnly());
            assertEquals(0x1122334455667788L, d.segment().get(JAVA_LONG, MIB - 8));
        }
    }

    @Test
    void readOnlyRejectsStoresAndNeverChangesTheFile() throws Exception {
        Path img = dir.resolve("ro.img");
        byte[] content = new byte[4 * 4096];
        new Random(3).nextBytes(content);
        Files.write(img, content);
        FileTime before = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(img, before);
        try (ImageFileDevice d = ImageFileDevice.open(img, true)) {
            assertTrue(d.isReadOnly());
            assertTrue(d.segment().isReadOnly());
            assertThrows(IllegalArgumentException.class, () -> d.segment().set(JAVA_LONG, 0, 1L));
            assertThrows(IllegalArgumentException.class,
                    () -> MemorySegment.copy(MemorySegment.ofArray(new byte[64]), 0, d.segment(), 0, 64));
            d.persist(0, d.size()); // a no-op, not an error
            d.fence();
            assertEquals(content[5], d.segment().get(JAVA_BYTE, 5));
        }
        assertArrayEquals(content, Files.readAllBytes(img));
        assertEquals(before, Files.getLastModifiedTime(img));
    }

    @Test
    void mapsAHugeSparseImage() throws Exception {
        Path img = dir.resolve("huge.img");
        long size = 16L << 30; // beyond any int offset, and far beyond the test heap
        try (ImageFileDevice d = ImageFileDevice.create(img, size, true)) {
            assertEquals(size, d.size());
            d.segment().set(JAVA_LONG, 0, 11L);
            d.segment().set(JAVA_LONG, size / 2 + 4096, 22L);
            d.segment().set(JAVA_LONG, size - 8, 33L);
            d.persist(0, 8);
            d.persist(size / 2 + 4096, 8);
            d.persist(size - 8, 8);
        }
        assertEquals(size, Files.size(img));
        assertTrue(allocatedBlocks(img) <= 3 * 8 * 16, "three touched pages, not gigabytes: " + allocatedBlocks(img));
        try (ImageFileDevice d = ImageFileDevice.open(img, true)) {
            assertEquals(11L, d.segment().get(JAVA_LONG, 0));
            assertEquals(22L, d.segment().get(JAVA_LONG, size / 2 + 4096));
            assertEquals(33L, d.segment().get(JAVA_LONG, size - 8));
            assertEquals(0L, d.segment().get(JAVA_LONG, size / 4));
        }
    }

    @Test
    void mapSyncAttemptFallsBackSilentlyOnTmp() throws Exception {
        checkSilentFallback(dir.resolve("tmp.img"));
    }

    @Test
    void mapSyncAttemptFallsBackSilentlyOnDevShm() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no writable /dev/shm");
        Path img = Files.createTempFile(shm, "daxfs-test", ".img");
        try {
            checkSilentFallback(img);
        } finally {
            Files.deleteIfExists(img);
        }
    }

    private static void checkSilentFallback(Path img) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(MIB);
        }
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try (ImageFileDevice d = ImageFileDevice.open(img, false)) {
            // Neither /tmp (ext4 here) nor tmpfs is mounted with dax, so MAP_SYNC must have failed.
            assertFalse(d.isSynchronous(), d.describe());
            assertFalse(d.describe().contains("MAP_SYNC"));
            d.segment().set(JAVA_LONG, 64, 77L);
            d.persist(64, 8);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertEquals("", captured.toString(StandardCharsets.UTF_8));
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "r")) {
            f.seek(64);
            assertEquals(77L, Long.reverseBytes(f.readLong())); // the segment stores little-endian
        }
    }

    private static Errno errnoOf(ThrowingRunnable r) {
        DaxException e = assertThrows(DaxException.class, r::run);
        return e.errno();
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void errorsCarryTheRightErrno() throws Exception {
        assertEquals(Errno.ENOENT, errnoOf(() -> ImageFileDevice.open(dir.resolve("missing.img"), false)));
        assertEquals(Errno.ENOENT, errnoOf(() -> ImageFileDevice.open(dir.resolve("missing.img"), true)));
        assertEquals(Errno.ENOENT, errnoOf(() -> ImageFileDevice.create(dir.resolve("no/such/dir/x.img"), 4096, false)));
        assertEquals(Errno.EISDIR, errnoOf(() -> ImageFileDevice.open(dir, false)));
        assertEquals(Errno.EISDIR, errnoOf(() -> ImageFileDevice.open(dir, true)));
        assertEquals(Errno.EISDIR, errnoOf(() -> ImageFileDevice.create(dir, 4096, false)));
        assertEquals(Errno.EINVAL, errnoOf(() -> ImageFileDevice.create(dir.resolve("odd.img"), 4095, false)));
        assertEquals(Errno.EINVAL, errnoOf(() -> ImageFileDevice.create(dir.resolve("zero.img"), 0, false)));
        assertEquals(Errno.EINVAL, errnoOf(() -> ImageFileDevice.open(Path.of("/dev/zero"), true)));

        Path truncated = dir.resolve("truncated.img");
        Files.write(truncated, new byte[3 * 4096 + 100]);
        DaxException e = assertThrows(DaxException.class, () -> ImageFileDevice.open(truncated, false));
        assertEquals(Errno.EMEDIUMTYPE, e.errno());
        assertTrue(e.getMessage().contains("truncated image?"), e.getMessage());

        Path empty = dir.resolve("empty.img");
        Files.write(empty, new byte[0]);
        assertEquals(Errno.EMEDIUMTYPE, errnoOf(() -> ImageFileDevice.open(empty, true)));
        assertEquals(0, Files.size(empty), "opening must not resize the file");
    }

    @Test
    void devicesOpenRoutesFilesToImages() throws Exception {
        Path img = dir.resolve("dax0.0"); // named like a device, but a regular file outside /dev
        ImageFileDevice.create(img, 4096, false).close();
        try (Device d = Devices.open(img, true)) {
            assertInstanceOf(ImageFileDevice.class, d);
        }
        assertEquals(Errno.ENOENT, errnoOf(() -> Devices.open(dir.resolve("nope"), false)));
    }
}
