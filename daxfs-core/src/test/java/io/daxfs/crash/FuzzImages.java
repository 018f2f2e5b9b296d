package io.daxfs.crash;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FormatOptions;
import io.daxfs.device.MemoryDevice;
import io.daxfs.device.RecordingDevice;
import io.daxfs.journal.Journal;
import io.daxfs.journal.JournalScan;
import io.daxfs.media.Superblock;
import io.daxfs.testutil.RetainedDevice;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;

/**
 * Populated images to corrupt: every kind of metadata present (nested and multi-block
 * directories, a file whose extents spill into two extent blocks, inline and block symlinks,
 * hard links), either cleanly unmounted or crashed right after a commit, with the committed
 * transactions (and an orphan) still only in the journal.
 */
final class FuzzImages {
    static final long SIZE = 8L << 20;

    /** An image and its metadata map. */
    record Base(String name, MemorySegment image, ImageLocator locator) {
    }

    private FuzzImages() {
    }

    /** A populated, cleanly unmounted image. */
    static Base clean(Arena arena) throws DaxException {
        RecordingDevice dev = RecordingDevice.allocate(SIZE);
        try {
            try (DaxFileSystem fs = Internals.format(RetainedDevice.view(dev), FormatOptions.DEFAULT)) {
                populate(fs);
            }
            MemorySegment image = arena.allocate(SIZE, 4096).copyFrom(dev.durableImage());
            return new Base("clean", image, new ImageLocator(image, image));
        } finally {
            dev.close();
        }
    }

    /**
     * A populated image as a crash right after a commit leaves it: the last transactions are
     * committed in the journal but not checkpointed (their home blocks still hold the old
     * contents), and the orphan list holds a file unlinked while open.
     */
    static Base journaled(Arena arena) throws DaxException {
        RecordingDevice dev = RecordingDevice.allocate(SIZE);
        try {
            Internals.format(RetainedDevice.view(dev), FormatOptions.DEFAULT).close();
            DaxFileSystem fs = Internals.mount(RetainedDevice.view(dev), CrashChecker.MOUNT);
            populate(fs);
            fs.sync();
            Internals.volume(fs).journal().checkpoint();
            fs.mkdir("/j");
            fs.mkdir("/j/k");
            write(fs, "/j/k/new", 9000);
            fs.rename("/a/b/f1", "/j/moved");
            fs.unlink("/many/" + "m".repeat(100) + 3);
            fs.symlink("/j/" + "t".repeat(300), "/j/long-link");
            DaxFile orphan = fs.open("/a/f0", StandardOpenOption.READ, StandardOpenOption.WRITE);
            fs.unlink("/a/f0");
            orphan.write(0, MemorySegment.ofArray(new byte[5000]));
            orphan.fsync();
            MemorySegment image = arena.allocate(SIZE, 4096).copyFrom(dev.durableImage());
            try (MemoryDevice replayed = MemoryDevice.copyOf(image)) {
                Superblock sb = Superblock.read(replayed.segment());
                JournalScan.Result scan = JournalScan.scan(replayed.segment(), sb);
                if (scan.txs().isEmpty()) {
                    throw new IllegalStateException("the journaled image has no committed transaction");
                }
                Journal.replay(replayed, sb, scan);
                return new Base("journaled", image, new ImageLocator(image, replayed.segment()));
            }
        } finally {
            dev.close();
        }
    }

    private static void populate(DaxFileSystem fs) throws DaxException {
        fs.mkdir("/a");
        fs.mkdir("/a/b");
        fs.mkdir("/a/b/c");
        fs.mkdir("/many");
        for (int i = 0; i < 4; i++) {
            write(fs, "/a/f" + i, 100 + 3000 * i);
            write(fs, "/a/b/f" + i, 5000 * i + 1);
        }
        for (int i = 0; i < 60; i++) {
            write(fs, "/many/" + "m".repeat(100) + i, i % 7 == 0 ? 500 : 0); // over 4 directory blocks
        }
        try (DaxFile f = fs.open("/frag", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] b = new byte[100];
            for (int i = 0; i < 300; i++) { // one extent per block: two extent blocks
                Pattern.fill(b, 0, b.length, 8192L * i, i);
                f.write(8192L * i, MemorySegment.ofArray(b));
            }
        }
        write(fs, "/a/b/c/big", 1 << 20);
        fs.symlink("/a/f1", "/a/short-link");
        fs.symlink("/" + "x".repeat(200), "/a/long-link");
        fs.link("/a/f2", "/a/b/c/hard");
        fs.sync();
    }

    private static void write(DaxFileSystem fs, String path, int len) throws DaxException {
        try (DaxFile f = fs.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] b = new byte[len];
            Pattern.fill(b, 0, len, 0, path.hashCode());
            f.write(0, MemorySegment.ofArray(b));
        }
    }
}
