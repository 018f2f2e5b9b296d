package io.daxfs.fsck;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FormatOptions;
import io.daxfs.testutil.RetainedDevice;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/** File systems with known contents for the fsck tests. */
final class TestImages {
    static final long SIZE = 64L << 20;
    /** A symlink target too long for the inode: it gets a block of its own. */
    static final String LONG_TARGET = "long/".repeat(60) + "end";

    private TestImages() {
    }

    /** Inode numbers by path, taken while the file system was mounted. */
    record Image(RetainedDevice device, Map<String, Long> inodes) {
        long ino(String path) {
            return inodes.get(path);
        }
    }

    /** user::rwx, user:1000:r-x, group::r-x, mask::r-x, other::--- (mode 0750). */
    static final byte[] ACL_WITH_NAMED_USER = acl(new int[][]{{0x01, 7, -1}, {0x02, 5, 1000}, {0x04, 5, -1},
            {0x10, 5, -1}, {0x20, 0, -1}});

    /** A POSIX ACL xattr value of {tag, perm, id} entries. */
    static byte[] acl(int[][] entries) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 8 * entries.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(2);
        for (int[] e : entries) {
            b.putShort((short) e[0]).putShort((short) e[1]).putInt(e[2]);
        }
        return b.array();
    }

    static RetainedDevice formatted() throws DaxException {
        RetainedDevice dev = RetainedDevice.allocate(SIZE);
        Internals.format(dev, FormatOptions.DEFAULT).close();
        return dev;
    }

    /** A small tree, cleanly unmounted: /a (dir) with f1, f2 (one block each) and /a/b (dir), /c (dir). */
    static Image small() throws DaxException {
        RetainedDevice dev = RetainedDevice.allocate(SIZE);
        Map<String, Long> inos = new HashMap<>();
        try (DaxFileSystem fs = Internals.format(dev, FormatOptions.DEFAULT)) {
            fs.mkdir("/a");
            fs.mkdir("/a/b");
            fs.mkdir("/c");
            write(fs, "/a/f1", "one");
            write(fs, "/a/f2", "two");
            // Two xattr blocks on f2; an access ACL (with a named user, so it is stored) on /a.
            fs.setxattr("/a/f2", "user.big", new byte[5000], 0);
            fs.setxattr("/a", "system.posix_acl_access", ACL_WITH_NAMED_USER, 0);
            for (String p : new String[]{"/a", "/a/b", "/c", "/a/f1", "/a/f2"}) {
                inos.put(p, fs.stat(p).ino());
            }
        }
        return new Image(dev, inos);
    }

    /**
     * Exercises every structure: nested directories, a directory of several blocks, hard links,
     * inline and block symlinks, a sparse file of 600 extents (a chain of extent blocks), holes
     * punched, truncation, renames, removals. Leaves the file system mounted.
     */
    static void workload(DaxFileSystem fs) throws DaxException {
        fs.mkdir("/a");
        fs.mkdir("/a/b");
        fs.mkdir("/a/b/c");
        fs.mkdir("/gone");
        fs.mkdir("/many");
        write(fs, "/a/f1", "hello");
        write(fs, "/a/b/f2", "x".repeat(100_000));
        fs.link("/a/f1", "/a/b/c/f1-again");
        fs.link("/a/f1", "/f1-third");
        fs.symlink("a/f1", "/short-link");
        fs.symlink(LONG_TARGET, "/a/long-link");
        // Extended attributes: small and multi-block values, ACLs (access and default), one removed.
        fs.setxattr("/a/f1", "user.small", "v".getBytes(StandardCharsets.UTF_8), 0);
        fs.setxattr("/a/f1", "user.gone", new byte[100], 0);
        fs.setxattr("/a/b", "user.big", new byte[9000], 0);
        fs.setxattr("/a/b", "system.posix_acl_default", ACL_WITH_NAMED_USER, 0);
        fs.setxattr("/a/b", "system.posix_acl_access", ACL_WITH_NAMED_USER, 0);
        fs.setxattr("/a/long-link", "trusted.t", new byte[10], 0, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        fs.removexattr("/a/f1", "user.gone");
        for (int i = 0; i < 150; i++) {
            write(fs, "/many/file-with-a-rather-long-name-to-fill-directory-blocks-" + i, "n" + i);
        }
        for (int i = 0; i < 150; i += 3) {
            fs.unlink("/many/file-with-a-rather-long-name-to-fill-directory-blocks-" + i);
        }
        try (DaxFile big = fs.open("/big", StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] block = new byte[4096];
            for (int i = 0; i < 600; i++) {
                block[0] = (byte) i;
                big.write(2L * i * 4096, block, 0, block.length);
            }
            big.punchHole(100L * 4096, 40L * 4096);
            big.allocate(3000L * 4096, 64L * 4096, true);
        }
        try (DaxFile t = fs.open("/trunc", StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            t.write(0, new byte[50_000], 0, 50_000);
            t.truncate(5000);
        }
        fs.rename("/a/b/f2", "/f2-moved");
        fs.rename("/a/b/c", "/c-moved");
        fs.rmdir("/gone");
        fs.unlink("/f1-third");
    }

    static void write(DaxFileSystem fs, String path, String text) throws DaxException {
        try (DaxFile f = fs.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            f.write(0, b, 0, b.length);
        }
    }

    /** A copy of the device's current bytes (not a view: later writes do not show). */
    static MemorySegment snapshot(MemorySegment device) {
        MemorySegment copy = MemorySegment.ofArray(new byte[(int) device.byteSize()]);
        MemorySegment.copy(device, 0, copy, 0, device.byteSize());
        return copy;
    }
}
