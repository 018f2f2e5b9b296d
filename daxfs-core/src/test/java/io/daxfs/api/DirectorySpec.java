package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.FormatOptions;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** mkdir, rmdir and readdir, and the link counts of directories. */
class DirectorySpec extends FsSpec {

    void touch(String path) throws DaxException {
        fs.open(path, CREATE_NEW, WRITE).close();
    }

    static List<String> names(List<DirEntry> entries) {
        return entries.stream().map(DirEntry::name).sorted().toList();
    }

    @Nested
    class Mkdir {
        @Test
        void mkdirMakesAnEmptyDirectoryWithMode0755() throws Exception {
            fs.mkdir("/d");
            FileStat st = fs.stat("/d");
            assertEquals(FileType.DIRECTORY, st.type());
            assertEquals(040755, st.mode());
            assertEquals(2, st.nlink());
            assertEquals(List.of(), fs.readdir("/d"));
        }

        @Test
        void mkdirWithAModeUsesItsPermissionBits() throws Exception {
            fs.mkdir("/d", 0700);
            assertEquals(040700, fs.stat("/d").mode());
            fs.mkdir("/e", 01777);
            assertEquals(01777, fs.stat("/e").permissions());
        }

        @Test
        void nestedDirectoriesAreCreatedOneLevelAtATime() throws Exception {
            fails(Errno.ENOENT, () -> fs.mkdir("/a/b"));
            fs.mkdir("/a");
            fs.mkdir("/a/b");
            fs.mkdir("/a/b/c");
            assertEquals(FileType.DIRECTORY, fs.stat("/a/b/c").type());
        }

        @Test
        void mkdirOfAnExistingNameIsEEXIST() throws Exception {
            fs.mkdir("/d");
            touch("/f");
            fs.symlink("/nowhere", "/l");
            fails(Errno.EEXIST, () -> fs.mkdir("/d"));
            fails(Errno.EEXIST, () -> fs.mkdir("/f"));
            fails(Errno.EEXIST, () -> fs.mkdir("/l"));
            fails(Errno.EEXIST, () -> fs.mkdir("/"));
            fails(Errno.EEXIST, () -> fs.mkdir("/d/."));
            fails(Errno.EEXIST, () -> fs.mkdir("/d/.."));
            assertEquals(FileType.REGULAR, fs.stat("/f").type());
        }

        @Test
        void mkdirUnderAFileIsENOTDIR() throws Exception {
            touch("/f");
            fails(Errno.ENOTDIR, () -> fs.mkdir("/f/d"));
            fails(Errno.ENOTDIR, () -> fs.mkdir("/f/d/e"));
        }

        @Test
        void mkdirUnderAMissingParentIsENOENT() {
            fails(Errno.ENOENT, () -> fs.mkdir("/missing/d"));
        }

        @Test
        void mkdirTakesAnInode() throws Exception {
            long inodes = freeInodes();
            fs.mkdir("/d");
            assertEquals(inodes - 1, freeInodes());
        }
    }

    @Nested
    class Rmdir {
        @Test
        void rmdirRemovesAnEmptyDirectory() throws Exception {
            fs.mkdir("/d");
            fs.rmdir("/d");
            assertFalse(fs.exists("/d"));
            fails(Errno.ENOENT, () -> fs.stat("/d"));
            fs.mkdir("/d");
            assertEquals(List.of(), fs.readdir("/d"), "a new directory under the old name");
        }

        @Test
        void aDirectoryThatHadEntriesCanBeRemovedOnceEmpty() throws Exception {
            fs.mkdir("/d");
            for (int i = 0; i < 300; i++) {
                touch("/d/file-with-a-longish-name-" + i);
            }
            fails(Errno.ENOTEMPTY, () -> fs.rmdir("/d"));
            for (int i = 0; i < 300; i++) {
                fs.unlink("/d/file-with-a-longish-name-" + i);
            }
            fs.rmdir("/d");
            assertFalse(fs.exists("/d"));
        }

        @Test
        void rmdirOfANonEmptyDirectoryIsENOTEMPTY() throws Exception {
            fs.mkdir("/d");
            touch("/d/f");
            fails(Errno.ENOTEMPTY, () -> fs.rmdir("/d"));
            fs.mkdir("/e");
            fs.mkdir("/e/sub");
            fails(Errno.ENOTEMPTY, () -> fs.rmdir("/e"));
            fs.mkdir("/s");
            fs.symlink("/d", "/s/link");
            fails(Errno.ENOTEMPTY, () -> fs.rmdir("/s"));
            assertTrue(fs.exists("/d/f"));
        }

        @Test
        void rmdirOfAFileOrSymlinkIsENOTDIR() throws Exception {
            touch("/f");
            fs.mkdir("/d");
            fs.symlink("/d", "/l");
            fails(Errno.ENOTDIR, () -> fs.rmdir("/f"));
            fails(Errno.ENOTDIR, () -> fs.rmdir("/l"));
            assertTrue(fs.exists("/f"));
            assertTrue(fs.exists("/d"));
        }

        @Test
        void rmdirOfTheRootIsEBUSY() {
            fails(Errno.EBUSY, () -> fs.rmdir("/"));
            fails(Errno.EBUSY, () -> fs.rmdir("//"));
        }

        @Test
        void rmdirOfDotIsEINVALAndOfDotDotENOTEMPTY() throws Exception {
            fs.mkdir("/d");
            fails(Errno.EINVAL, () -> fs.rmdir("/d/."));
            fails(Errno.ENOTEMPTY, () -> fs.rmdir("/d/.."));
            assertTrue(fs.exists("/d"));
        }

        @Test
        void rmdirOfAMissingNameIsENOENT() throws Exception {
            fails(Errno.ENOENT, () -> fs.rmdir("/missing"));
            fails(Errno.ENOENT, () -> fs.rmdir("/missing/d"));
        }
    }

    @Nested
    class LinkCounts {
        @Test
        void aDirectoryHasTwoLinksPlusOnePerSubdirectory() throws Exception {
            assertEquals(2, fs.stat("/").nlink());
            fs.mkdir("/a");
            assertEquals(3, fs.stat("/").nlink());
            fs.mkdir("/a/x");
            fs.mkdir("/a/y");
            assertEquals(4, fs.stat("/a").nlink());
            touch("/a/file");
            fs.symlink("/", "/a/link");
            assertEquals(4, fs.stat("/a").nlink(), "files and symlinks do not count");
            fs.rmdir("/a/x");
            assertEquals(3, fs.stat("/a").nlink());
            fs.rmdir("/a/y");
            fs.unlink("/a/file");
            fs.unlink("/a/link");
            fs.rmdir("/a");
            assertEquals(2, fs.stat("/").nlink());
        }
    }

    @Test
    @org.junit.jupiter.api.Tag("long")
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "daxfs.test.long", matches = "true")
    void aDirectoryHoldsAtMost64998SubdirectoriesEMLINK() throws Exception {
        fs.close();
        fs = DaxFileSystem.formatMemory(128L << 20, FormatOptions.DEFAULT.withInodes(70_000));
        fs.mkdir("/p");
        for (int i = 0; i < 64_998; i++) {
            fs.mkdir("/p/" + i);
        }
        assertEquals(65_000, fs.stat("/p").nlink());
        fails(Errno.EMLINK, () -> fs.mkdir("/p/one-too-many"));
        fs.mkdir("/elsewhere");
        fails(Errno.EMLINK, () -> fs.rename("/elsewhere", "/p/moved"));
        touch("/p/a-file-is-fine");
        fs.rmdir("/p/0");
        fs.rename("/elsewhere", "/p/moved");
        assertEquals(65_000, fs.stat("/p").nlink());
    }

    @Nested
    class Readdir {
        @Test
        void readdirListsEveryNameWithItsTypeAndInodeButNotDotOrDotDot() throws Exception {
            fs.mkdir("/d");
            touch("/d/file");
            fs.mkdir("/d/sub");
            fs.symlink("file", "/d/link");
            Map<String, DirEntry> byName = fs.readdir("/d").stream()
                    .collect(Collectors.toMap(DirEntry::name, e -> e, (x, y) -> x, TreeMap::new));
            assertEquals(Set.of("file", "sub", "link"), byName.keySet());
            assertEquals(FileType.REGULAR, byName.get("file").type());
            assertEquals(FileType.DIRECTORY, byName.get("sub").type());
            assertEquals(FileType.SYMLINK, byName.get("link").type());
            assertEquals(fs.stat("/d/file").ino(), byName.get("file").ino());
            assertEquals(fs.stat("/d/sub").ino(), byName.get("sub").ino());
            assertEquals(fs.lstat("/d/link").ino(), byName.get("link").ino());
        }

        @Test
        void readdirOfAnEmptyDirectoryIsEmpty() throws Exception {
            assertEquals(List.of(), fs.readdir("/"));
            fs.mkdir("/d");
            touch("/d/x");
            fs.unlink("/d/x");
            assertEquals(List.of(), fs.readdir("/d"));
        }

        @Test
        void readdirSeesAddsAndRemoves() throws Exception {
            touch("/a");
            touch("/b");
            assertEquals(List.of("a", "b"), names(fs.readdir("/")));
            fs.unlink("/a");
            touch("/c");
            assertEquals(List.of("b", "c"), names(fs.readdir("/")));
        }

        @Test
        void readdirOfAFileIsENOTDIRAndOfAMissingNameENOENT() throws Exception {
            touch("/f");
            fails(Errno.ENOTDIR, () -> fs.readdir("/f"));
            fails(Errno.ENOENT, () -> fs.readdir("/missing"));
        }

        @Test
        void readdirFollowsASymlinkToADirectory() throws Exception {
            fs.mkdir("/d");
            touch("/d/inside");
            fs.symlink("/d", "/l");
            assertEquals(List.of("inside"), names(fs.readdir("/l")));
        }

        @Test
        void largeDirectoriesListEveryEntryExactlyOnce() throws Exception {
            fs.mkdir("/big");
            Set<String> expected = new HashSet<>();
            for (int i = 0; i < 2000; i++) {
                String name = "entry-" + i + "-" + "x".repeat(i % 200);
                touch("/big/" + name);
                expected.add(name);
            }
            List<DirEntry> all = fs.readdir("/big");
            assertEquals(2000, all.size());
            assertEquals(expected, all.stream().map(DirEntry::name).collect(Collectors.toSet()));
        }

        @Test
        void cookiesAreIncreasingAndDistinct() throws Exception {
            for (int i = 0; i < 100; i++) {
                touch("/f" + i);
            }
            long prev = 0;
            for (DirEntry e : fs.readdir("/")) {
                assertTrue(e.cookie() > prev, "cookies increase in listing order");
                prev = e.cookie();
            }
        }
    }

    @Nested
    class Pagination {
        void populate(int n) throws DaxException {
            fs.mkdir("/d");
            for (int i = 0; i < n; i++) {
                touch("/d/n" + i + "_" + "p".repeat(i % 50));
            }
        }

        List<DirEntry> pageThrough(int pageSize) throws DaxException {
            List<DirEntry> out = new ArrayList<>();
            long cookie = 0;
            while (true) {
                List<DirEntry> page = fs.readdir("/d", cookie, pageSize);
                assertTrue(page.size() <= pageSize);
                if (page.isEmpty()) {
                    return out;
                }
                out.addAll(page);
                cookie = page.getLast().cookie();
            }
        }

        @Test
        void pagesConcatenateToTheFullListing() throws Exception {
            populate(500);
            List<DirEntry> full = fs.readdir("/d");
            assertEquals(full, pageThrough(7));
            assertEquals(full, pageThrough(1));
            assertEquals(full, pageThrough(499));
            assertEquals(full.subList(0, 10), fs.readdir("/d", 0, 10));
        }

        @Test
        void aCookieStaysValidWhenEntriesBeforeItAreRemoved() throws Exception {
            populate(300);
            List<DirEntry> full = fs.readdir("/d");
            List<DirEntry> first = fs.readdir("/d", 0, 100);
            long cookie = first.getLast().cookie();
            for (DirEntry e : first) {
                fs.unlink("/d/" + e.name());
            }
            List<DirEntry> rest = fs.readdir("/d", cookie, Integer.MAX_VALUE);
            assertEquals(full.subList(100, 300), rest, "continues exactly after the last entry seen");
        }

        @Test
        void aCookieStaysValidWhenTheEntryItNamesIsRemoved() throws Exception {
            populate(50);
            List<DirEntry> full = fs.readdir("/d");
            long cookie = full.get(19).cookie();
            fs.unlink("/d/" + full.get(19).name());
            fs.unlink("/d/" + full.get(20).name());
            assertEquals(full.subList(21, 50), fs.readdir("/d", cookie, 1000));
        }

        @Test
        void entriesRemovedAfterTheCookieAreNotListedAndTheOthersAre() throws Exception {
            populate(60);
            List<DirEntry> full = fs.readdir("/d");
            long cookie = full.get(9).cookie();
            fs.unlink("/d/" + full.get(30).name());
            List<DirEntry> expect = new ArrayList<>(full.subList(10, 60));
            expect.remove(full.get(30));
            assertEquals(expect, fs.readdir("/d", cookie, 1000));
        }

        @Test
        void aCookiePastTheEndGivesNothing() throws Exception {
            populate(5);
            List<DirEntry> full = fs.readdir("/d");
            assertEquals(List.of(), fs.readdir("/d", full.getLast().cookie(), 10));
            assertEquals(List.of(), fs.readdir("/d", Long.MAX_VALUE / 2, 10));
            assertEquals(List.of(), fs.readdir("/d", 0, 0));
            assertNotEquals(0, full.getFirst().cookie(), "0 means the start, no entry has it");
        }
    }

    @Nested
    class Times {
        @Test
        void addingAndRemovingEntriesUpdatesTheDirectoryTimes() throws Exception {
            fs.mkdir("/d");
            fs.utimes("/d", 1_000L, 2_000L);
            touch("/d/f");
            FileStat st = fs.stat("/d");
            assertEquals(1_000L, st.atimeNs());
            assertTrue(st.mtimeNs() > 2_000L);
            fs.utimes("/d", 1_000L, 2_000L);
            fs.unlink("/d/f");
            assertTrue(fs.stat("/d").mtimeNs() > 2_000L);
            fs.utimes("/d", 1_000L, 2_000L);
            fs.mkdir("/d/sub");
            assertTrue(fs.stat("/d").mtimeNs() > 2_000L);
            fs.utimes("/d", 1_000L, 2_000L);
            fs.rmdir("/d/sub");
            assertTrue(fs.stat("/d").mtimeNs() > 2_000L);
        }
    }
}
