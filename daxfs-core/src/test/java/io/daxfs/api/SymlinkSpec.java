package io.daxfs.api;

import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Symbolic links: targets of 1 to 4064 bytes, stored in the inode up to 128 bytes and in one
 * block beyond; readlink, lstat versus stat, dangling links.
 */
class SymlinkSpec extends FsSpec {
    static final int INLINE_MAX = 128;
    static final int TARGET_MAX = 4064;

    /** A target of exactly {@code n} bytes. */
    static String target(int n) {
        StringBuilder b = new StringBuilder("/");
        while (b.length() < n) {
            b.append("component/".substring(0, Math.min(10, n - b.length())));
        }
        return b.toString();
    }

    @Test
    void readlinkReturnsTheTargetExactly() throws Exception {
        for (String t : List.of("x", "/abs/path", "../rel/./path", "trailing/", "//double//slash", "ümlaut-€")) {
            String link = "/l" + Integer.toHexString(t.hashCode());
            fs.symlink(t, link);
            assertEquals(t, fs.readlink(link));
        }
    }

    @Test
    void aShortTargetIsStoredInTheInode() throws Exception {
        String t = target(INLINE_MAX);
        fs.symlink(t, "/l");
        FileStat st = fs.lstat("/l");
        assertEquals(FileType.SYMLINK, st.type());
        assertEquals(0120777, st.mode());
        assertEquals(INLINE_MAX, st.size(), "the size of a symlink is its target's length in bytes");
        assertEquals(0, st.blocks());
        assertEquals(1, st.nlink());
        assertEquals(t, fs.readlink("/l"));
    }

    @Test
    void aLongTargetTakesOneBlock() throws Exception {
        long free = freeBlocks();
        fs.symlink(target(INLINE_MAX + 1), "/l129");
        FileStat st = fs.lstat("/l129");
        assertEquals(INLINE_MAX + 1, st.size());
        assertEquals(SECTORS_PER_BLOCK, st.blocks());
        assertEquals(target(INLINE_MAX + 1), fs.readlink("/l129"));
        fs.symlink(target(TARGET_MAX), "/lmax");
        assertEquals(target(TARGET_MAX), fs.readlink("/lmax"));
        assertEquals(TARGET_MAX, fs.lstat("/lmax").size());
        assertTrue(freeBlocks() <= free - 2);
    }

    @Test
    void removingALongSymlinkFreesItsBlock() throws Exception {
        fs.symlink(target(1000), "/first"); // gives the root directory its block
        long free = freeBlocks();
        fs.symlink(target(1000), "/l");
        assertEquals(free - 1, freeBlocks());
        fs.unlink("/l");
        assertEquals(free, freeBlocks());
    }

    @Test
    void aTargetLongerThan4064BytesIsENAMETOOLONG() throws Exception {
        fails(Errno.ENAMETOOLONG, () -> fs.symlink(target(TARGET_MAX + 1), "/l"));
        fails(Errno.ENAMETOOLONG, () -> fs.symlink("é".repeat(TARGET_MAX / 2) + "x", "/l"), "counted in bytes");
        assertFalse(fs.exists("/l"));
    }

    @Test
    void anEmptyTargetIsENOENT() throws Exception {
        fails(Errno.ENOENT, () -> fs.symlink("", "/l"));
        assertFalse(fs.exists("/l"));
    }

    @Test
    void symlinkOverAnExistingNameIsEEXIST() throws Exception {
        writeFile("/f", utf8("f"));
        fs.mkdir("/d");
        fs.symlink("/x", "/l");
        fails(Errno.EEXIST, () -> fs.symlink("/y", "/f"));
        fails(Errno.EEXIST, () -> fs.symlink("/y", "/d"));
        fails(Errno.EEXIST, () -> fs.symlink("/y", "/l"));
        fails(Errno.EEXIST, () -> fs.symlink("/y", "/"));
        assertEquals("/x", fs.readlink("/l"));
    }

    @Test
    void symlinkInAMissingDirectoryIsENOENT() {
        fails(Errno.ENOENT, () -> fs.symlink("/x", "/missing/l"));
    }

    @Test
    void readlinkOfAnythingButASymlinkIsEINVAL() throws Exception {
        writeFile("/f", utf8("f"));
        fs.mkdir("/d");
        fails(Errno.EINVAL, () -> fs.readlink("/f"));
        fails(Errno.EINVAL, () -> fs.readlink("/d"));
        fails(Errno.EINVAL, () -> fs.readlink("/"));
        fails(Errno.ENOENT, () -> fs.readlink("/missing"));
    }

    @Test
    void readlinkDoesNotFollowTheLastLinkButFollowsEarlierOnes() throws Exception {
        fs.mkdir("/d");
        fs.symlink("/d", "/dl");
        fs.symlink("target", "/d/l");
        fs.symlink("/d/l", "/ll");
        assertEquals("target", fs.readlink("/dl/l"));
        assertEquals("/d/l", fs.readlink("/ll"));
    }

    @Test
    void lstatDescribesTheLinkAndStatTheTarget() throws Exception {
        writeFile("/t", utf8("12345"));
        fs.symlink("/t", "/l");
        FileStat l = fs.lstat("/l");
        FileStat s = fs.stat("/l");
        assertEquals(FileType.SYMLINK, l.type());
        assertEquals(2, l.size());
        assertEquals(FileType.REGULAR, s.type());
        assertEquals(5, s.size());
        assertEquals(fs.stat("/t").ino(), s.ino());
        assertTrue(l.ino() != s.ino());
    }

    @Test
    void aDanglingSymlinkExistsButStatIsENOENT() throws Exception {
        fs.symlink("/nowhere", "/l");
        assertTrue(fs.exists("/l"));
        assertEquals(FileType.SYMLINK, fs.lstat("/l").type());
        fails(Errno.ENOENT, () -> fs.stat("/l"));
        fails(Errno.ENOENT, () -> fs.open("/l"));
        fails(Errno.ENOENT, () -> fs.readdir("/l"));
        assertEquals("/nowhere", fs.readlink("/l"));
        writeFile("/nowhere", utf8("now here"));
        assertEquals(FileType.REGULAR, fs.stat("/l").type(), "the link comes to life with its target");
        assertArrayEquals(utf8("now here"), readFile("/l"));
    }

    @Test
    void aLinkToAFileUsedAsADirectoryIsENOTDIR() throws Exception {
        writeFile("/f", utf8("f"));
        fs.symlink("/f", "/l");
        fails(Errno.ENOTDIR, () -> fs.stat("/l/x"));
    }

    @Test
    void symlinksToDirectoriesWorkInPaths() throws Exception {
        fs.mkdir("/real");
        fs.symlink("/real", "/alias");
        fs.mkdir("/alias/sub");
        writeFile("/alias/sub/f", utf8("via alias"));
        assertArrayEquals(utf8("via alias"), readFile("/real/sub/f"));
        assertEquals(FileType.DIRECTORY, fs.stat("/alias").type());
        assertEquals(List.of("sub"), fs.readdir("/alias").stream().map(DirEntry::name).toList());
    }

    @Test
    void attributeChangesThroughASymlinkApplyToTheTarget() throws Exception {
        writeFile("/t", utf8("t"));
        fs.symlink("/t", "/l");
        fs.chmod("/l", 0600);
        assertEquals(0600, fs.stat("/t").permissions());
        assertEquals(0777, fs.lstat("/l").permissions(), "the link's own mode is unchanged");
    }

    @Test
    void aLoopIsELOOPForStatButNotForLstatOrReadlink() throws Exception {
        fs.symlink("/b", "/a");
        fs.symlink("/a", "/b");
        fails(Errno.ELOOP, () -> fs.stat("/a"));
        fails(Errno.ELOOP, () -> fs.stat("/a/x"));
        assertEquals(FileType.SYMLINK, fs.lstat("/a").type());
        assertEquals("/b", fs.readlink("/a"));
    }

    @Test
    void symlinksSurviveARemount(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("links.img");
        try (DaxFileSystem a = DaxFileSystem.format(image, 64L << 20)) {
            a.symlink(target(10), "/short");
            a.symlink(target(INLINE_MAX), "/inline");
            a.symlink(target(INLINE_MAX + 1), "/block");
            a.symlink(target(TARGET_MAX), "/max");
            a.symlink("日本語/ターゲット", "/utf8");
        }
        try (DaxFileSystem b = DaxFileSystem.mount(image)) {
            assertEquals(target(10), b.readlink("/short"));
            assertEquals(target(INLINE_MAX), b.readlink("/inline"));
            assertEquals(target(INLINE_MAX + 1), b.readlink("/block"));
            assertEquals(target(TARGET_MAX), b.readlink("/max"));
            assertEquals("日本語/ターゲット", b.readlink("/utf8"));
            assertEquals(utf8("日本語/ターゲット").length, b.lstat("/utf8").size());
            assertEquals(SECTORS_PER_BLOCK, b.lstat("/max").blocks());
        }
    }

    @Test
    void symlinkTakesAnInode() throws Exception {
        long inodes = freeInodes();
        fs.symlink("/x", "/l");
        assertEquals(inodes - 1, freeInodes());
        fs.unlink("/l");
        assertEquals(inodes, freeInodes());
        fs.open("/l", CREATE_NEW, WRITE).close();
    }
}
