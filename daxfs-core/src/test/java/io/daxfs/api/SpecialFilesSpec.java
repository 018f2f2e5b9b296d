package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

import static java.nio.file.StandardOpenOption.READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FIFOs, sockets and device nodes: stored with their type, permissions and (devices) device
 * number, listed with their type, linked, renamed and removed like any name, kept across a
 * remount and accepted by fsck; they hold no data, so opening one through the API is ENXIO.
 */
class SpecialFilesSpec extends FsSpec {
    static final int S_IFIFO = 0010000, S_IFCHR = 0020000, S_IFBLK = 0060000, S_IFSOCK = 0140000;
    /** Linux's makedev(1, 3) (/dev/null) and makedev(8, 1) (/dev/sda1). */
    static final long NULL_DEV = (1 << 8) | 3, SDA1 = (8 << 8) | 1;

    @TempDir
    Path tmp;

    @Test
    void eachTypeIsStoredWithItsModeAndDeviceNumber() throws Exception {
        fs.mknod("/fifo", S_IFIFO | 0640, 1234);
        fs.mknod("/null", S_IFCHR | 0666, NULL_DEV);
        fs.mknod("/sda1", S_IFBLK | 0660, SDA1);
        fs.mknod("/sock", S_IFSOCK | 0755, 0);
        check(fs.stat("/fifo"), FileType.FIFO, 0640, 0);
        check(fs.stat("/null"), FileType.CHARACTER_DEVICE, 0666, NULL_DEV);
        check(fs.stat("/sda1"), FileType.BLOCK_DEVICE, 0660, SDA1);
        check(fs.stat("/sock"), FileType.SOCKET, 0755, 0);
        Map<String, FileType> listed = fs.readdir("/").stream().collect(Collectors.toMap(DirEntry::name, DirEntry::type));
        assertEquals(Map.of("fifo", FileType.FIFO, "null", FileType.CHARACTER_DEVICE, "sda1", FileType.BLOCK_DEVICE,
                "sock", FileType.SOCKET), listed);
    }

    private static void check(FileStat st, FileType type, int perms, long rdev) {
        assertEquals(type, st.type());
        assertEquals(type.modeBits() | perms, st.mode());
        assertEquals(rdev, st.rdev(), "device number (0 but for devices)");
        assertEquals(0, st.size());
        assertEquals(0, st.blocks());
        assertEquals(1, st.nlink());
    }

    @Test
    void theyHoldNoDataSoOpeningOneIsENXIOAndOnlySpecialTypesAreMade() throws Exception {
        fs.mknod("/fifo", S_IFIFO | 0600, 0);
        DaxException e = fails(Errno.ENXIO, () -> fs.open("/fifo", READ));
        assertTrue(e.getMessage().contains("fifo"), e.getMessage());
        fails(Errno.EINVAL, () -> fs.mknod("/reg", 0100644, 0), "a regular file is made by open");
        fails(Errno.EINVAL, () -> fs.mknod("/dir", 0040755, 0), "a directory by mkdir");
        fails(Errno.EINVAL, () -> fs.mknod("/none", 0644, 0), "no type");
        fails(Errno.EEXIST, () -> fs.mknod("/fifo", S_IFIFO | 0600, 0));
        fails(Errno.ENOENT, () -> fs.mknod("/no/such", S_IFIFO | 0600, 0));
        fails(Errno.EEXIST, () -> fs.mknod("/", S_IFIFO | 0600, 0), "the root");
        fs.mkdir("/still-writable"); // a refused mknod leaves the file system as it was
    }

    @Test
    void theyAreLinkedRenamedAndRemovedLikeAnyName() throws Exception {
        fs.mknod("/c", S_IFCHR | 0600, NULL_DEV);
        fs.link("/c", "/c2");
        assertEquals(2, fs.stat("/c").nlink());
        fs.mkdir("/d");
        fs.rename("/c2", "/d/moved");
        assertEquals(NULL_DEV, fs.stat("/d/moved").rdev());
        fs.unlink("/c");
        fs.unlink("/d/moved");
        fs.rmdir("/d");
        assertEquals(0, fs.readdir("/").size());
    }

    @Test
    void theySurviveARemountAndFsckAcceptsThem() throws Exception {
        Path image = tmp.resolve("img");
        try (DaxFileSystem a = DaxFileSystem.format(image, 32L << 20)) {
            a.mknod("/fifo", S_IFIFO | 0600, 0);
            a.mknod("/sda1", S_IFBLK | 0660, SDA1);
            a.mknod("/sock", S_IFSOCK | 0700, 0);
        }
        FsckReport r = DaxFileSystem.fsck(image, false, ProgressListener.NONE);
        assertTrue(r.clean(), r::toString);
        try (DaxFileSystem b = DaxFileSystem.mount(image)) {
            check(b.stat("/sda1"), FileType.BLOCK_DEVICE, 0660, SDA1);
            check(b.stat("/fifo"), FileType.FIFO, 0600, 0);
            check(b.stat("/sock"), FileType.SOCKET, 0700, 0);
        }
    }
}
