package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.MountOptions;
import io.daxfs.types.RenameOption;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * format, mount and unmount of image files: what survives, what is refused (and left untouched),
 * read-only mounts, and directories with very many entries.
 */
class MountSpec extends FsSpec {
    @TempDir
    Path dir;

    Path image;

    @BeforeEach
    void imagePath() {
        image = dir.resolve("fs.img");
    }

    static final long IMAGE = 16L << 20;

    static String sha256(Path p) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest()) + "/" + Files.size(p);
    }

    /** A formatted, cleanly unmounted image with a small tree in it. */
    void makeImage() throws Exception {
        try (DaxFileSystem a = DaxFileSystem.format(image, IMAGE)) {
            a.mkdir("/d");
            a.mkdir("/d/e");
            try (DaxFile f = a.open("/d/e/f", CREATE_NEW, WRITE)) {
                write(f, 0, pattern(300_000, 1));
            }
            a.symlink("/d/e/f", "/link");
            a.link("/d/e/f", "/hard");
        }
    }

    void checkTree(DaxFileSystem m) throws Exception {
        assertEquals(List.of("d", "hard", "link"), m.readdir("/").stream().map(DirEntry::name).sorted().toList());
        assertEquals(3, m.stat("/d").nlink());
        assertEquals("/d/e/f", m.readlink("/link"));
        assertEquals(2, m.stat("/hard").nlink());
        try (DaxFile f = m.open("/link")) {
            assertArrayEquals(pattern(300_000, 1), readAll(f));
        }
    }

    @Nested
    class FormatAndMount {
        @Test
        void aFormattedImageMountsWithEverythingInPlace() throws Exception {
            makeImage();
            try (DaxFileSystem m = DaxFileSystem.mount(image)) {
                assertFalse(m.isReadOnly());
                checkTree(m);
            }
            try (DaxFileSystem m = DaxFileSystem.mount(image)) {
                checkTree(m);
            }
        }

        @Test
        void aFreshImageIsSparseAndEmpty() throws Exception {
            try (DaxFileSystem a = DaxFileSystem.format(image, 1L << 30, FormatOptions.DEFAULT.withSparse(true))) {
                assertEquals(List.of(), a.readdir("/"));
            }
            assertEquals(1L << 30, Files.size(image));
            try (DaxFileSystem m = DaxFileSystem.mount(image)) {
                assertEquals(List.of(), m.readdir("/"));
                assertEquals((1L << 30) / 4096, m.statfs().totalBlocks());
            }
        }

        @Test
        void aFreshImageHasItsSpaceReservedOnTheHostUnlessSparse() throws Exception {
            DaxFileSystem.format(image, IMAGE).close();
            assertTrue(allocatedBytes(image) >= IMAGE, "reserved: " + allocatedBytes(image));
            Path sparse = dir.resolve("sparse.img");
            DaxFileSystem.format(sparse, IMAGE, FormatOptions.DEFAULT.withSparse(true)).close();
            assertTrue(allocatedBytes(sparse) < IMAGE / 2, "only what format wrote: " + allocatedBytes(sparse));
            try (DaxFileSystem m = DaxFileSystem.mount(image)) {
                assertEquals(List.of(), m.readdir("/"));
            }
        }

        @Test
        void anImageTheHostHasNoRoomForIsENOSPCAndNotLeftBehind() throws Exception {
            long tooBig = ((Files.getFileStore(dir).getUsableSpace() >> 20) + 1024) << 20;
            DaxException e = fails(Errno.ENOSPC, () -> DaxFileSystem.format(image, tooBig));
            assertTrue(e.getMessage().contains("cannot reserve"), e.getMessage());
            assertFalse(Files.exists(image), "no half-made image");
        }

        /** Bytes the host file system allocated to {@code file} (st_blocks; the JDK does not expose it). */
        static long allocatedBytes(Path file) throws Exception {
            Process p = new ProcessBuilder("stat", "-c", "%b", file.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
            assertEquals(0, p.waitFor(), "stat failed: " + out);
            return Long.parseLong(out) * 512;
        }

        @Test
        void formattingAgainReplacesTheOldFileSystem() throws Exception {
            makeImage();
            DaxFileSystem.format(image, IMAGE).close();
            try (DaxFileSystem m = DaxFileSystem.mount(image)) {
                assertEquals(List.of(), m.readdir("/"));
            }
        }

        @Test
        void impossibleSizesAreEINVAL() {
            fails(Errno.EINVAL, () -> DaxFileSystem.format(dir.resolve("tiny.img"), 1L << 20), "below 4 MiB");
            fails(Errno.EINVAL, () -> DaxFileSystem.format(dir.resolve("odd.img"), (64L << 20) + 1), "not whole blocks");
            fails(Errno.EINVAL, () -> DaxFileSystem.format(dir.resolve("zero.img"), 0));
        }

        @Test
        void mountOfAMissingFileIsENOENT() {
            fails(Errno.ENOENT, () -> DaxFileSystem.mount(dir.resolve("missing.img")));
        }
    }

    @Nested
    class Refused {
        void refusedUntouched(Path p, Errno expected) throws Exception {
            String before = sha256(p);
            DaxException e = assertThrows(DaxException.class, () -> DaxFileSystem.mount(p));
            if (expected != null) {
                assertEquals(expected, e.errno(), e.getMessage());
            }
            assertEquals(before, sha256(p), "a refused image is not written");
            assertThrows(DaxException.class, () -> DaxFileSystem.mount(p, MountOptions.DEFAULT.withReadOnly(true)));
            assertEquals(before, sha256(p));
        }

        @Test
        void anImageOfZerosIsEMEDIUMTYPE() throws Exception {
            Path p = dir.resolve("zeros.img");
            try (var ch = java.nio.channels.FileChannel.open(p, CREATE_NEW, WRITE)) {
                ch.truncate(0);
                ch.write(java.nio.ByteBuffer.allocate(1), (8L << 20) - 1);
            }
            refusedUntouched(p, Errno.EMEDIUMTYPE);
        }

        @Test
        void anImageOfRandomBytesIsEMEDIUMTYPE() throws Exception {
            Path p = dir.resolve("random.img");
            Files.write(p, pattern(8 << 20, 99));
            refusedUntouched(p, Errno.EMEDIUMTYPE);
        }

        @Test
        void aTextFileIsEMEDIUMTYPE() throws Exception {
            Path p = dir.resolve("text.img");
            Files.writeString(p, "not a file system\n".repeat(500).substring(0, 8192));
            refusedUntouched(p, Errno.EMEDIUMTYPE);
        }

        @Test
        void aFileWhoseSizeIsNotWholeBlocksIsEMEDIUMTYPE() throws Exception {
            Path p = dir.resolve("odd.img");
            Files.write(p, new byte[5000]);
            refusedUntouched(p, Errno.EMEDIUMTYPE);
        }

        @Test
        void aTruncatedImageIsRefusedAndLeftAsItIs() throws Exception {
            makeImage();
            Path cut = dir.resolve("cut.img");
            try (InputStream in = Files.newInputStream(image);
                 OutputStream out = Files.newOutputStream(cut, CREATE_NEW, WRITE)) {
                out.write(in.readNBytes(8 << 20));
            }
            refusedUntouched(cut, null);
            assertTrue(assertThrows(DaxException.class, () -> DaxFileSystem.mount(cut)).getMessage().contains("truncated"));
            try (DaxFileSystem m = DaxFileSystem.mount(image)) {
                checkTree(m);
            }
        }

        @Test
        void anImageCutInsideABlockIsRefusedToo() throws Exception {
            makeImage();
            try (var ch = java.nio.channels.FileChannel.open(image, WRITE)) {
                ch.truncate((12L << 20) + 100);
            }
            refusedUntouched(image, Errno.EMEDIUMTYPE);
        }

        @Test
        void aDamagedSuperblockIsRefused() throws Exception {
            makeImage();
            try (var ch = java.nio.channels.FileChannel.open(image, WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(pattern(8192, 5)), 0); // both superblock slots
            }
            refusedUntouched(image, null);
        }
    }

    @Nested
    class ReadOnly {
        @Test
        void aReadOnlyMountReadsEverythingAndWritesNothing() throws Exception {
            makeImage();
            String before = sha256(image);
            try (DaxFileSystem ro = DaxFileSystem.mount(image, MountOptions.DEFAULT.withReadOnly(true))) {
                assertTrue(ro.isReadOnly());
                checkTree(ro);
                ro.sync();
            }
            assertEquals(before, sha256(image), "not a byte changed, not even a mount count or clean flag");
        }

        @Test
        void everyChangeIsEROFS() throws Exception {
            makeImage();
            String before = sha256(image);
            try (DaxFileSystem ro = DaxFileSystem.mount(image, MountOptions.DEFAULT.withReadOnly(true))) {
                List<Executable> changes = List.of(
                        () -> ro.open("/new", CREATE, WRITE),
                        () -> ro.open("/new", CREATE_NEW, WRITE),
                        () -> ro.open("/d/e/f", WRITE),
                        () -> ro.open("/d/e/f", APPEND),
                        () -> ro.open("/d/e/f", WRITE, TRUNCATE_EXISTING),
                        () -> ro.mkdir("/x"),
                        () -> ro.rmdir("/d/e"),
                        () -> ro.unlink("/hard"),
                        () -> ro.rename("/hard", "/soft"),
                        () -> ro.rename("/hard", "/link", RenameOption.EXCHANGE),
                        () -> ro.link("/hard", "/hard2"),
                        () -> ro.symlink("/x", "/y"),
                        () -> ro.chmod("/hard", 0),
                        () -> ro.chown("/hard", 1, 1),
                        () -> ro.utimes("/hard", 1, 1));
                for (int i = 0; i < changes.size(); i++) {
                    fails(Errno.EROFS, changes.get(i), "change #" + i);
                }
                try (DaxFile f = ro.open("/d/e/f", READ)) {
                    fails(Errno.EBADF, () -> f.write(0, new byte[1], 0, 1), "a read handle refuses writes first");
                    fails(Errno.EBADF, () -> f.truncate(0));
                    assertDoesNotThrow(f::fsync);
                    assertEquals(300_000, f.size());
                }
                checkTree(ro);
            }
            assertEquals(before, sha256(image));
        }

        @Test
        void anImageThatWasNotCleanlyUnmountedMountsReadOnlyWithoutBeingWritten() throws Exception {
            Path crashed = dir.resolve("crashed.img");
            try (DaxFileSystem a = DaxFileSystem.format(image, IMAGE)) {
                a.mkdir("/committed");
                try (DaxFile f = a.open("/committed/f", CREATE_NEW, WRITE)) {
                    write(f, 0, pattern(50_000, 3));
                    f.fsync();
                }
                // The image as a power failure now would leave it: mounted, journal not checkpointed.
                Files.copy(image, crashed);
            }
            String before = sha256(crashed);
            try (DaxFileSystem ro = DaxFileSystem.mount(crashed, MountOptions.DEFAULT.withReadOnly(true))) {
                try (DaxFile f = ro.open("/committed/f")) {
                    assertArrayEquals(pattern(50_000, 3), readAll(f));
                }
            }
            assertEquals(before, sha256(crashed));
            try (DaxFileSystem rw = DaxFileSystem.mount(crashed)) {
                try (DaxFile f = rw.open("/committed/f")) {
                    assertArrayEquals(pattern(50_000, 3), readAll(f));
                }
                rw.mkdir("/after-recovery");
            }
            try (DaxFileSystem again = DaxFileSystem.mount(crashed)) {
                assertTrue(again.exists("/after-recovery"));
            }
        }

        @Test
        void aReadOnlyImageFileCanBeMountedReadOnly() throws Exception {
            makeImage();
            assertTrue(image.toFile().setWritable(false, false));
            try {
                try (DaxFileSystem ro = DaxFileSystem.mount(image, MountOptions.DEFAULT.withReadOnly(true))) {
                    checkTree(ro);
                }
            } finally {
                image.toFile().setWritable(true, false);
            }
        }
    }

    @Nested
    class LargeDirectories {
        static String name(int i) {
            return "entry-" + Integer.toString(i * 7919 % 1_000_003, 36) + "-" + i;
        }

        void createLookUpRemount(int entries, Duration limit) throws Exception {
            long imageSize = Math.max(256L << 20, (long) entries * 1024);
            assertTimeoutPreemptively(limit, () -> {
                try (DaxFileSystem a = DaxFileSystem.format(image, imageSize,
                        FormatOptions.DEFAULT.withInodes(entries + 1024))) {
                    a.mkdir("/big");
                    for (int i = 0; i < entries; i++) {
                        a.open("/big/" + name(i), CREATE_NEW, WRITE).close();
                    }
                    assertEquals(2, a.stat("/big").nlink(), "files add no links");
                    SplittableRandom r = new SplittableRandom(1);
                    for (int k = 0; k < 10_000; k++) {
                        int i = r.nextInt(entries);
                        assertEquals(FileType.REGULAR, a.stat("/big/" + name(i)).type());
                    }
                    fails(Errno.ENOENT, () -> a.stat("/big/" + name(entries)));
                    fails(Errno.EEXIST, () -> a.open("/big/" + name(entries / 2), CREATE_NEW, WRITE));
                }
                try (DaxFileSystem b = DaxFileSystem.mount(image)) {
                    SplittableRandom r = new SplittableRandom(2);
                    for (int k = 0; k < 10_000; k++) {
                        int i = r.nextInt(entries);
                        assertEquals(FileType.REGULAR, b.stat("/big/" + name(i)).type(), name(i));
                    }
                    fails(Errno.ENOENT, () -> b.stat("/big/" + name(entries + 1)));
                    assertEquals(entries, b.readdir("/big").size());
                    b.unlink("/big/" + name(0));
                    assertFalse(b.exists("/big/" + name(0)));
                }
            });
        }

        @Test
        void aHundredThousandEntries() throws Exception {
            createLookUpRemount(100_000, Duration.ofMinutes(3));
        }

        @Test
        @Tag("long")
        @EnabledIfSystemProperty(named = "daxfs.test.long", matches = "true")
        void aMillionEntries() throws Exception {
            createLookUpRemount(1_000_000, Duration.ofMinutes(20));
        }
    }

    /** The inherited in-memory fixture is not used here: keep it minimal and unmount it at once. */
    @Override
    protected long deviceSize() {
        return 4L << 20;
    }

    @BeforeEach
    void noMemoryFixture() throws IOException {
        fs.close();
        fs = null;
    }
}
