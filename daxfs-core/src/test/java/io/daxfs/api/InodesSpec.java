package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.FsckReport;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;
import io.daxfs.types.RenameOption;
import io.daxfs.types.SetAttr;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.daxfs.api.DaxInodes.ROOT;
import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DaxInodes: the file system by inode number (the FUSE low-level API). Every operation names
 * its directory by number; the results match the path API's, and so do the errors.
 */
class InodesSpec extends FsSpec {
    static final int UID = 1234;
    static final int GID = 5678;

    DaxInodes in;

    @BeforeEach
    void inodes() {
        in = fs.inodes();
    }

    // ---------------------------------------------------------------- getattr, lookup, generation

    @Test
    void theRootIsInodeOneAndTheInstanceIsShared() throws Exception {
        assertSame(in, fs.inodes());
        FileStat root = in.getattr(ROOT);
        assertEquals(FileType.DIRECTORY, root.type());
        assertEquals(fs.stat("/").ino(), ROOT);
        assertEquals(root, fs.stat("/"));
    }

    @Test
    void getattrOfADeadNumberIsENOENT() throws Exception {
        long total = fs.statfs().totalInodes();
        for (long bad : new long[]{0, -1, 2, 3, 17, total - 1, total, total + 1, Long.MAX_VALUE, Long.MIN_VALUE}) {
            fails(Errno.ENOENT, () -> in.getattr(bad), "getattr " + bad);
            fails(Errno.ENOENT, () -> in.open(bad, READ), "open " + bad);
            fails(Errno.ENOENT, () -> in.lookup(bad, "x"), "lookup in " + bad);
            fails(Errno.ENOENT, () -> in.generation(bad), "generation " + bad);
            fails(Errno.ENOENT, () -> in.readdir(bad, 0, 10), "readdir " + bad);
            fails(Errno.ENOENT, () -> in.mkdir(bad, "d", 0755, UID, GID), "mkdir in " + bad);
            fails(Errno.ENOENT, () -> in.setattr(bad, SetAttr.NONE.withMode(0600)), "setattr " + bad);
        }
    }


    @Test
    void lookupFindsAnEntryWithoutFollowingSymlinks() throws Exception {
        fs.mkdir("/a");
        writeFile("/a/f", utf8("hello"));
        fs.symlink("f", "/a/s");
        long a = fs.stat("/a").ino();
        assertEquals(fs.stat("/a/f"), in.lookup(a, "f"));
        FileStat s = in.lookup(a, "s");
        assertEquals(FileType.SYMLINK, s.type());
        assertEquals(fs.lstat("/a/s").ino(), s.ino());
        assertEquals(in.getattr(s.ino()), s);
        assertEquals(5, in.getattr(in.lookup(a, "f").ino()).size());
    }

    @Test
    void lookupOfDotAndDotDot() throws Exception {
        fs.mkdir("/a");
        fs.mkdir("/a/b");
        long a = fs.stat("/a").ino();
        long b = fs.stat("/a/b").ino();
        assertEquals(b, in.lookup(b, ".").ino());
        assertEquals(a, in.lookup(b, "..").ino());
        assertEquals(ROOT, in.lookup(a, "..").ino());
        assertEquals(ROOT, in.lookup(ROOT, "..").ino(), "'..' of the root is the root");
        assertEquals(ROOT, in.lookup(ROOT, ".").ino());
    }

    @Test
    void lookupErrors() throws Exception {
        writeFile("/f", utf8("x"));
        long f = fs.stat("/f").ino();
        fails(Errno.ENOTDIR, () -> in.lookup(f, "x"));
        fails(Errno.ENOTDIR, () -> in.lookup(f, "."));
        fails(Errno.ENOENT, () -> in.lookup(ROOT, "missing"));
        fails(Errno.ENOENT, () -> in.lookup(ROOT, ""));
        fails(Errno.ENAMETOOLONG, () -> in.lookup(ROOT, "n".repeat(256)));
        fails(Errno.EINVAL, () -> in.lookup(ROOT, "a\0b"));
        fails(Errno.EINVAL, () -> in.lookup(ROOT, "a/b"));
        DaxException e = fails(Errno.ENOENT, () -> in.lookup(ROOT, "missing"));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }


    // ---------------------------------------------------------------- creating

    @Test
    void mkdirRecordsTheGivenOwnerAndMode() throws Exception {
        FileStat d = in.mkdir(ROOT, "d", 0750, UID, GID);
        assertEquals(FileType.DIRECTORY, d.type());
        assertEquals(0750, d.permissions());
        assertEquals(UID, d.uid());
        assertEquals(GID, d.gid());
        assertEquals(2, d.nlink());
        assertEquals(d, fs.stat("/d"));
        assertEquals(3, fs.stat("/").nlink());
        FileStat e = in.mkdir(d.ino(), "e", 0700, 7, 8);
        assertEquals(e.ino(), fs.stat("/d/e").ino());
        assertEquals(7, e.uid());
        assertEquals(8, e.gid());
        assertEquals(d.ino(), in.lookup(e.ino(), "..").ino());
    }

    @Test
    void creationErrors() throws Exception {
        in.mkdir(ROOT, "d", 0755, UID, GID);
        long f = in.mknod(ROOT, "f", 0644, UID, GID).ino();
        fails(Errno.EEXIST, () -> in.mkdir(ROOT, "d", 0755, UID, GID));
        fails(Errno.EEXIST, () -> in.mkdir(ROOT, "f", 0755, UID, GID));
        fails(Errno.EEXIST, () -> in.mkdir(ROOT, ".", 0755, UID, GID));
        fails(Errno.EEXIST, () -> in.mkdir(ROOT, "..", 0755, UID, GID));
        fails(Errno.EEXIST, () -> in.mknod(ROOT, "d", 0644, UID, GID));
        fails(Errno.EEXIST, () -> in.symlink(ROOT, "f", "t", UID, GID));
        fails(Errno.ENOTDIR, () -> in.mkdir(f, "x", 0755, UID, GID));
        fails(Errno.ENOTDIR, () -> in.mknod(f, "x", 0644, UID, GID));
        fails(Errno.ENOTDIR, () -> in.create(f, "x", 0644, UID, GID, true, WRITE));
        fails(Errno.ENAMETOOLONG, () -> in.mkdir(ROOT, "n".repeat(256), 0755, UID, GID));
        fails(Errno.EINVAL, () -> in.mkdir(ROOT, "a/b", 0755, UID, GID));
        fails(Errno.EINVAL, () -> in.mknod(ROOT, "a\0", 0644, UID, GID));
        fails(Errno.ENOENT, () -> in.mkdir(ROOT, "", 0755, UID, GID));
        assertEquals(List.of("d", "f"), names(fs.readdir("/")));
    }

    @Test
    void createMakesAndOpensARegularFile() throws Exception {
        DaxInodes.Created c = in.create(ROOT, "f", 0640, UID, GID, true, READ, WRITE);
        try (DaxFile f = c.file()) {
            assertEquals(FileType.REGULAR, c.stat().type());
            assertEquals(0640, c.stat().permissions());
            assertEquals(UID, c.stat().uid());
            assertEquals(GID, c.stat().gid());
            assertEquals(1, c.stat().nlink());
            assertEquals(c.stat().ino(), fs.stat("/f").ino());
            write(f, 0, utf8("hello"));
            assertArrayEquals(utf8("hello"), read(f, 0, 5));
        }
        assertArrayEquals(utf8("hello"), readFile("/f"));
    }

    @Test
    void createOfAnExistingName() throws Exception {
        writeFile("/f", utf8("hello"));
        fs.mkdir("/d");
        fs.symlink("f", "/s");
        fails(Errno.EEXIST, () -> in.create(ROOT, "f", 0644, UID, GID, true, WRITE), "exclusive");
        DaxInodes.Created c = in.create(ROOT, "f", 0600, UID, GID, false, READ, WRITE);
        try (DaxFile f = c.file()) {
            assertEquals(fs.stat("/f").ino(), c.stat().ino());
            assertEquals(0644, c.stat().permissions(), "the existing file is opened, not changed");
            assertArrayEquals(utf8("hello"), readAll(f));
        }
        try (DaxFile f = in.create(ROOT, "f", 0644, UID, GID, false, WRITE, TRUNCATE_EXISTING).file()) {
            assertEquals(0, f.size());
        }
        assertEquals(0, fs.stat("/f").size());
        fails(Errno.EISDIR, () -> in.create(ROOT, "d", 0644, UID, GID, false, WRITE));
        fails(Errno.ELOOP, () -> in.create(ROOT, "s", 0644, UID, GID, false, WRITE), "a symlink is not followed");
        fails(Errno.EEXIST, () -> in.create(ROOT, "s", 0644, UID, GID, true, WRITE));
    }

    @Test
    void createHonoursAppend() throws Exception {
        writeFile("/f", utf8("ab"));
        try (DaxFile f = in.create(ROOT, "f", 0644, UID, GID, false, APPEND).file()) {
            write(f, 0, utf8("cd"));
        }
        assertArrayEquals(utf8("abcd"), readFile("/f"));
    }

    @Test
    void mknodMakesRegularFilesOnly() throws Exception {
        FileStat a = in.mknod(ROOT, "a", 0600, UID, GID);
        FileStat b = in.mknod(ROOT, "b", FileType.REGULAR.modeBits() | 0644, UID, GID);
        assertEquals(FileType.REGULAR, a.type());
        assertEquals(0600, a.permissions());
        assertEquals(UID, a.uid());
        assertEquals(FileType.REGULAR, b.type());
        assertEquals(0644, b.permissions());
        assertEquals(0, fs.stat("/a").size());
        DaxException e = fails(Errno.EINVAL, () -> in.mknod(ROOT, "dd", FileType.DIRECTORY.modeBits() | 0755, UID, GID));
        assertTrue(e.getMessage().contains("a FIFO, socket or device node expected"), e.getMessage());
        fails(Errno.EINVAL, () -> in.mknod(ROOT, "ll", FileType.SYMLINK.modeBits() | 0777, UID, GID));
        assertFalse(fs.exists("/dd"));
    }

    @Test
    void symlinkAndReadlink() throws Exception {
        FileStat s = in.symlink(ROOT, "s", "some/where", UID, GID);
        assertEquals(FileType.SYMLINK, s.type());
        assertEquals(UID, s.uid());
        assertEquals(GID, s.gid());
        assertEquals("some/where", in.readlink(s.ino()));
        assertEquals("some/where", fs.readlink("/s"));
        String longTarget = "x/".repeat(1000);
        FileStat l = in.symlink(ROOT, "long", longTarget, UID, GID);
        assertEquals(longTarget, in.readlink(l.ino()));
        fails(Errno.EINVAL, () -> in.readlink(ROOT));
        fails(Errno.ENOENT, () -> in.symlink(ROOT, "e", "", UID, GID));
        fails(Errno.ENOENT, () -> in.readlink(99));
    }

    @Test
    void aSetGroupIdDirectoryGivesItsGroupAndTheBit() throws Exception {
        FileStat d = in.mkdir(ROOT, "d", 0755, UID, 42);
        in.setattr(d.ino(), SetAttr.NONE.withMode(02775));
        FileStat sub = in.mkdir(d.ino(), "sub", 0755, UID, GID);
        assertEquals(42, sub.gid(), "group of the directory");
        assertEquals(02755, sub.permissions(), "subdirectory inherits set-group-ID");
        FileStat f = in.mknod(d.ino(), "f", 0644, UID, GID);
        assertEquals(42, f.gid());
        assertEquals(0644, f.permissions(), "a file does not inherit the bit");
        DaxInodes.Created created = in.create(d.ino(), "c", 0644, UID, GID, true, WRITE);
        created.file().close();
        assertEquals(42, created.stat().gid());
        assertEquals(UID, created.stat().uid());
        FileStat plain = in.mkdir(ROOT, "plain", 0755, UID, GID);
        assertEquals(GID, plain.gid(), "no set-group-ID: the given group");
    }

    // ---------------------------------------------------------------- removing

    @Test
    void unlinkAndRmdir() throws Exception {
        long d = in.mkdir(ROOT, "d", 0755, UID, GID).ino();
        long f = in.mknod(d, "f", 0644, UID, GID).ino();
        fails(Errno.ENOTEMPTY, () -> in.rmdir(ROOT, "d"));
        fails(Errno.EISDIR, () -> in.unlink(ROOT, "d"));
        fails(Errno.ENOTDIR, () -> in.rmdir(d, "f"));
        fails(Errno.ENOENT, () -> in.unlink(d, "missing"));
        fails(Errno.ENOENT, () -> in.rmdir(d, "missing"));
        fails(Errno.EINVAL, () -> in.rmdir(d, "."));
        fails(Errno.ENOTEMPTY, () -> in.rmdir(d, ".."));
        fails(Errno.EISDIR, () -> in.unlink(d, "."));
        fails(Errno.ENOTDIR, () -> in.unlink(f, "x"));
        in.unlink(d, "f");
        fails(Errno.ENOENT, () -> in.getattr(f));
        assertFalse(fs.exists("/d/f"));
        in.rmdir(ROOT, "d");
        assertFalse(fs.exists("/d"));
        fails(Errno.ENOENT, () -> in.getattr(d));
        fails(Errno.ENOENT, () -> in.mknod(d, "g", 0644, UID, GID), "a removed directory");
        assertEquals(2, fs.stat("/").nlink());
    }

    @Test
    void anUnlinkedOpenFileCanBeOpenedByNumberAndIsFreedAtTheLastClose() throws Exception {
        fs.open("/placeholder", java.nio.file.StandardOpenOption.CREATE_NEW, WRITE).close();
        long baseBlocks = freeBlocks();
        long baseInodes = freeInodes();
        byte[] data = pattern(100_000, 7);
        DaxInodes.Created c = in.create(ROOT, "f", 0644, UID, GID, true, READ, WRITE);
        long ino = c.stat().ino();
        DaxFile first = c.file();
        write(first, 0, data);
        in.unlink(ROOT, "f");
        assertEquals(0, in.getattr(ino).nlink(), "an orphan still answers, with nlink 0");
        assertFalse(fs.exists("/f"));
        DaxFile second = in.open(ino, READ, WRITE);
        first.close();
        assertEquals(0, in.getattr(ino).nlink(), "still held by the second handle");
        assertArrayEquals(data, readAll(second));
        write(second, data.length, utf8("more"));
        assertEquals(data.length + 4, in.getattr(ino).size());
        second.close();
        fails(Errno.ENOENT, () -> in.getattr(ino));
        fails(Errno.ENOENT, () -> in.open(ino, READ));
        assertEquals(baseBlocks, freeBlocks(), "the space is back");
        assertEquals(baseInodes, freeInodes(), "the inode is back");
    }

    // ---------------------------------------------------------------- open

    @Test
    void openByNumber() throws Exception {
        writeFile("/f", utf8("hello"));
        fs.mkdir("/d");
        fs.symlink("f", "/s");
        long f = fs.stat("/f").ino();
        try (DaxFile h = in.open(f, READ)) {
            assertArrayEquals(utf8("hello"), readAll(h));
            fails(Errno.EBADF, () -> write(h, 0, utf8("x")), "opened for reading only");
        }
        try (DaxFile h = in.open(f, WRITE, TRUNCATE_EXISTING)) {
            write(h, 0, utf8("bye"));
        }
        assertArrayEquals(utf8("bye"), readFile("/f"));
        fails(Errno.EISDIR, () -> in.open(fs.stat("/d").ino(), READ));
        fails(Errno.EISDIR, () -> in.open(ROOT, READ));
        fails(Errno.ELOOP, () -> in.open(fs.lstat("/s").ino(), READ));
    }

    // ---------------------------------------------------------------- rename and link

    @Test
    void renameAcrossDirectories() throws Exception {
        long a = in.mkdir(ROOT, "a", 0755, UID, GID).ino();
        long b = in.mkdir(ROOT, "b", 0755, UID, GID).ino();
        long f = in.mknod(a, "f", 0644, UID, GID).ino();
        long sub = in.mkdir(a, "sub", 0755, UID, GID).ino();
        in.rename(a, "f", b, "g");
        assertEquals(f, in.lookup(b, "g").ino());
        fails(Errno.ENOENT, () -> in.lookup(a, "f"));
        in.rename(a, "sub", b, "sub");
        assertEquals(b, in.lookup(sub, "..").ino(), "a moved directory's parent changes");
        assertEquals(2, in.getattr(a).nlink());
        assertEquals(3, in.getattr(b).nlink());
        fails(Errno.ENOENT, () -> in.rename(a, "missing", b, "x"));
        fails(Errno.EINVAL, () -> in.rename(a, ".", b, "x"));
        fails(Errno.ENOTDIR, () -> in.rename(f, "x", b, "y"));
    }

    @Test
    void renameNoReplaceAndExchange() throws Exception {
        long a = in.mkdir(ROOT, "a", 0755, UID, GID).ino();
        long b = in.mkdir(ROOT, "b", 0755, UID, GID).ino();
        long f = in.mknod(a, "f", 0644, UID, GID).ino();
        long g = in.mknod(b, "g", 0644, UID, GID).ino();
        fails(Errno.EEXIST, () -> in.rename(a, "f", b, "g", RenameOption.NOREPLACE));
        assertEquals(g, in.lookup(b, "g").ino(), "nothing replaced");
        assertEquals(f, in.lookup(a, "f").ino());
        in.rename(a, "f", b, "g", RenameOption.EXCHANGE);
        assertEquals(g, in.lookup(a, "f").ino());
        assertEquals(f, in.lookup(b, "g").ino());
        fails(Errno.ENOENT, () -> in.rename(a, "f", b, "none", RenameOption.EXCHANGE));
        fails(Errno.EINVAL, () -> in.rename(a, "f", b, "x", RenameOption.EXCHANGE, RenameOption.NOREPLACE));
        in.rename(a, "f", b, "new", RenameOption.NOREPLACE);
        assertEquals(g, in.lookup(b, "new").ino());
        // Plain rename replaces, and the replaced file is freed.
        in.rename(b, "new", b, "g");
        fails(Errno.ENOENT, () -> in.getattr(f));
    }

    @Test
    void aDirectoryCannotMoveIntoItself() throws Exception {
        long a = in.mkdir(ROOT, "a", 0755, UID, GID).ino();
        long b = in.mkdir(a, "b", 0755, UID, GID).ino();
        long c = in.mkdir(b, "c", 0755, UID, GID).ino();
        long x = in.mkdir(ROOT, "x", 0755, UID, GID).ino();
        fails(Errno.EINVAL, () -> in.rename(ROOT, "a", c, "a"));
        fails(Errno.EINVAL, () -> in.rename(ROOT, "a", a, "a2"));
        fails(Errno.EINVAL, () -> in.rename(a, "b", c, "b"));
        fails(Errno.EINVAL, () -> in.rename(ROOT, "a", c, "y", RenameOption.EXCHANGE), "y missing: checked first");
        in.mkdir(c, "y", 0755, UID, GID);
        fails(Errno.EINVAL, () -> in.rename(ROOT, "a", c, "y", RenameOption.EXCHANGE));
        fails(Errno.EINVAL, () -> in.rename(c, "y", ROOT, "a", RenameOption.EXCHANGE));
        assertEquals(a, in.lookup(ROOT, "a").ino());
        in.rename(ROOT, "x", c, "x"); // a move deeper is fine
        assertEquals(c, in.lookup(x, "..").ino());
    }

    @Test
    void linkAddsAName() throws Exception {
        writeFile("/f", utf8("hi"));
        long f = fs.stat("/f").ino();
        long d = in.mkdir(ROOT, "d", 0755, UID, GID).ino();
        FileStat s = in.link(f, d, "g");
        assertEquals(f, s.ino());
        assertEquals(2, s.nlink());
        assertArrayEquals(utf8("hi"), readFile("/d/g"));
        fails(Errno.EEXIST, () -> in.link(f, d, "g"));
        fails(Errno.EPERM, () -> in.link(d, ROOT, "d2"), "directories");
        fails(Errno.ENOENT, () -> in.link(99, ROOT, "z"));
        fails(Errno.ENOTDIR, () -> in.link(f, f, "z"));
        fs.symlink("f", "/s");
        assertEquals(2, in.link(fs.lstat("/s").ino(), d, "s2").nlink(), "a symlink can be linked");
    }

    // ---------------------------------------------------------------- readdir

    @Test
    void readdirByNumberWithCookies() throws Exception {
        long d = in.mkdir(ROOT, "d", 0755, UID, GID).ino();
        for (int i = 0; i < 50; i++) {
            in.mknod(d, "f" + i, 0644, UID, GID);
        }
        List<DirEntry> all = in.readdir(d, 0, Integer.MAX_VALUE);
        assertEquals(fs.readdir("/d"), all);
        assertEquals(50, all.size());
        List<DirEntry> paged = new ArrayList<>();
        long cookie = 0;
        for (List<DirEntry> page; !(page = in.readdir(d, cookie, 7)).isEmpty(); ) {
            assertTrue(page.size() <= 7);
            paged.addAll(page);
            cookie = page.getLast().cookie();
        }
        assertEquals(all, paged);
        assertEquals(fs.readdir("/d", all.get(9).cookie(), 5), in.readdir(d, all.get(9).cookie(), 5));
        // Stable cookies: removing an entry does not move the others.
        in.unlink(d, all.get(10).name());
        assertEquals(all.subList(11, 16), in.readdir(d, all.get(9).cookie(), 5));
        for (DirEntry e : all.subList(0, 10)) {
            assertEquals(in.lookup(d, e.name()).ino(), e.ino());
        }
        fails(Errno.ENOTDIR, () -> in.readdir(all.getFirst().ino(), 0, 10));
    }

    // ---------------------------------------------------------------- setattr

    @Test
    void setattrChangesModeOwnerAndTimes() throws Exception {
        long f = in.mknod(ROOT, "f", 0644, UID, GID).ino();
        FileStat before = in.getattr(f);
        FileStat s = in.setattr(f, SetAttr.NONE.withMode(0600));
        assertEquals(0600, s.permissions());
        assertEquals(FileType.REGULAR, s.type());
        assertEquals(UID, s.uid());
        s = in.setattr(f, SetAttr.NONE.withUid(1).withGid(2));
        assertEquals(1, s.uid());
        assertEquals(2, s.gid());
        s = in.setattr(f, SetAttr.NONE.withGid(3));
        assertEquals(1, s.uid(), "-1 leaves the owner");
        assertEquals(3, s.gid());
        s = in.setattr(f, SetAttr.NONE.withAtime(1_000_000_007L).withMtime(2_000_000_009L));
        assertEquals(1_000_000_007L, s.atimeNs());
        assertEquals(2_000_000_009L, s.mtimeNs());
        s = in.setattr(f, SetAttr.NONE.withMtime(5L));
        assertEquals(1_000_000_007L, s.atimeNs(), "UTIME_OMIT leaves atime");
        assertEquals(5L, s.mtimeNs());
        s = in.setattr(f, SetAttr.NONE.withAtime(SetAttr.UTIME_NOW));
        assertTrue(s.atimeNs() >= before.ctimeNs());
        assertEquals(s, fs.stat("/f"));
        assertEquals(0600, fs.stat("/f").permissions());
        assertEquals(1, fs.stat("/f").uid());
        assertTrue(s.ctimeNs() >= before.ctimeNs());
    }

    @Test
    void setattrSizeTruncatesAndExtends() throws Exception {
        writeFile("/f", pattern(3 * BLOCK, 3));
        long f = fs.stat("/f").ino();
        long blocksBefore = freeBlocks();
        FileStat s = in.setattr(f, SetAttr.NONE.withSize(100));
        assertEquals(100, s.size());
        assertEquals(SECTORS_PER_BLOCK, s.blocks(), "the blocks past the end are freed");
        assertEquals(blocksBefore + 2, freeBlocks());
        assertArrayEquals(java.util.Arrays.copyOf(pattern(3 * BLOCK, 3), 100), readFile("/f"));
        s = in.setattr(f, SetAttr.NONE.withSize(10_000).withMode(0600));
        assertEquals(10_000, s.size());
        assertEquals(0600, s.permissions());
        byte[] back = readFile("/f");
        assertEquals(0, back[5000], "extended with zeros");
        fs.mkdir("/d");
        fs.symlink("f", "/s");
        fails(Errno.EISDIR, () -> in.setattr(fs.stat("/d").ino(), SetAttr.NONE.withSize(0)));
        fails(Errno.EINVAL, () -> in.setattr(fs.lstat("/s").ino(), SetAttr.NONE.withSize(0)));
        fails(Errno.EINVAL, () -> in.setattr(f, SetAttr.NONE.withSize(-5)));
    }

    @Test
    void pathChmodChownUtimesShareTheCode() throws Exception {
        writeFile("/f", utf8("x"));
        long f = fs.stat("/f").ino();
        fs.chmod("/f", 0700);
        fs.chown("/f", 11, -1);
        fs.utimes("/f", SetAttr.UTIME_OMIT, 77L);
        FileStat s = in.getattr(f);
        assertEquals(0700, s.permissions());
        assertEquals(11, s.uid());
        assertEquals(77L, s.mtimeNs());
    }

    // ---------------------------------------------------------------- zero-copy read

    record Piece(byte[] bytes, boolean hole, long length) {
    }

    static List<Piece> pieces(DaxFile f, long pos, long len, long[] count) throws DaxException {
        List<Piece> out = new ArrayList<>();
        int[] calls = {0};
        count[0] = f.readInPlace(pos, len, (segs, lens, n) -> {
            calls[0]++;
            for (int i = 0; i < n; i++) {
                out.add(segs[i] == null ? new Piece(null, true, lens[i])
                        : new Piece(segs[i].asSlice(0, lens[i]).toArray(ValueLayout.JAVA_BYTE), false, lens[i]));
                if (segs[i] != null) {
                    assertEquals(lens[i], segs[i].byteSize(), "a data piece is exactly its length");
                }
            }
        });
        assertTrue(calls[0] <= 1, "the sink is called once");
        return out;
    }

    @Test
    void readInPlaceGivesDataAndHolePiecesUpToEof() throws Exception {
        byte[] a = pattern(2 * BLOCK, 1);
        byte[] b = pattern(1000, 2);
        try (DaxFile f = fs.open("/f", java.nio.file.StandardOpenOption.CREATE, READ, WRITE)) {
            write(f, 0, a);                 // blocks 0-1 data
            write(f, 4L * BLOCK, b);        // blocks 2-3 a hole, block 4 data to EOF (4*BLOCK + 1000)
            long eof = 4L * BLOCK + 1000;
            long[] n = new long[1];
            List<Piece> p = pieces(f, 100, 1 << 20, n);
            assertEquals(eof - 100, n[0], "clamped to EOF");
            assertEquals(3, p.size(), p.toString());
            assertFalse(p.get(0).hole());
            assertArrayEquals(java.util.Arrays.copyOfRange(a, 100, a.length), p.get(0).bytes());
            assertTrue(p.get(1).hole());
            assertEquals(2L * BLOCK, p.get(1).length());
            assertFalse(p.get(2).hole());
            assertArrayEquals(b, p.get(2).bytes());
            assertEquals(n[0], p.stream().mapToLong(Piece::length).sum());

            // Inside the hole only, and a range ending mid-hole.
            p = pieces(f, 2L * BLOCK + 10, 20, n);
            assertEquals(20, n[0]);
            assertEquals(List.of(new Piece(null, true, 20)), p);
            p = pieces(f, BLOCK, BLOCK + 5, n);
            assertEquals(BLOCK + 5, n[0]);
            assertEquals(2, p.size());
            assertArrayEquals(java.util.Arrays.copyOfRange(a, BLOCK, 2 * BLOCK), p.get(0).bytes());
            assertEquals(new Piece(null, true, 5), p.get(1));

            // The same bytes as read().
            byte[] all = new byte[(int) eof];
            int off = 0;
            for (Piece x : pieces(f, 0, eof, n)) {
                if (!x.hole()) {
                    System.arraycopy(x.bytes(), 0, all, off, x.bytes().length);
                }
                off += (int) x.length();
            }
            assertArrayEquals(readAll(f), all);

            assertEquals(-1, f.readInPlace(eof, 10, (s, l, c) -> {
                throw new AssertionError("no call at EOF");
            }));
            assertEquals(-1, f.readInPlace(eof + 5000, 10, (s, l, c) -> {
                throw new AssertionError("no call past EOF");
            }));
            assertEquals(0, f.readInPlace(0, 0, (s, l, c) -> {
                throw new AssertionError("no call for 0 bytes");
            }));
            fails(Errno.EINVAL, () -> f.readInPlace(-1, 10, (s, l, c) -> { }));
        }
        try (DaxFile w = fs.open("/f", WRITE)) {
            fails(Errno.EBADF, () -> w.readInPlace(0, 10, (s, l, c) -> { }));
        }
    }

    @Test
    void readInPlaceSeesManyExtentsInOrder() throws Exception {
        try (DaxFile f = fs.open("/f", java.nio.file.StandardOpenOption.CREATE, READ, WRITE)) {
            // Every other block written: 40 alternating data and hole pieces.
            for (int i = 0; i < 40; i += 2) {
                write(f, (long) i * BLOCK, filled(BLOCK, i + 1));
            }
            long[] n = new long[1];
            List<Piece> p = pieces(f, 0, 39L * BLOCK, n);
            assertEquals(39L * BLOCK, n[0]);
            assertEquals(39, p.size());
            for (int i = 0; i < 39; i++) {
                if (i % 2 == 0) {
                    assertArrayEquals(filled(BLOCK, i + 1), p.get(i).bytes(), "piece " + i);
                } else {
                    assertEquals(new Piece(null, true, BLOCK), p.get(i), "piece " + i);
                }
            }
        }
    }

    // ---------------------------------------------------------------- read-only, remount

    @Test
    void changesOnAReadOnlyMountAreEROFS(@TempDir Path tmp) throws Exception {
        Path image = tmp.resolve("ro.img");
        long f;
        try (DaxFileSystem w = DaxFileSystem.format(image, 16 << 20)) {
            f = w.inodes().mknod(ROOT, "f", 0644, UID, GID).ino();
            w.inodes().mkdir(ROOT, "d", 0755, UID, GID);
        }
        try (DaxFileSystem r = DaxFileSystem.mount(image, MountOptions.DEFAULT.withReadOnly(true))) {
            DaxInodes ri = r.inodes();
            assertEquals(f, ri.lookup(ROOT, "f").ino());
            ri.open(f, READ).close();
            fails(Errno.EROFS, () -> ri.open(f, WRITE));
            fails(Errno.EROFS, () -> ri.mkdir(ROOT, "x", 0755, UID, GID));
            fails(Errno.EROFS, () -> ri.mknod(ROOT, "x", 0644, UID, GID));
            fails(Errno.EROFS, () -> ri.create(ROOT, "x", 0644, UID, GID, false, WRITE));
            fails(Errno.EROFS, () -> ri.symlink(ROOT, "x", "t", UID, GID));
            fails(Errno.EROFS, () -> ri.unlink(ROOT, "f"));
            fails(Errno.EROFS, () -> ri.rmdir(ROOT, "d"));
            fails(Errno.EROFS, () -> ri.rename(ROOT, "f", ROOT, "g"));
            fails(Errno.EROFS, () -> ri.link(f, ROOT, "g"));
            fails(Errno.EROFS, () -> ri.setattr(f, SetAttr.NONE.withMode(0600)));
        }
    }

    @Test
    void aRemountShowsWhatWasCreatedAndFsckIsClean(@TempDir Path tmp) throws Exception {
        Path image = tmp.resolve("r.img");
        long d, f, s, h;
        int gen;
        try (DaxFileSystem w = DaxFileSystem.format(image, 16 << 20)) {
            DaxInodes wi = w.inodes();
            d = wi.mkdir(ROOT, "d", 0750, UID, GID).ino();
            try (DaxFile c = wi.create(d, "f", 0640, UID, GID, true, WRITE).file()) {
                write(c, 0, utf8("content"));
            }
            f = wi.lookup(d, "f").ino();
            s = wi.symlink(d, "s", "f", UID, GID).ino();
            wi.link(f, ROOT, "hard");
            h = wi.mknod(ROOT, "gone", 0644, UID, GID).ino();
            DaxFile open = wi.open(h, READ, WRITE);
            wi.unlink(ROOT, "gone");
            write(open, 0, utf8("orphan"));
            open.close();
            wi.rename(d, "s", ROOT, "s2");
            wi.setattr(f, SetAttr.NONE.withMtime(123L));
            gen = wi.generation(f);
        }
        FsckReport report = DaxFileSystem.fsck(image, false, ProgressListener.NONE);
        assertTrue(report.clean(), () -> "fsck: " + report.problems());
        try (DaxFileSystem r = DaxFileSystem.mount(image)) {
            DaxInodes ri = r.inodes();
            FileStat fd = ri.lookup(ROOT, "d");
            assertEquals(d, fd.ino());
            assertEquals(0750, fd.permissions());
            assertEquals(UID, fd.uid());
            assertEquals(GID, fd.gid());
            FileStat ff = ri.lookup(d, "f");
            assertEquals(f, ff.ino());
            assertEquals(2, ff.nlink());
            assertEquals(UID, ff.uid());
            assertEquals(123L, ff.mtimeNs());
            assertEquals(gen, ri.generation(f));
            assertEquals(s, ri.lookup(ROOT, "s2").ino());
            assertEquals("f", ri.readlink(s));
            assertEquals(f, ri.lookup(ROOT, "hard").ino());
            fails(Errno.ENOENT, () -> ri.getattr(h));
            fails(Errno.ENOENT, () -> ri.lookup(d, "s"));
            try (DaxFile c = ri.open(f, READ)) {
                assertArrayEquals(utf8("content"), readAll(c));
            }
        }
    }

    static List<String> names(List<DirEntry> entries) {
        return entries.stream().map(DirEntry::name).sorted().toList();
    }
}
