package io.daxfs.api;

import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.LinkOption;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.DSYNC;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.SYNC;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** open(): the create and access options, handle rules, and resolution through symbolic links. */
class FilesSpec extends FsSpec {

    @Nested
    class Create {
        @Test
        void openOfAMissingFileWithoutCreateIsENOENT() {
            fails(Errno.ENOENT, () -> fs.open("/missing"));
            fails(Errno.ENOENT, () -> fs.open("/missing", WRITE));
            fails(Errno.ENOENT, () -> fs.open("/no/such/dir/f", CREATE, WRITE));
        }

        @Test
        void createMakesAnEmptyRegularFileWithMode0644() throws Exception {
            try (DaxFile f = fs.open("/a", CREATE, WRITE)) {
                assertEquals(0, f.size());
            }
            FileStat st = fs.stat("/a");
            assertEquals(FileType.REGULAR, st.type());
            assertEquals(0100644, st.mode());
            assertEquals(0, st.size());
            assertEquals(1, st.nlink());
        }

        @Test
        void createWithAnExplicitModeUsesItsPermissionBits() throws Exception {
            fs.open("/a", 0600, CREATE, WRITE).close();
            assertEquals(0100600, fs.stat("/a").mode());
            fs.open("/b", 04751, CREATE_NEW, WRITE).close();
            assertEquals(04751, fs.stat("/b").permissions());
            assertEquals(FileType.REGULAR, fs.stat("/b").type());
        }

        @Test
        void createOfAnExistingFileOpensItWithoutTruncating() throws Exception {
            writeFile("/a", utf8("keep me"));
            long ino = fs.stat("/a").ino();
            try (DaxFile f = fs.open("/a", 0600, CREATE, WRITE, READ)) {
                assertEquals(7, f.size());
                assertEquals(ino, f.stat().ino());
            }
            assertArrayEquals(utf8("keep me"), readFile("/a"));
            assertEquals(0100644, fs.stat("/a").mode(), "the mode of an existing file is not changed");
        }

        @Test
        void createNewOfAnExistingNameIsEEXIST() throws Exception {
            writeFile("/a", utf8("x"));
            fs.mkdir("/d");
            fails(Errno.EEXIST, () -> fs.open("/a", CREATE_NEW, WRITE));
            fails(Errno.EEXIST, () -> fs.open("/d", CREATE_NEW, WRITE));
            assertArrayEquals(utf8("x"), readFile("/a"));
        }

        @Test
        void createNewDoesNotFollowADanglingSymlink() throws Exception {
            fs.symlink("/target", "/link");
            fails(Errno.EEXIST, () -> fs.open("/link", CREATE_NEW, WRITE));
            assertFalse(fs.exists("/target"));
        }

        @Test
        void createThroughADanglingSymlinkCreatesTheTarget() throws Exception {
            fs.mkdir("/d");
            fs.symlink("t", "/d/link");
            try (DaxFile f = fs.open("/d/link", CREATE, WRITE)) {
                write(f, 0, utf8("via link"));
            }
            assertEquals(FileType.REGULAR, fs.lstat("/d/t").type());
            assertEquals(FileType.SYMLINK, fs.lstat("/d/link").type());
            assertArrayEquals(utf8("via link"), readFile("/d/t"));
        }

        @Test
        void createInAFileInsteadOfADirectoryIsENOTDIR() throws Exception {
            writeFile("/f", utf8("x"));
            fails(Errno.ENOTDIR, () -> fs.open("/f/g", CREATE, WRITE));
            fails(Errno.ENOTDIR, () -> fs.open("/f/g"));
        }

        @Test
        void createdFilesAreListedInTheirDirectory() throws Exception {
            fs.mkdir("/d");
            fs.open("/d/x", CREATE_NEW, WRITE).close();
            assertEquals(1, fs.readdir("/d").size());
            assertEquals("x", fs.readdir("/d").getFirst().name());
        }
    }

    @Nested
    class Truncate {
        @Test
        void truncateExistingWithWriteEmptiesTheFile() throws Exception {
            writeFile("/a", pattern(10_000, 1));
            long ino = fs.stat("/a").ino();
            try (DaxFile f = fs.open("/a", WRITE, TRUNCATE_EXISTING)) {
                assertEquals(0, f.size());
            }
            FileStat st = fs.stat("/a");
            assertEquals(0, st.size());
            assertEquals(0, st.blocks());
            assertEquals(ino, st.ino(), "same file, not a new one");
        }

        @Test
        void truncateExistingWithoutWriteAccessLeavesTheFileAlone() throws Exception {
            writeFile("/a", utf8("data"));
            fs.open("/a", READ, TRUNCATE_EXISTING).close();
            assertArrayEquals(utf8("data"), readFile("/a"));
        }

        @Test
        void createAndTruncateExistingOnANewFileJustCreatesIt() throws Exception {
            try (DaxFile f = fs.open("/n", CREATE, WRITE, TRUNCATE_EXISTING)) {
                write(f, 0, utf8("new"));
            }
            assertArrayEquals(utf8("new"), readFile("/n"));
        }

        @Test
        void anOptionGivenTwiceCountsOnce() throws Exception {
            // As open(2)'s flag bits: O_WRONLY|O_WRONLY is O_WRONLY.
            try (DaxFile f = fs.open("/n", CREATE, WRITE, WRITE, TRUNCATE_EXISTING, TRUNCATE_EXISTING)) {
                write(f, 0, utf8("once"));
            }
            assertArrayEquals(utf8("once"), readFile("/n"));
        }

        @Test
        void createAndTruncateExistingOnANewFileStampsItOnceAsACreate() throws Exception {
            // As Linux: the open made the file, so there is nothing to truncate and no second stamp.
            fs.open("/n", CREATE, WRITE, TRUNCATE_EXISTING).close();
            FileStat st = fs.stat("/n");
            assertEquals(st.btimeNs(), st.mtimeNs(), "mtime");
            assertEquals(st.btimeNs(), st.ctimeNs(), "ctime");
        }
    }

    @Nested
    class Append {
        @Test
        void appendWritesAtEndOfFileWhateverThePosition() throws Exception {
            writeFile("/log", utf8("one,"));
            try (DaxFile f = fs.open("/log", APPEND)) {
                assertEquals(4, f.write(0, MemorySegment.ofArray(utf8("two,"))));
                assertEquals(6, f.write(1000, MemorySegment.ofArray(utf8("three,"))));
                assertEquals(14, f.size());
            }
            assertArrayEquals(utf8("one,two,three,"), readFile("/log"));
        }

        @Test
        void appendImpliesWriteButNotRead() throws Exception {
            writeFile("/log", utf8("x"));
            try (DaxFile f = fs.open("/log", APPEND)) {
                fails(Errno.EBADF, () -> f.read(0, new byte[1], 0, 1));
            }
            try (DaxFile f = fs.open("/log", APPEND, READ)) {
                write(f, 0, utf8("y"));
                assertArrayEquals(utf8("xy"), read(f, 0, 2));
            }
        }

        @Test
        void appendWithCreateStartsANewFile() throws Exception {
            try (DaxFile f = fs.open("/new", CREATE, APPEND)) {
                write(f, 77, utf8("a"));
                write(f, 0, utf8("b"));
            }
            assertArrayEquals(utf8("ab"), readFile("/new"));
        }
    }

    @Nested
    class AccessModes {
        @Test
        void noOptionsMeansReadOnly() throws Exception {
            writeFile("/a", utf8("abc"));
            try (DaxFile f = fs.open("/a")) {
                assertArrayEquals(utf8("abc"), read(f, 0, 3));
                fails(Errno.EBADF, () -> f.write(0, utf8("x"), 0, 1));
            }
        }

        @Test
        void aReadOnlyHandleRefusesEveryChangeWithEBADF() throws Exception {
            writeFile("/a", pattern(8192, 2));
            try (DaxFile f = fs.open("/a", READ)) {
                fails(Errno.EBADF, () -> f.write(0, MemorySegment.ofArray(utf8("x"))));
                fails(Errno.EBADF, () -> f.write(0, java.nio.ByteBuffer.wrap(utf8("x"))));
                fails(Errno.EBADF, () -> f.write(0, utf8("x"), 0, 1));
                fails(Errno.EBADF, () -> f.truncate(0));
                fails(Errno.EBADF, () -> f.allocate(0, 4096, false));
                fails(Errno.EBADF, () -> f.punchHole(0, 4096));
                fails(Errno.EBADF, () -> f.zeroRange(0, 4096));
                fails(Errno.EBADF, () -> f.collapseRange(0, 4096));
                fails(Errno.EBADF, () -> f.insertRange(0, 4096));
                // Reading, seeking, stat and fsync are fine on a read-only handle.
                assertEquals(8192, f.size());
                assertEquals(0, f.seekData(0));
                assertDoesNotThrow(f::fsync);
                assertEquals(8192, f.stat().size());
            }
            assertArrayEquals(pattern(8192, 2), readFile("/a"));
        }

        @Test
        void aWriteOnlyHandleCannotReadEBADF() throws Exception {
            try (DaxFile f = fs.open("/a", CREATE, WRITE)) {
                write(f, 0, utf8("secret"));
                fails(Errno.EBADF, () -> f.read(0, new byte[6], 0, 6));
                fails(Errno.EBADF, () -> f.read(0, MemorySegment.ofArray(new byte[6])));
                fails(Errno.EBADF, () -> f.read(0, java.nio.ByteBuffer.allocate(6)));
                assertEquals(6, f.size());
            }
        }

        @Test
        void readAndWriteTogetherAllowBoth() throws Exception {
            try (DaxFile f = fs.open("/a", CREATE, READ, WRITE)) {
                write(f, 0, utf8("both"));
                assertArrayEquals(utf8("both"), read(f, 0, 4));
            }
        }

        @Test
        void syncOptionsAreAcceptedAndWritesLand() throws Exception {
            try (DaxFile f = fs.open("/s", CREATE, WRITE, SYNC)) {
                write(f, 0, utf8("sync"));
            }
            try (DaxFile f = fs.open("/s", WRITE, DSYNC)) {
                write(f, 4, utf8("+dsync"));
            }
            assertArrayEquals(utf8("sync+dsync"), readFile("/s"));
        }
    }

    @Nested
    class Handles {
        @Test
        void aClosedHandleIsEBADFForEveryOperation() throws Exception {
            DaxFile f = fs.open("/a", CREATE, READ, WRITE);
            write(f, 0, utf8("x"));
            f.close();
            fails(Errno.EBADF, () -> f.read(0, new byte[1], 0, 1));
            fails(Errno.EBADF, () -> f.write(0, utf8("y"), 0, 1));
            fails(Errno.EBADF, f::size);
            fails(Errno.EBADF, f::stat);
            fails(Errno.EBADF, () -> f.truncate(0));
            fails(Errno.EBADF, f::fsync);
            fails(Errno.EBADF, f::fdatasync);
            fails(Errno.EBADF, () -> f.seekData(0));
            fails(Errno.EBADF, () -> f.seekHole(0));
            fails(Errno.EBADF, () -> f.punchHole(0, 1));
            assertDoesNotThrow(f::close, "close is idempotent");
            assertArrayEquals(utf8("x"), readFile("/a"));
        }

        @Test
        void twoHandlesOfOneFileSeeEachOthersWrites() throws Exception {
            try (DaxFile w = fs.open("/a", CREATE, WRITE); DaxFile r = fs.open("/a", READ)) {
                write(w, 0, utf8("hello"));
                assertEquals(5, r.size());
                assertArrayEquals(utf8("hello"), read(r, 0, 5));
                assertEquals(w.stat().ino(), r.stat().ino());
            }
        }

        @Test
        void handlesLeftOpenAreClosedByUnmount() throws Exception {
            DaxFile f = fs.open("/a", CREATE, WRITE);
            write(f, 0, utf8("x"));
            fs.close();
            fails(Errno.EBADF, () -> f.write(0, utf8("y"), 0, 1));
            fs = null;
        }
    }

    @Nested
    class NotRegularFiles {
        @Test
        void openOfADirectoryIsEISDIR() throws Exception {
            fs.mkdir("/d");
            fails(Errno.EISDIR, () -> fs.open("/d"));
            fails(Errno.EISDIR, () -> fs.open("/d", READ));
            fails(Errno.EISDIR, () -> fs.open("/d", WRITE));
            fails(Errno.EISDIR, () -> fs.open("/d", CREATE, WRITE));
            fails(Errno.EISDIR, () -> fs.open("/"));
            fails(Errno.EISDIR, () -> fs.open("/d/."));
            fails(Errno.EISDIR, () -> fs.open("/d/.."));
        }

        @Test
        void openOfASymlinkToADirectoryIsEISDIR() throws Exception {
            fs.mkdir("/d");
            fs.symlink("/d", "/l");
            fails(Errno.EISDIR, () -> fs.open("/l"));
        }
    }

    @Nested
    class Symlinks {
        @Test
        void noFollowLinksOnASymlinkIsELOOP() throws Exception {
            writeFile("/f", utf8("x"));
            fs.symlink("/f", "/l");
            fails(Errno.ELOOP, () -> fs.open("/l", LinkOption.NOFOLLOW_LINKS));
            fails(Errno.ELOOP, () -> fs.open("/l", LinkOption.NOFOLLOW_LINKS, WRITE, CREATE));
        }

        @Test
        void noFollowLinksStillFollowsLinksBeforeTheLastComponent() throws Exception {
            fs.mkdir("/d");
            writeFile("/d/f", utf8("inner"));
            fs.symlink("/d", "/dl");
            try (DaxFile f = fs.open("/dl/f", LinkOption.NOFOLLOW_LINKS)) {
                assertArrayEquals(utf8("inner"), readAll(f));
            }
        }

        @Test
        void noFollowLinksOnARegularFileOpensIt() throws Exception {
            writeFile("/f", utf8("x"));
            try (DaxFile f = fs.open("/f", LinkOption.NOFOLLOW_LINKS)) {
                assertEquals(1, f.size());
            }
        }

        @Test
        void openFollowsAnAbsoluteSymlink() throws Exception {
            fs.mkdir("/d");
            writeFile("/d/f", utf8("abs"));
            fs.symlink("/d/f", "/l");
            try (DaxFile f = fs.open("/l")) {
                assertArrayEquals(utf8("abs"), readAll(f));
                assertEquals(fs.stat("/d/f").ino(), f.stat().ino());
            }
        }

        @Test
        void aRelativeSymlinkIsResolvedFromTheDirectoryHoldingIt() throws Exception {
            fs.mkdir("/a");
            fs.mkdir("/a/b");
            writeFile("/a/f", utf8("in a"));
            writeFile("/a/b/f", utf8("in b"));
            writeFile("/f", utf8("in root"));
            fs.symlink("f", "/a/b/same");
            fs.symlink("../f", "/a/b/up");
            fs.symlink("../../f", "/a/b/upup");
            fs.symlink("./b/f", "/a/down");
            assertArrayEquals(utf8("in b"), readFile("/a/b/same"));
            assertArrayEquals(utf8("in a"), readFile("/a/b/up"));
            assertArrayEquals(utf8("in root"), readFile("/a/b/upup"));
            assertArrayEquals(utf8("in b"), readFile("/a/down"));
        }

        @Test
        void writesThroughASymlinkChangeTheTarget() throws Exception {
            writeFile("/t", utf8("old"));
            fs.symlink("t", "/l");
            try (DaxFile f = fs.open("/l", WRITE, TRUNCATE_EXISTING)) {
                write(f, 0, utf8("new!"));
            }
            assertArrayEquals(utf8("new!"), readFile("/t"));
            assertEquals(FileType.SYMLINK, fs.lstat("/l").type());
        }

        @Test
        void chainsOfSymlinksAreFollowed() throws Exception {
            fs.mkdir("/d");
            writeFile("/d/end", utf8("end of chain"));
            // l0 .. l19: even ones in /, odd ones in /d; targets alternate absolute and relative.
            fs.symlink("/d/end", "/l0");
            for (int i = 1; i < 20; i++) {
                String target = i % 2 == 1 ? "../l" + (i - 1)
                        : i % 4 == 2 ? "/d/l" + (i - 1) : "d/l" + (i - 1);
                fs.symlink(target, (i % 2 == 1 ? "/d/l" : "/l") + i);
            }
            assertArrayEquals(utf8("end of chain"), readFile("/d/l19"));
            assertArrayEquals(utf8("end of chain"), readFile("/l18"));
        }

        @Test
        void symlinksToDirectoriesInTheMiddleOfAPathAreFollowed() throws Exception {
            fs.mkdir("/real");
            fs.mkdir("/real/sub");
            writeFile("/real/sub/f", utf8("deep"));
            fs.symlink("/real", "/abs");
            fs.symlink("real/sub", "/rel");
            fs.symlink("../abs/sub", "/real/loopback");
            assertArrayEquals(utf8("deep"), readFile("/abs/sub/f"));
            assertArrayEquals(utf8("deep"), readFile("/rel/f"));
            assertArrayEquals(utf8("deep"), readFile("/real/loopback/f"));
            try (DaxFile f = fs.open("/abs/sub/new", CREATE, WRITE)) {
                write(f, 0, utf8("created via link"));
            }
            assertArrayEquals(utf8("created via link"), readFile("/real/sub/new"));
        }

        @Test
        void symlinkLoopsAreELOOP() throws Exception {
            fs.symlink("self", "/self");
            fs.symlink("/b", "/a");
            fs.symlink("/a", "/b");
            fs.mkdir("/d");
            fs.symlink("../d/loop", "/d/loop");
            fails(Errno.ELOOP, () -> fs.open("/self"));
            fails(Errno.ELOOP, () -> fs.open("/a"));
            fails(Errno.ELOOP, () -> fs.open("/a", CREATE, WRITE));
            fails(Errno.ELOOP, () -> fs.open("/d/loop", READ));
            fails(Errno.ELOOP, () -> fs.open("/a/x", CREATE, WRITE));
            fails(Errno.ELOOP, () -> fs.stat("/b"));
            assertTrue(fs.exists("/a"), "the loop itself is still there");
        }

        @Test
        void aChainLongerThanForty() throws Exception {
            writeFile("/end", utf8("x"));
            fs.symlink("/end", "/c0");
            for (int i = 1; i <= 45; i++) {
                fs.symlink("/c" + (i - 1), "/c" + i);
            }
            assertArrayEquals(utf8("x"), readFile("/c30"));
            fails(Errno.ELOOP, () -> fs.open("/c45"));
            fails(Errno.ELOOP, () -> fs.stat("/c45"));
        }
    }
}
