package io.daxfs.crash;

import io.daxfs.types.DaxException;
import io.daxfs.types.RenameOption;

/**
 * The crash-consistency workload: every namespace operation, small and multi-MiB writes, every
 * truncate and fallocate mode, hard and symbolic links, unlink while open, and fsync, fdatasync
 * and sync at chosen points, on a file system of a few tens of MiB, until it is full. Files are
 * filled with the stale-data marker before they are deleted, and their blocks are then reused
 * by other files.
 */
final class Workload {
    static final int KIB = 1024;
    static final int MIB = 1024 * KIB;
    static final int BLOCK = 4096;

    private Workload() {
    }

    static void run(ModelFs m) throws DaxException {
        basics(m);
        bigFileAndTruncate(m);
        fallocateModes(m);
        xattrs(m);
        renames(m);
        unlinkWhileOpen(m);
        fragmentedFile(m);
        manyEntries(m);
        deleteAndReuse(m);
        untilFull(m);
    }

    /** mkdir, create, small writes across block boundaries, links and symlinks, first promises. */
    private static void basics(ModelFs m) throws DaxException {
        m.mkdir("/d1");
        m.mkdir("/d1/sub");
        m.mkdir("/d2");
        m.create("/d1/a");
        m.write("/d1/a", 0, 100);
        m.fsync("/d1/a");
        m.write("/d1/a", 5000, 4000);       // a hole, then a write across a block boundary
        m.write("/d1/a", 40, 30);           // overwrite in place, unpersisted
        m.create("/d1/b");
        m.write("/d1/b", 0, 64 * KIB);
        m.link("/d1/b", "/d2/b-link");
        m.symlink("/d1/a", "/d2/short-link");
        m.symlink("/" + "long-target/".repeat(20) + "end", "/d2/long-link"); // too long for the inode
        m.fdatasync("/d1/b");
        m.write("/d2/b-link", 1000, 10);
        m.sync();
        m.create("/d1/sub/x");
        m.write("/d1/sub/x", 0, 3000);
        m.fsync("/d1/sub/x");
    }

    /**
     * Extended attributes on a file, a directory and a symlink: added, replaced, grown to several
     * blocks and shrunk back, removed, promised by fsync and sync; a file with attributes unlinked.
     */
    private static void xattrs(ModelFs m) throws DaxException {
        m.setxattr("/d1/a", "user.small", value(10, 1));
        m.setxattr("/d1", "user.dir", value(200, 2));
        m.setxattr("/d2/long-link", "trusted.on-link", value(50, 3));
        m.fsync("/d1/a");
        m.setxattr("/d1/a", "user.big", value(9000, 4));   // the chain grows to three blocks
        m.setxattr("/d1/a", "user.small", value(20, 5));   // replaced, unpersisted
        m.sync();
        m.setxattr("/d1/a", "user.big", value(100, 6));    // shrinks back to one block
        m.setxattr("/d1/a", "user.small", null);
        m.fsync("/d1/a");
        m.create("/d1/with-xattrs");
        m.setxattr("/d1/with-xattrs", "user.x", value(6000, 7));
        m.sync();
        m.unlink("/d1/with-xattrs");                      // its chain is freed with it
        m.setxattr("/d1", "user.dir", null);
        m.sync();
    }

    private static byte[] value(int length, int seed) {
        byte[] v = new byte[length];
        new java.util.SplittableRandom(seed).nextBytes(v);
        return v;
    }

    /** Multi-MiB writes (2 MiB-aligned and not), truncate shrink and grow. */
    private static void bigFileAndTruncate(ModelFs m) throws DaxException {
        m.create("/big");
        m.write("/big", 0, 2 * MIB);                  // a whole aligned 2 MiB piece
        m.write("/big", 2 * MIB, MIB + 12345);        // unaligned tail
        m.fdatasync("/big");
        m.write("/big", 100_000, 50_000);             // overwrite, unpersisted
        m.truncate("/big", MIB + MIB / 2 + 77);       // shrink into the overwritten range's file
        m.fsync("/big");
        m.truncate("/big", 2 * MIB + MIB / 2);        // grow: a sparse tail
        m.write("/big", 2 * MIB + 5, 100);
        m.fsync("/big");
        m.truncate("/big", 3 * MIB);                  // grow, not synced
        m.write("/d1/a", 0, 10);
        m.truncate("/d1/a", 50);                      // shrink inside the first block
        m.truncate("/d1/a", 20_000);                  // and grow: the tail must read as zeros
        m.fsync("/d1/a");
    }

    /** Every fallocate mode, with and without KEEP_SIZE, some fsynced and some not. */
    private static void fallocateModes(ModelFs m) throws DaxException {
        m.create("/f");
        m.write("/f", 0, 300 * KIB);
        m.fsync("/f");
        m.allocate("/f", 300 * KIB, 64 * KIB, false);          // grows the size
        m.allocate("/f", 400 * KIB, 64 * KIB, true);           // blocks past EOF
        m.fsync("/f");
        m.punchHole("/f", 10_000, 100_000);                    // partial blocks at both edges
        m.fdatasync("/f");
        m.punchHole("/f", 200 * KIB, 8 * KIB);
        m.zeroRange("/f", 150_001, 20_000, true);
        m.zeroRange("/f", 360 * KIB, 100 * KIB, false);        // extends the size
        m.fsync("/f");
        m.write("/f", 120 * KIB, 5000);
        m.collapseRange("/f", 16 * BLOCK, 32 * BLOCK);
        m.fsync("/f");
        m.insertRange("/f", 8 * BLOCK, 4 * BLOCK);
        m.write("/f", 8 * BLOCK + 100, 2000);                  // into the inserted hole
        m.fsync("/f");
        // Writes through a moved block map: before the shift commits, the durable map gives
        // those device blocks other file offsets, where promised data lives.
        m.create("/shift");
        m.write("/shift", 0, 64 * BLOCK);
        m.fdatasync("/shift");
        m.insertRange("/shift", 8 * BLOCK, 4 * BLOCK);
        m.punchHole("/shift", 20 * BLOCK + 100, 3 * BLOCK);  // zeroes partial blocks in place
        m.write("/shift", 30 * BLOCK + 5, 5000);             // overwrites in place
        m.collapseRange("/shift", 2 * BLOCK, 2 * BLOCK);
        m.write("/shift", 40 * BLOCK + 7, 3000);
        m.fsync("/shift");
        m.collapseRange("/big", MIB, MIB / 2);                 // collapse inside a huge extent
        m.insertRange("/big", 2 * BLOCK, BLOCK);
        m.sync();
        m.zeroRange("/big", 5, 3 * BLOCK, false);
        m.punchHole("/big", MIB - 3, 2 * MIB);                 // beyond EOF too
        m.fsync("/big");
    }

    /** rename within and across directories, over files, over empty dirs, of dirs; exchange. */
    private static void renames(ModelFs m) throws DaxException {
        m.rename("/d1/b", "/d1/c");
        m.create("/d1/victim");
        m.write("/d1/victim", 0, 8 * KIB);
        m.fsync("/d1/victim");
        m.rename("/d1/c", "/d1/victim");                         // replace: the victim is freed
        m.fsync("/d1/victim");
        m.create("/d2/v2");
        m.write("/d2/v2", 0, 5000);
        m.fsync("/d2/v2");
        m.rename("/d1/sub/x", "/d2/v2");                         // cross-directory replace, unsynced
        m.create("/d1/y");
        m.write("/d1/y", 0, 2000);
        m.rename("/d1/y", "/d2/short-link", RenameOption.EXCHANGE); // file <-> symlink
        m.sync();
        m.mkdir("/d2/empty");
        m.create("/d1/sub/z");
        m.write("/d1/sub/z", 0, 10_000);
        m.rename("/d1/sub", "/d2/empty");                        // a directory over an empty one, across
        m.fsync("/d2/empty/z");
        m.rename("/d2/empty", "/d1/moved", RenameOption.NOREPLACE);
        m.mkdir("/d3");
        m.create("/d3/t");
        m.unlink("/d3/t");
        m.rmdir("/d3");
        m.sync();
    }

    /** A file unlinked while open keeps working, is promised by fsync, and is freed at close (or mount). */
    private static void unlinkWhileOpen(ModelFs m) throws DaxException {
        m.create("/tmp");
        m.write("/tmp", 0, 200 * KIB);
        m.fsync("/tmp");
        ModelFs.Handle h = m.open("/tmp");
        m.fillWithMarker("/tmp");
        m.fdatasync("/tmp");
        m.unlink("/tmp");
        m.onHandle(h, "write", x -> m.write(x, 300 * KIB, 100 * KIB));
        m.onHandle(h, "fsync", m::fsync);                         // the orphan list is now durable
        m.create("/after-orphan");
        m.write("/after-orphan", 0, 50 * KIB);
        m.sync();
        m.close(h);                                               // frees the orphan
        m.create("/reuse-1");
        m.write("/reuse-1", 0, 500 * KIB);
        m.fsync("/reuse-1");
        m.syncAndCheckpoint();                                    // the orphan's blocks become reusable
        m.create("/reuse-2");
        m.write("/reuse-2", 0, 400 * KIB);
        m.fsync("/reuse-2");
    }

    /** Sparse writes give one extent per block: the extent list spills into a chain of extent blocks. */
    private static void fragmentedFile(ModelFs m) throws DaxException {
        m.create("/frag");
        for (int i = 0; i < 40; i++) {
            m.write("/frag", (long) 2 * i * BLOCK + 7, 100);
            if (i == 20) {
                m.fsync("/frag");
            }
        }
        m.fsync("/frag");
        m.punchHole("/frag", 10 * BLOCK, 30 * BLOCK);
        m.collapseRange("/frag", 4 * BLOCK, 2 * BLOCK);
        m.fsync("/frag");
        m.truncate("/frag", 3 * BLOCK);                           // the chain shrinks away
        m.fsync("/frag");
    }

    /** Enough long names for several directory blocks, then removals that empty some of them. */
    private static void manyEntries(ModelFs m) throws DaxException {
        m.mkdir("/many");
        String pad = "n".repeat(120);
        for (int i = 0; i < 45; i++) {
            m.create("/many/" + pad + i);
            if (i % 9 == 0) {
                m.write("/many/" + pad + i, 0, 300);
            }
        }
        m.fsync("/many/" + pad + 0);
        for (int i = 0; i < 45; i += 2) {
            m.unlink("/many/" + pad + i);
        }
        m.link("/d1/a", "/many/hard");
        m.sync();
    }

    /**
     * Fills the device until a write comes up short, then deletes files and writes again with
     * no explicit checkpoint: the space comes back only when allocation itself checkpoints.
     */
    private static void untilFull(ModelFs m) throws DaxException {
        m.mkdir("/full");
        int n = 0;
        while (m.writeUpTo(create(m, "/full/f" + n++), 0, MIB) == MIB) {
            // until the device is full
        }
        m.fsync("/full/f" + (n - 1));
        m.fillWithMarker("/full/f0");
        m.fdatasync("/full/f0");
        for (int i = 0; i < n; i += 2) {
            m.unlink("/full/f" + i);
        }
        m.sync();
        String again = create(m, "/full/again");
        m.writeUpTo(again, 0, 3 * MIB);                           // needs the freed blocks
        m.fsync(again);
        for (int i = 1; i < n; i += 2) {
            m.unlink("/full/f" + i);
        }
        m.unlink(again);
        m.rmdir("/full");
        m.sync();
    }

    private static String create(ModelFs m, String path) throws DaxException {
        m.create(path);
        return path;
    }

    /** Deleted files' blocks (filled with the marker) go to new files, synced and not. */
    private static void deleteAndReuse(ModelFs m) throws DaxException {
        m.fillWithMarker("/big");
        m.fdatasync("/big");
        m.fillWithMarker("/f");
        m.fdatasync("/f");
        m.unlink("/big");
        m.unlink("/f");
        m.sync();
        m.create("/new1");
        m.write("/new1", 0, 2 * MIB);                             // may not reuse yet: frees wait for a checkpoint
        m.syncAndCheckpoint();
        m.create("/new2");
        m.write("/new2", 0, MIB);                                 // reuses freed blocks, unsynced
        m.truncate("/new2", 3 * MIB);
        m.write("/new2", 2 * MIB + 3, 10_000);
        m.fsync("/new2");
        m.create("/new3");
        m.allocate("/new3", 0, 2 * MIB, false);                   // reused blocks must read as zeros
        m.write("/new3", MIB, 1000);
        m.fdatasync("/new3");
        m.unlink("/new1");
        m.rename("/new3", "/new2");
        m.sync();
    }
}
