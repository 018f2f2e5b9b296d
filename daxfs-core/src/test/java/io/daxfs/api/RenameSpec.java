package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;
import io.daxfs.types.RenameOption;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** rename, with RENAME_NOREPLACE and RENAME_EXCHANGE (renameat2 semantics). */
class RenameSpec extends FsSpec {

    void touch(String path) throws DaxException {
        fs.open(path, CREATE_NEW, WRITE).close();
    }

    List<String> ls(String dir) throws DaxException {
        return fs.readdir(dir).stream().map(DirEntry::name).sorted().toList();
    }

    @Nested
    class Files {
        @Test
        void renameMovesTheNameAndKeepsTheInodeAndData() throws Exception {
            writeFile("/a", utf8("data"));
            long ino = fs.stat("/a").ino();
            fs.rename("/a", "/b");
            assertFalse(fs.exists("/a"));
            assertEquals(ino, fs.stat("/b").ino());
            assertArrayEquals(utf8("data"), readFile("/b"));
            assertEquals(List.of("b"), ls("/"));
        }

        @Test
        void renameAcrossDirectories() throws Exception {
            fs.mkdir("/x");
            fs.mkdir("/y");
            writeFile("/x/f", utf8("moved"));
            fs.rename("/x/f", "/y/g");
            assertEquals(List.of(), ls("/x"));
            assertEquals(List.of("g"), ls("/y"));
            assertArrayEquals(utf8("moved"), readFile("/y/g"));
            assertEquals(2, fs.stat("/x").nlink(), "moving a file does not change directory link counts");
            assertEquals(2, fs.stat("/y").nlink());
        }

        @Test
        void renameOverAnExistingFileReplacesItAndFreesIt() throws Exception {
            writeFile("/keep", utf8("new contents"));
            writeFile("/victim", pattern(400_000, 1));
            long free = freeBlocks();
            long inodes = freeInodes();
            long ino = fs.stat("/keep").ino();
            fs.rename("/keep", "/victim");
            assertFalse(fs.exists("/keep"));
            assertEquals(ino, fs.stat("/victim").ino());
            assertArrayEquals(utf8("new contents"), readFile("/victim"));
            assertEquals(free + (400_000 + BLOCK - 1) / BLOCK, freeBlocks(), "the replaced file's blocks are free");
            assertEquals(inodes + 1, freeInodes());
        }

        @Test
        void aReplacedFileThatIsOpenStaysUsableUntilClosed() throws Exception {
            writeFile("/a", utf8("winner"));
            writeFile("/b", utf8("loser"));
            try (DaxFile f = fs.open("/b", READ, WRITE)) {
                fs.rename("/a", "/b");
                assertEquals(0, f.stat().nlink());
                assertArrayEquals(utf8("loser"), readAll(f));
                write(f, 5, utf8("!"));
                assertArrayEquals(utf8("loser!"), readAll(f));
            }
            assertArrayEquals(utf8("winner"), readFile("/b"));
        }

        @Test
        void anOpenFileKeepsWorkingAfterItsRename() throws Exception {
            try (DaxFile f = fs.open("/a", CREATE_NEW, READ, WRITE)) {
                write(f, 0, utf8("before"));
                fs.rename("/a", "/b");
                write(f, 6, utf8(" after"));
            }
            assertArrayEquals(utf8("before after"), readFile("/b"));
        }

        @Test
        void renameOntoItselfOrAHardLinkOfItselfIsANoOp() throws Exception {
            writeFile("/a", utf8("x"));
            fs.link("/a", "/b");
            fs.rename("/a", "/a");
            fs.rename("/a", "/b");
            assertTrue(fs.exists("/a"), "POSIX: both names stay");
            assertTrue(fs.exists("/b"));
            assertEquals(2, fs.stat("/a").nlink());
            assertArrayEquals(utf8("x"), readFile("/b"));
        }

        @Test
        void renameOfASymlinkMovesTheLinkItself() throws Exception {
            writeFile("/t", utf8("t"));
            fs.symlink("/t", "/l");
            fs.rename("/l", "/m");
            assertEquals(FileType.SYMLINK, fs.lstat("/m").type());
            assertEquals("/t", fs.readlink("/m"));
            assertTrue(fs.exists("/t"));
        }

        @Test
        void renameUpdatesTheParentsTimes() throws Exception {
            fs.mkdir("/x");
            fs.mkdir("/y");
            touch("/x/f");
            fs.utimes("/x", 1_000L, 2_000L);
            fs.utimes("/y", 1_000L, 2_000L);
            fs.rename("/x/f", "/y/f");
            assertTrue(fs.stat("/x").mtimeNs() > 2_000L);
            assertTrue(fs.stat("/y").mtimeNs() > 2_000L);
        }
    }

    @Nested
    class Directories {
        @Test
        void renameOfADirectoryAcrossParentsUpdatesLinkCountsAndDotDot() throws Exception {
            fs.mkdir("/p");
            fs.mkdir("/q");
            fs.mkdir("/p/d");
            fs.mkdir("/p/d/child");
            touch("/p/d/child/f");
            assertEquals(3, fs.stat("/p").nlink());
            assertEquals(2, fs.stat("/q").nlink());
            fs.rename("/p/d", "/q/d2");
            assertEquals(2, fs.stat("/p").nlink());
            assertEquals(3, fs.stat("/q").nlink());
            assertEquals(3, fs.stat("/q/d2").nlink(), "its own count is unchanged");
            assertEquals(fs.stat("/q").ino(), fs.stat("/q/d2/..").ino(), "'..' is the new parent");
            assertTrue(fs.exists("/q/d2/child/f"));
            assertTrue(fs.exists("/q/d2/child/../../d2/child/f"));
            assertFalse(fs.exists("/p/d"));
        }

        @Test
        void renameOfADirectoryWithinItsParentKeepsLinkCounts() throws Exception {
            fs.mkdir("/p");
            fs.mkdir("/p/a");
            fs.rename("/p/a", "/p/b");
            assertEquals(3, fs.stat("/p").nlink());
            assertEquals(fs.stat("/p").ino(), fs.stat("/p/b/..").ino());
        }

        @Test
        void renameOfADirectoryOverAnEmptyDirectoryReplacesIt() throws Exception {
            fs.mkdir("/p");
            fs.mkdir("/p/src");
            touch("/p/src/f");
            fs.mkdir("/p/empty");
            assertEquals(4, fs.stat("/p").nlink());
            long ino = fs.stat("/p/src").ino();
            fs.rename("/p/src", "/p/empty");
            assertEquals(ino, fs.stat("/p/empty").ino());
            assertTrue(fs.exists("/p/empty/f"));
            assertEquals(3, fs.stat("/p").nlink(), "one subdirectory fewer");
            assertEquals(List.of("empty"), ls("/p"));
        }

        @Test
        void renameOfADirectoryOverAnEmptyDirectoryInAnotherParent() throws Exception {
            fs.mkdir("/a");
            fs.mkdir("/a/src");
            fs.mkdir("/b");
            fs.mkdir("/b/empty");
            long inodes = freeInodes();
            fs.rename("/a/src", "/b/empty");
            assertEquals(2, fs.stat("/a").nlink());
            assertEquals(3, fs.stat("/b").nlink());
            assertEquals(fs.stat("/b").ino(), fs.stat("/b/empty/..").ino());
            assertEquals(inodes + 1, freeInodes(), "the replaced directory is freed");
        }

        @Test
        void renameOverANonEmptyDirectoryIsENOTEMPTY() throws Exception {
            fs.mkdir("/src");
            fs.mkdir("/full");
            touch("/full/f");
            fails(Errno.ENOTEMPTY, () -> fs.rename("/src", "/full"));
            assertTrue(fs.exists("/src"));
            assertTrue(fs.exists("/full/f"));
        }

        @Test
        void renameOfADirectoryOverItsOwnAncestorIsENOTEMPTY() throws Exception {
            fs.mkdir("/a");
            fs.mkdir("/a/b");
            fails(Errno.ENOTEMPTY, () -> fs.rename("/a/b", "/a"));
            assertTrue(fs.exists("/a/b"));
        }

        @Test
        void aFileOverADirectoryIsEISDIR() throws Exception {
            touch("/f");
            fs.mkdir("/d");
            fails(Errno.EISDIR, () -> fs.rename("/f", "/d"));
            assertEquals(FileType.REGULAR, fs.stat("/f").type());
            assertEquals(FileType.DIRECTORY, fs.stat("/d").type());
        }

        @Test
        void aDirectoryOverAFileIsENOTDIR() throws Exception {
            touch("/f");
            fs.mkdir("/d");
            fails(Errno.ENOTDIR, () -> fs.rename("/d", "/f"));
            fs.symlink("/d", "/l");
            fails(Errno.ENOTDIR, () -> fs.rename("/d", "/l"), "a symlink to a directory is not a directory");
            assertEquals(FileType.DIRECTORY, fs.stat("/d").type());
        }

        @Test
        void aDirectoryIntoItsOwnSubtreeIsEINVAL() throws Exception {
            fs.mkdir("/a");
            fs.mkdir("/a/b");
            fs.mkdir("/a/b/c");
            fails(Errno.EINVAL, () -> fs.rename("/a", "/a/x"));
            fails(Errno.EINVAL, () -> fs.rename("/a", "/a/b/x"));
            fails(Errno.EINVAL, () -> fs.rename("/a", "/a/b/c/x"));
            fails(Errno.EINVAL, () -> fs.rename("/a", "/a/b/c"), "also over an existing empty directory");
            fs.symlink("/a/b", "/lb");
            fails(Errno.EINVAL, () -> fs.rename("/a", "/lb/x"), "also through a symlink");
            assertTrue(fs.exists("/a/b/c"));
            assertEquals(3, fs.stat("/").nlink());
        }

        @Test
        void directoriesMoveUpAndDownTheTree() throws Exception {
            fs.mkdir("/a");
            fs.mkdir("/a/b");
            fs.mkdir("/a/b/c");
            touch("/a/b/c/f");
            fs.rename("/a/b/c", "/c");            // up, into an ancestor of its old parent
            assertEquals(fs.stat("/").ino(), fs.stat("/c/..").ino());
            assertEquals(2, fs.stat("/a/b").nlink());
            assertEquals(4, fs.stat("/").nlink());
            fs.rename("/c", "/a/b/c2");           // down, into a descendant of a sibling
            assertEquals(fs.stat("/a/b").ino(), fs.stat("/a/b/c2/..").ino());
            assertEquals(3, fs.stat("/a/b").nlink());
            assertEquals(3, fs.stat("/").nlink());
            fs.rename("/a/b", "/b");              // a directory with a subtree, up
            assertTrue(fs.exists("/b/c2/f"));
            assertEquals(2, fs.stat("/a").nlink());
            assertEquals(4, fs.stat("/").nlink());
        }

        @Test
        void theRootCannotBeRenamedEBUSY() throws Exception {
            fs.mkdir("/d");
            fails(Errno.EBUSY, () -> fs.rename("/", "/x"));
            fails(Errno.EBUSY, () -> fs.rename("/d", "/"));
        }
    }

    @Nested
    class Errors {
        @Test
        void aMissingSourceIsENOENT() throws Exception {
            fs.mkdir("/d");
            fails(Errno.ENOENT, () -> fs.rename("/missing", "/x"));
            fails(Errno.ENOENT, () -> fs.rename("/missing/f", "/x"));
            fails(Errno.ENOENT, () -> fs.rename("/d/missing", "/d/x"));
        }

        @Test
        void aMissingTargetDirectoryIsENOENTAndAFileInThePathENOTDIR() throws Exception {
            touch("/f");
            fails(Errno.ENOENT, () -> fs.rename("/f", "/missing/g"));
            fails(Errno.ENOTDIR, () -> fs.rename("/f", "/f/g"));
            assertTrue(fs.exists("/f"));
        }
    }

    @Nested
    class NoReplace {
        @Test
        void noReplaceOverAnExistingNameIsEEXIST() throws Exception {
            writeFile("/a", utf8("a"));
            writeFile("/b", utf8("b"));
            fs.mkdir("/d");
            fails(Errno.EEXIST, () -> fs.rename("/a", "/b", RenameOption.NOREPLACE));
            fails(Errno.EEXIST, () -> fs.rename("/a", "/d", RenameOption.NOREPLACE));
            assertArrayEquals(utf8("a"), readFile("/a"));
            assertArrayEquals(utf8("b"), readFile("/b"));
        }

        @Test
        void noReplaceToAFreeNameRenames() throws Exception {
            writeFile("/a", utf8("a"));
            fs.rename("/a", "/c", RenameOption.NOREPLACE);
            assertArrayEquals(utf8("a"), readFile("/c"));
            assertFalse(fs.exists("/a"));
        }

        @Test
        void noReplaceGivenTwiceCountsOnce() throws Exception {
            writeFile("/a", utf8("a"));
            writeFile("/b", utf8("b"));
            fails(Errno.EEXIST, () -> fs.rename("/a", "/b", RenameOption.NOREPLACE, RenameOption.NOREPLACE));
            fs.rename("/a", "/c", RenameOption.NOREPLACE, RenameOption.NOREPLACE);
            assertArrayEquals(utf8("a"), readFile("/c"));
        }
    }

    @Nested
    class Exchange {
        @Test
        void exchangeSwapsTwoFiles() throws Exception {
            writeFile("/a", utf8("A"));
            writeFile("/b", utf8("B"));
            long ia = fs.stat("/a").ino();
            long ib = fs.stat("/b").ino();
            fs.rename("/a", "/b", RenameOption.EXCHANGE);
            assertArrayEquals(utf8("B"), readFile("/a"));
            assertArrayEquals(utf8("A"), readFile("/b"));
            assertEquals(ib, fs.stat("/a").ino());
            assertEquals(ia, fs.stat("/b").ino());
        }

        @Test
        void exchangeChangesBothFilesCtime() throws Exception {
            writeFile("/a", utf8("A"));
            writeFile("/b", utf8("B"));
            long ca = fs.stat("/a").ctimeNs();
            long cb = fs.stat("/b").ctimeNs();
            Thread.sleep(2); // a later clock reading than the writes'
            fs.rename("/a", "/b", RenameOption.EXCHANGE);
            assertTrue(fs.stat("/b").ctimeNs() > ca, "the file now at /b (was /a)");
            assertTrue(fs.stat("/a").ctimeNs() > cb, "the file now at /a (was /b)");
        }

        @Test
        void exchangeSwapsAFileAndADirectoryAcrossParents() throws Exception {
            fs.mkdir("/x");
            fs.mkdir("/y");
            writeFile("/x/f", utf8("file"));
            fs.mkdir("/y/d");
            touch("/y/d/inside");
            assertEquals(2, fs.stat("/x").nlink());
            assertEquals(3, fs.stat("/y").nlink());
            fs.rename("/x/f", "/y/d", RenameOption.EXCHANGE);
            assertEquals(FileType.DIRECTORY, fs.stat("/x/f").type());
            assertTrue(fs.exists("/x/f/inside"));
            assertArrayEquals(utf8("file"), readFile("/y/d"));
            assertEquals(3, fs.stat("/x").nlink(), "gained a subdirectory");
            assertEquals(2, fs.stat("/y").nlink(), "lost one");
            assertEquals(fs.stat("/x").ino(), fs.stat("/x/f/..").ino());
            List<DirEntry> x = fs.readdir("/x");
            assertEquals(FileType.DIRECTORY, x.getFirst().type(), "the entry's type follows the inode");
        }

        @Test
        void exchangeSwapsTwoDirectoriesAcrossParents() throws Exception {
            fs.mkdir("/x");
            fs.mkdir("/y");
            fs.mkdir("/x/a");
            fs.mkdir("/y/b");
            touch("/x/a/from-a");
            fs.rename("/x/a", "/y/b", RenameOption.EXCHANGE);
            assertTrue(fs.exists("/y/b/from-a"));
            assertEquals(fs.stat("/y").ino(), fs.stat("/y/b/..").ino());
            assertEquals(fs.stat("/x").ino(), fs.stat("/x/a/..").ino());
            assertEquals(3, fs.stat("/x").nlink());
            assertEquals(3, fs.stat("/y").nlink());
        }

        @Test
        void exchangeNeedsBothNamesENOENT() throws Exception {
            touch("/a");
            fails(Errno.ENOENT, () -> fs.rename("/a", "/missing", RenameOption.EXCHANGE));
            fails(Errno.ENOENT, () -> fs.rename("/missing", "/a", RenameOption.EXCHANGE));
            assertTrue(fs.exists("/a"));
            assertFalse(fs.exists("/missing"));
        }

        @Test
        void exchangeTogetherWithNoReplaceIsEINVAL() throws Exception {
            touch("/a");
            touch("/b");
            fails(Errno.EINVAL, () -> fs.rename("/a", "/b", RenameOption.EXCHANGE, RenameOption.NOREPLACE));
            assertEquals(List.of("a", "b"), ls("/"));
        }

        @Test
        void exchangeOfADirectoryWithItsOwnDescendantIsEINVAL() throws Exception {
            fs.mkdir("/a");
            fs.mkdir("/a/b");
            fails(Errno.EINVAL, () -> fs.rename("/a", "/a/b", RenameOption.EXCHANGE));
            fails(Errno.EINVAL, () -> fs.rename("/a/b", "/a", RenameOption.EXCHANGE));
            assertTrue(fs.exists("/a/b"));
        }

        @Test
        void exchangeWithItselfChangesNothing() throws Exception {
            writeFile("/a", utf8("A"));
            fs.rename("/a", "/a", RenameOption.EXCHANGE);
            assertArrayEquals(utf8("A"), readFile("/a"));
        }
    }
}
