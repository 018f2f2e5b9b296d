package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.daxfs.api.DaxInodes.XATTR_CREATE;
import static io.daxfs.api.DaxInodes.XATTR_REPLACE;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Extended attributes with Linux's semantics: set, get, list and remove in the user., trusted.
 * and security. namespaces; XATTR_CREATE and XATTR_REPLACE; the errors (ENODATA, ERANGE, E2BIG,
 * EOPNOTSUPP, EPERM for user. on a symlink or device); values up to 64 KiB and exact bytes in
 * names and values; blocks counted in st_blocks and freed with the file; kept across a remount
 * and accepted by fsck.
 */
class XattrSpec extends FsSpec {
    @TempDir
    Path tmp;

    private void touch(String path) throws DaxException {
        fs.open(path, CREATE, WRITE).close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anAttributeIsSetReadListedReplacedAndRemoved() throws Exception {
        touch("/f");
        assertEquals(List.of(), fs.listxattr("/f"));
        fs.setxattr("/f", "user.mime", b("text/plain"), 0);
        fs.setxattr("/f", "user.a", new byte[0], 0); // an empty value is a value
        fs.setxattr("/f", "trusted.t", b("1"), 0);
        fs.setxattr("/f", "security.selinux", b("ctx"), 0);
        assertArrayEquals(b("text/plain"), fs.getxattr("/f", "user.mime"));
        assertArrayEquals(new byte[0], fs.getxattr("/f", "user.a"));
        assertEquals(List.of("user.a", "user.mime", "trusted.t", "security.selinux"), fs.listxattr("/f"));
        fs.setxattr("/f", "user.mime", b("application/json"), 0);
        assertArrayEquals(b("application/json"), fs.getxattr("/f", "user.mime"));
        fs.removexattr("/f", "user.mime");
        fails(Errno.ENODATA, () -> fs.getxattr("/f", "user.mime"));
        fails(Errno.ENODATA, () -> fs.removexattr("/f", "user.mime"));
        assertEquals(List.of("user.a", "trusted.t", "security.selinux"), fs.listxattr("/f"));
    }

    @Test
    void createAndReplaceFlagsAreHonoured() throws Exception {
        touch("/f");
        fails(Errno.ENODATA, () -> fs.setxattr("/f", "user.x", b("1"), XATTR_REPLACE), "replace of a missing one");
        fs.setxattr("/f", "user.x", b("1"), XATTR_CREATE);
        fails(Errno.EEXIST, () -> fs.setxattr("/f", "user.x", b("2"), XATTR_CREATE), "create of an existing one");
        fs.setxattr("/f", "user.x", b("3"), XATTR_REPLACE);
        assertArrayEquals(b("3"), fs.getxattr("/f", "user.x"));
        fails(Errno.EINVAL, () -> fs.setxattr("/f", "user.x", b("4"), XATTR_CREATE | XATTR_REPLACE));
    }

    @Test
    void namesAndValuesAreCheckedAsLinuxChecksThem() throws Exception {
        touch("/f");
        fails(Errno.EOPNOTSUPP, () -> fs.setxattr("/f", "os2.name", b("1"), 0), "unknown namespace");
        fails(Errno.EOPNOTSUPP, () -> fs.getxattr("/f", "system.other"), "unknown system. name");
        fails(Errno.EINVAL, () -> fs.setxattr("/f", "user.", b("1"), 0), "nothing after the prefix");
        fails(Errno.ERANGE, () -> fs.setxattr("/f", "", b("1"), 0), "empty name");
        fails(Errno.ERANGE, () -> fs.setxattr("/f", "user." + "n".repeat(251), b("1"), 0), "256-byte name");
        fs.setxattr("/f", "user." + "n".repeat(250), b("1"), 0); // 255 bytes is the limit
        fails(Errno.E2BIG, () -> fs.setxattr("/f", "user.big", new byte[65537], 0), "value over 64 KiB");
        byte[] max = new byte[65536];
        new SplittableRandom(1).nextBytes(max);
        fs.setxattr("/f", "user.max", max, 0);
        assertArrayEquals(max, fs.getxattr("/f", "user.max"));
    }

    @Test
    void userAttributesAreForRegularFilesAndDirectoriesOnly() throws Exception {
        fs.symlink("/target", "/link");
        fs.mknod("/fifo", SpecialFilesSpec.S_IFIFO | 0600, 0);
        fails(Errno.EPERM, () -> fs.setxattr("/link", "user.x", b("1"), 0, LinkOption.NOFOLLOW_LINKS));
        fails(Errno.EPERM, () -> fs.setxattr("/fifo", "user.x", b("1"), 0));
        fails(Errno.ENODATA, () -> fs.getxattr("/fifo", "user.x"));
        fs.setxattr("/link", "trusted.x", b("on the link"), 0, LinkOption.NOFOLLOW_LINKS);
        assertArrayEquals(b("on the link"), fs.getxattr("/link", "trusted.x", LinkOption.NOFOLLOW_LINKS));
        fails(Errno.ENOENT, () -> fs.getxattr("/link", "trusted.x"), "followed to a missing target");
        fs.mkdir("/d");
        fs.setxattr("/d", "user.x", b("dir"), 0);
        assertArrayEquals(b("dir"), fs.getxattr("/d", "user.x"));
    }

    @Test
    void namesAndValuesAreExactBytes() throws Exception {
        touch("/f");
        String latin1 = io.daxfs.types.FileNames.fromBytes(new byte[]{'u', 's', 'e', 'r', '.', (byte) 0xff, (byte) 0xfe});
        byte[] value = new byte[256];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        fs.setxattr("/f", latin1, value, 0);
        assertEquals(List.of(latin1), fs.listxattr("/f"));
        assertArrayEquals(value, fs.getxattr("/f", latin1));
    }

    @Test
    void manyAttributesSpanSeveralBlocksWhichCountInStBlocksAndAreFreedWithTheFile() throws Exception {
        touch("/f");
        long before = fs.statfs().freeBlocks();
        byte[] v = new byte[10_000];
        for (int i = 0; i < 5; i++) {
            fs.setxattr("/f", "user.v" + i, v, 0);
        }
        long blocks = fs.stat("/f").blocks() / SECTORS_PER_BLOCK;
        assertEquals(13, blocks, "50 KiB of values and headers in 4064-byte block payloads");
        fs.sync();
        assertEquals(before - 13, fs.statfs().freeBlocks());
        for (int i = 0; i < 4; i++) {
            fs.removexattr("/f", "user.v" + i);
        }
        assertEquals(3, fs.stat("/f").blocks() / SECTORS_PER_BLOCK, "the chain shrinks with the table");
        fs.unlink("/f");
        fs.sync();
        awaitFreed(before);
    }

    /** Freed blocks count as free once their transaction is checkpointed; sync does that. */
    private void awaitFreed(long expected) throws Exception {
        fs.sync();
        fs.sync();
        assertEquals(expected, fs.statfs().freeBlocks(), "every xattr block freed");
    }

    @Test
    void aFileFullOfAttributesIsENOSPCAndUnchanged() throws Exception {
        touch("/f");
        byte[] v = new byte[60_000];
        int i = 0;
        DaxException e = null;
        while (e == null) {
            try {
                fs.setxattr("/f", "user.v" + i, v, 0);
                i++;
            } catch (DaxException x) {
                e = x;
            }
        }
        assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
        assertEquals(4, i, "four 60 KB values fit in 64 blocks, a fifth does not");
        assertEquals(4, fs.listxattr("/f").size());
    }

    @Test
    void attributesSurviveARemountAndFsckAcceptsThem() throws Exception {
        Path image = tmp.resolve("img");
        SplittableRandom rnd = new SplittableRandom(42);
        List<byte[]> values = new ArrayList<>();
        try (DaxFileSystem a = DaxFileSystem.format(image, 32L << 20)) {
            a.open("/f", CREATE, WRITE).close();
            a.mkdir("/d");
            for (int i = 0; i < 20; i++) {
                byte[] v = new byte[rnd.nextInt(3000)];
                rnd.nextBytes(v);
                values.add(v);
                a.setxattr(i % 2 == 0 ? "/f" : "/d", "user.k" + i, v, 0);
            }
        }
        FsckReport r = DaxFileSystem.fsck(image, false, ProgressListener.NONE);
        assertTrue(r.clean(), r::toString);
        try (DaxFileSystem b = DaxFileSystem.mount(image)) {
            for (int i = 0; i < 20; i++) {
                assertArrayEquals(values.get(i), b.getxattr(i % 2 == 0 ? "/f" : "/d", "user.k" + i), "user.k" + i);
            }
            assertEquals(10, b.listxattr("/f").size());
        }
    }

    @Test
    void aReadOnlyMountReadsAttributesAndRefusesChanges() throws Exception {
        Path image = tmp.resolve("img");
        try (DaxFileSystem a = DaxFileSystem.format(image, 32L << 20)) {
            a.open("/f", CREATE, WRITE).close();
            a.setxattr("/f", "user.x", b("kept"), 0);
        }
        try (DaxFileSystem ro = DaxFileSystem.mount(image, io.daxfs.types.MountOptions.DEFAULT.withReadOnly(true))) {
            assertArrayEquals(b("kept"), ro.getxattr("/f", "user.x"));
            fails(Errno.EROFS, () -> ro.setxattr("/f", "user.y", b("1"), 0));
            fails(Errno.EROFS, () -> ro.removexattr("/f", "user.x"));
        }
    }

    @Test
    void theInodeApiSeesTheSameAttributes() throws Exception {
        touch("/f");
        DaxInodes inodes = fs.inodes();
        long ino = fs.stat("/f").ino();
        inodes.setxattr(ino, "user.n", b("by number"), 0);
        assertArrayEquals(b("by number"), fs.getxattr("/f", "user.n"));
        assertEquals(List.of("user.n"), inodes.listxattr(ino));
        inodes.removexattr(ino, "user.n");
        fails(Errno.ENODATA, () -> inodes.getxattr(ino, "user.n"));
    }

    /**
     * rmdir frees a directory's xattr chain while setxattr and removexattr grow and shrink it by
     * inode number: they must be serial (both under the directory's life lock), or a block is
     * freed twice (EIO, the volume turns read-only) or leaked.
     */
    @Test
    void attributeChangesRacingRmdirLeaveTheFileSystemConsistent() throws Exception {
        Path image = tmp.resolve("img");
        DaxFileSystem.format(image, 32L << 20).close();
        try (DaxFileSystem a = DaxFileSystem.mount(image)) {
            DaxInodes inodes = a.inodes();
            java.util.concurrent.atomic.AtomicLong dir = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            a.mkdir("/d");
            dir.set(a.stat("/d").ino());
            Thread changer = Thread.ofPlatform().start(() -> {
                SplittableRandom rnd = new SplittableRandom(7);
                while (!stop.get()) {
                    try {
                        long ino = dir.get();
                        if (rnd.nextBoolean()) {
                            inodes.setxattr(ino, "user.v", new byte[rnd.nextInt(3) * 5000 + 1], 0);
                        } else {
                            inodes.removexattr(ino, "user.v");
                        }
                    } catch (DaxException e) {
                        if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENODATA) {
                            failure.compareAndSet(null, e);
                        }
                    }
                }
            });
            try {
                for (int i = 0; i < 1500 && failure.get() == null; i++) {
                    a.rmdir("/d");
                    a.mkdir("/d");
                    dir.set(a.stat("/d").ino());
                }
            } finally {
                stop.set(true);
                changer.join();
            }
            if (failure.get() != null) {
                throw new AssertionError("a change racing rmdir failed", failure.get());
            }
        }
        FsckReport r = DaxFileSystem.fsck(image, false, ProgressListener.NONE);
        assertTrue(r.clean(), r::toString);
    }
}
