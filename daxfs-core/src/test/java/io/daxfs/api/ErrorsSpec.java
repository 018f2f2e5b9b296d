package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.RenameOption;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How errors are reported, and what running out of space does and does not do. */
class ErrorsSpec extends FsSpec {

    @Nested
    class Messages {
        /** Provokes one error of each kind the API reports, keyed by a description. */
        Map<String, DaxException> provoke() throws Exception {
            fs.mkdir("/d");
            fs.mkdir("/full");
            writeFile("/full/f", utf8("x"));
            writeFile("/f", utf8("x"));
            fs.symlink("/loop", "/loop");
            Map<String, Executable> ops = new LinkedHashMap<>();
            ops.put("missing", () -> fs.stat("/missing"));
            ops.put("missing with newline", () -> fs.stat("/new\nline/x"));
            ops.put("missing with carriage return", () -> fs.open("/a\rb"));
            ops.put("exists", () -> fs.mkdir("/d"));
            ops.put("not a dir", () -> fs.stat("/f/x"));
            ops.put("is a dir", () -> fs.open("/d"));
            ops.put("not empty", () -> fs.rmdir("/full"));
            ops.put("relative", () -> fs.stat("rel"));
            ops.put("nul", () -> fs.stat("/a\0b"));
            ops.put("too long", () -> fs.stat("/" + "x".repeat(300)));
            ops.put("loop", () -> fs.stat("/loop"));
            ops.put("busy", () -> fs.rmdir("/"));
            ops.put("link dir", () -> fs.link("/d", "/e"));
            ops.put("readlink", () -> fs.readlink("/f"));
            ops.put("efbig", () -> {
                try (DaxFile f = fs.open("/f", WRITE)) {
                    f.write(1L << 50, new byte[1], 0, 1);
                }
            });
            ops.put("ebadf", () -> {
                try (DaxFile f = fs.open("/f")) {
                    f.truncate(0);
                }
            });
            ops.put("enxio", () -> {
                try (DaxFile f = fs.open("/f")) {
                    f.seekData(10);
                }
            });
            ops.put("misaligned", () -> {
                try (DaxFile f = fs.open("/f", WRITE)) {
                    f.collapseRange(1, 1);
                }
            });
            Map<String, DaxException> out = new LinkedHashMap<>();
            for (var e : ops.entrySet()) {
                out.put(e.getKey(), assertThrows(DaxException.class, e.getValue(), e.getKey()));
            }
            return out;
        }

        @Test
        void everyMessageIsOneLineStartingWithTheErrnoName() throws Exception {
            for (var e : provoke().entrySet()) {
                DaxException x = e.getValue();
                String m = x.getMessage();
                assertNotNull(x.errno(), e.getKey());
                assertTrue(m.startsWith(x.errno().name() + ": "), e.getKey() + ": " + m);
                assertEquals(x.errno().name() + ": " + x.detail(), m, e.getKey());
                assertFalse(x.detail().isBlank(), e.getKey());
                assertTrue(m.chars().noneMatch(c -> c < 0x20 || c == 0x7f),
                        e.getKey() + ": one line without control characters: " + m.replace("\n", "\\n"));
            }
        }

        @Test
        void eachOperationReportsTheExpectedErrno() throws Exception {
            Map<String, DaxException> got = provoke();
            Map<String, Errno> expected = new LinkedHashMap<>();
            expected.put("missing", Errno.ENOENT);
            expected.put("missing with newline", Errno.ENOENT);
            expected.put("missing with carriage return", Errno.ENOENT);
            expected.put("exists", Errno.EEXIST);
            expected.put("not a dir", Errno.ENOTDIR);
            expected.put("is a dir", Errno.EISDIR);
            expected.put("not empty", Errno.ENOTEMPTY);
            expected.put("relative", Errno.EINVAL);
            expected.put("nul", Errno.EINVAL);
            expected.put("too long", Errno.ENAMETOOLONG);
            expected.put("loop", Errno.ELOOP);
            expected.put("busy", Errno.EBUSY);
            expected.put("link dir", Errno.EPERM);
            expected.put("readlink", Errno.EINVAL);
            expected.put("efbig", Errno.EFBIG);
            expected.put("ebadf", Errno.EBADF);
            expected.put("enxio", Errno.ENXIO);
            expected.put("misaligned", Errno.EINVAL);
            for (var e : expected.entrySet()) {
                assertEquals(e.getValue(), got.get(e.getKey()).errno(), e.getKey());
            }
        }

        @Test
        void theMessageNamesThePath() {
            DaxException e = fails(Errno.ENOENT, () -> fs.stat("/some/where"));
            assertTrue(e.getMessage().contains("/some/where"), e.getMessage());
        }

        @Test
        void errnoValuesAreTheLinuxOnes() {
            assertEquals(1, Errno.EPERM.code());
            assertEquals(2, Errno.ENOENT.code());
            assertEquals(5, Errno.EIO.code());
            assertEquals(6, Errno.ENXIO.code());
            assertEquals(9, Errno.EBADF.code());
            assertEquals(16, Errno.EBUSY.code());
            assertEquals(17, Errno.EEXIST.code());
            assertEquals(20, Errno.ENOTDIR.code());
            assertEquals(21, Errno.EISDIR.code());
            assertEquals(22, Errno.EINVAL.code());
            assertEquals(27, Errno.EFBIG.code());
            assertEquals(28, Errno.ENOSPC.code());
            assertEquals(30, Errno.EROFS.code());
            assertEquals(36, Errno.ENAMETOOLONG.code());
            assertEquals(39, Errno.ENOTEMPTY.code());
            assertEquals(40, Errno.ELOOP.code());
            assertEquals(117, Errno.EUCLEAN.code());
            assertEquals(124, Errno.EMEDIUMTYPE.code());
        }

        @Test
        void ofBuildsTheMessageFromTheErrnoDescription() {
            DaxException e = DaxException.of(Errno.ENOENT, "/a/b");
            assertEquals("ENOENT: /a/b: no such file or directory", e.getMessage());
            assertEquals("/a/b: no such file or directory", e.detail());
            assertEquals(Errno.ENOENT, e.errno());
        }

        @Test
        void anUnmountedFileSystemAnswersEIO() throws Exception {
            fs.mkdir("/d");
            fs.close();
            DaxFileSystem closed = fs;
            fs = null;
            for (Executable op : List.<Executable>of(() -> closed.stat("/d"), () -> closed.mkdir("/e"),
                    () -> closed.open("/f", CREATE, WRITE), () -> closed.readdir("/"), closed::sync)) {
                fails(Errno.EIO, op);
            }
            closed.close(); // idempotent
        }
    }

    @Nested
    class OutOfSpace {
        @TempDir
        Path dir;

        @Test
        void fillingTheFileSystemEndsInENOSPCAndLosesNothing() throws Exception {
            Path image = dir.resolve("small.img");
            fs.close();
            fs = DaxFileSystem.format(image, 8L << 20);
            final int chunk = 256 << 10;
            List<String> names = new ArrayList<>();
            List<Long> sizes = new ArrayList<>();
            DaxException full = null;
            long seed = 0;
            fill:
            for (int file = 0; file < 100; file++) {
                String name = "/file" + file;
                names.add(name);
                sizes.add(0L);
                try (DaxFile f = fs.open(name, CREATE_NEW, WRITE)) {
                    for (int i = 0; i < 8; i++) {
                        long pos = sizes.getLast();
                        byte[] data = pattern(chunk, seed + pos);
                        try {
                            long n = f.write(pos, data, 0, chunk);
                            assertTrue(n > 0 && n <= chunk);
                            sizes.set(sizes.size() - 1, pos + n);
                        } catch (DaxException e) {
                            full = e;
                            break fill;
                        }
                    }
                }
                seed += 1_000_000;
            }
            assertNotNull(full, "8 MiB must fill up");
            assertEquals(Errno.ENOSPC, full.errno(), full.getMessage());
            assertTrue(full.getMessage().startsWith("ENOSPC: "));
            long total = sizes.stream().mapToLong(Long::longValue).sum();
            assertTrue(total > 5L << 20, "most of the 8 MiB was usable: " + total);

            // Everything acknowledged reads back exactly.
            verify(names, sizes);

            // Still usable: free one file, sync, and writes succeed again.
            fs.unlink(names.getFirst());
            names.removeFirst();
            sizes.removeFirst();
            fs.sync();
            try (DaxFile f = fs.open("/after", CREATE_NEW, WRITE)) {
                write(f, 0, pattern(chunk, 42));
            }
            fs.mkdir("/dir-after");
            verify(names, sizes);
            fs.close();

            // The image mounts again with everything in place.
            fs = DaxFileSystem.mount(image);
            verify(names, sizes);
            assertArrayEquals(pattern(chunk, 42), readFile("/after"));
            assertTrue(fs.exists("/dir-after"));
        }

        /** Each file holds its chunks: chunk k of a file is pattern(chunk, fileSeed + k * chunk). */
        private void verify(List<String> names, List<Long> sizes) throws Exception {
            final int chunk = 256 << 10;
            for (int i = 0; i < names.size(); i++) {
                long fileSeed = Long.parseLong(names.get(i).substring(5)) * 1_000_000L;
                try (DaxFile f = fs.open(names.get(i), READ)) {
                    assertEquals((long) sizes.get(i), f.size(), names.get(i));
                    for (long pos = 0; pos < sizes.get(i); pos += chunk) {
                        int len = (int) Math.min(chunk, sizes.get(i) - pos);
                        byte[] expect = java.util.Arrays.copyOf(pattern(chunk, fileSeed + pos), len);
                        assertArrayEquals(expect, read(f, pos, len), names.get(i) + " at " + pos);
                    }
                }
            }
        }

        @Test
        void spaceFreedByAnUnlinkIsReusableAtOnceWithoutASync() throws Exception {
            fs.close();
            fs = DaxFileSystem.format(dir.resolve("reuse.img"), 8L << 20);
            try (DaxFile f = fs.open("/hog", CREATE_NEW, WRITE)) {
                byte[] chunk = new byte[1 << 20];
                long pos = 0;
                while (true) {
                    try {
                        pos += f.write(pos, chunk, 0, chunk.length);
                    } catch (DaxException e) {
                        assertEquals(Errno.ENOSPC, e.errno());
                        break;
                    }
                }
            }
            long hogged = fs.stat("/hog").size();
            fs.unlink("/hog");
            // No sync, no checkpoint: the allocator must find the freed blocks by itself.
            try (DaxFile f = fs.open("/again", CREATE_NEW, WRITE)) {
                byte[] data = pattern((int) hogged, 11);
                assertEquals(hogged, f.write(0, data, 0, data.length));
            }
            assertArrayEquals(pattern((int) hogged, 11), readFile("/again"));
        }

        @Test
        void aWriteThatDoesNotFitIsShortOrENOSPCAndChangesNothingElse() throws Exception {
            fs.close();
            fs = DaxFileSystem.format(dir.resolve("tiny.img"), 8L << 20);
            long free = freeBlocks();
            try (DaxFile f = fs.open("/big", CREATE_NEW, WRITE)) {
                byte[] data = pattern(Math.toIntExact((free + 100) * BLOCK), 7);
                long n = f.write(0, data, 0, data.length);
                assertTrue(n < data.length, "a write larger than the free space is short");
                assertEquals(n, f.size());
                assertEquals(0, n % BLOCK, "it ends at a block boundary");
                try (DaxFile r = fs.open("/big", READ)) {
                    assertArrayEquals(java.util.Arrays.copyOf(data, (int) n), readAll(r));
                }
                fails(Errno.ENOSPC, () -> f.write(n, data, 0, BLOCK));
                assertEquals(n, f.size(), "a failed write does not change the size");
                fails(Errno.ENOSPC, () -> f.allocate(n, 10 * BLOCK, false));
            }
        }
    }

    /**
     * A null argument is the caller's NullPointerException, thrown before the operation starts:
     * inside one it would be taken for an internal failure and turn the file system read-only.
     */
    @Nested
    class NullArguments {
        @Test
        void nullPathsAndOptionsThrowAndLeaveTheFileSystemWritable() throws Exception {
            writeFile("/a", utf8("a"));
            long root = DaxInodes.ROOT;
            Map<String, Executable> calls = new LinkedHashMap<>();
            calls.put("open", () -> fs.open(null, CREATE, WRITE));
            calls.put("open option", () -> fs.open("/b", CREATE, null));
            calls.put("link", () -> fs.link("/a", null));
            calls.put("symlink", () -> fs.symlink(null, "/l"));
            calls.put("chmod", () -> fs.chmod(null, 0600));
            calls.put("chown", () -> fs.chown(null, 1, 1));
            calls.put("utimes", () -> fs.utimes(null, 0, 0));
            calls.put("rename option", () -> fs.rename("/a", "/c", (RenameOption) null));
            calls.put("inodes mkdir", () -> fs.inodes().mkdir(root, null, 0755, 0, 0));
            calls.put("inodes unlink", () -> fs.inodes().unlink(root, null));
            calls.put("inodes create option", () -> fs.inodes().create(root, "n", 0644, 0, 0, false, (java.nio.file.OpenOption[]) null));
            calls.put("setxattr value", () -> fs.setxattr("/a", "user.x", null, 0));
            calls.put("inodes setxattr value", () -> fs.inodes().setxattr(fs.stat("/a").ino(), "user.x", null, 0));
            calls.put("write", () -> {
                try (DaxFile f = fs.open("/a", WRITE)) {
                    f.write(0, (java.nio.ByteBuffer) null);
                }
            });
            for (Map.Entry<String, Executable> c : calls.entrySet()) {
                assertThrows(NullPointerException.class, c.getValue(), c.getKey());
                fs.mkdir("/after-" + c.getKey().replace(' ', '-')); // still writable
            }
            assertArrayEquals(utf8("a"), readFile("/a"));
        }
    }
}
