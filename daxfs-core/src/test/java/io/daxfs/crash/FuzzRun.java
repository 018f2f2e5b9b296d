package io.daxfs.crash;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DirEntry;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;
import io.daxfs.testutil.RetainedDevice;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What must hold for any image, however damaged: fsck and mount either work or refuse it with a
 * {@link DaxException}, never another exception; a refusal through the path-based API writes
 * nothing, and fsck without repair never writes; a mounted image can be listed, stat'ed, read,
 * changed and unmounted, each step either working or throwing a DaxException. fsck with repair, too,
 * only ever fails with a DaxException; a repair that reports a clean image leaves one that
 * checks clean, and a repaired image mounts or is refused with a DaxException.
 */
final class FuzzRun implements AutoCloseable {
    private final Path file;
    private final RetainedDevice scratch;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment readBack;
    long mounted;
    long refused;
    long repaired;
    long cleanAfterRepair;
    /** EUCLEAN errors met while using mounted images: damage found lazily. */
    long lazyErrors;

    FuzzRun(Path dir, long size) {
        this.file = dir.resolve("fuzz.img");
        this.scratch = RetainedDevice.allocateFreeable(size);
        this.readBack = arena.allocate(size, 4096);
    }

    /** Checks one image; throws AssertionError (or what the file system threw) when a rule is broken. */
    void check(MemorySegment image) throws IOException {
        // fsck, device API: no repair, so no write.
        scratch.load(image);
        try {
            Internals.fsck(scratch, false, ProgressListener.NONE);
        } catch (DaxException e) {
            // refused: fine
        }
        assertUnchanged(scratch.segment(), image, "fsck(Device, repair=false)");

        // mount, device API: refuse, or work well enough to be used.
        scratch.load(image);
        DaxFileSystem fs = null;
        try {
            fs = Internals.mount(scratch, CrashChecker.MOUNT);
        } catch (DaxException e) {
            refused++;
        }
        if (fs != null) {
            mounted++;
            try {
                exercise(fs);
            } finally {
                try {
                    fs.close();
                } catch (DaxException e) {
                    // a damaged image may fail to unmount cleanly
                }
            }
        }

        // fsck with repair: ends, throwing nothing but DaxException; what it leaves is checkable
        // and mounts or is refused.
        scratch.load(image);
        try {
            FsckReport r = Internals.fsck(scratch, true, ProgressListener.NONE);
            repaired++;
            if (Internals.fsck(scratch, false, ProgressListener.NONE).clean()) {
                cleanAfterRepair++;
            } else if (r.clean()) {
                throw new AssertionError("fsck repair reported a clean image, but a second check finds problems");
            }
            Internals.mount(scratch, CrashChecker.MOUNT).close();
        } catch (DaxException e) {
            // refused or not repairable: fine
        }

        // Path API: fsck without repair never writes; a refused mount writes nothing.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = image.asByteBuffer();
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
        try {
            DaxFileSystem.fsck(file, false, ProgressListener.NONE);
        } catch (DaxException e) {
            // refused: fine
        }
        assertFileUnchanged(image, "fsck(Path, repair=false)");
        DaxFileSystem pfs = null;
        try {
            pfs = DaxFileSystem.mount(file, CrashChecker.MOUNT);
        } catch (DaxException e) {
            assertFileUnchanged(image, "a refused mount(Path) (" + e.getMessage() + ")");
        }
        if (pfs != null) {
            try {
                pfs.close();
            } catch (DaxException e) {
                // as above
            }
        }
    }

    private void note(DaxException e) {
        if (e.errno() == io.daxfs.types.Errno.EUCLEAN) {
            lazyErrors++;
        }
    }

    /**
     * Lists every directory, stats every entry, reads every file and link; then changes some
     * files found (truncate, punch, unlink, rename: the paths that free blocks and drop links)
     * and writes a new one.
     */
    private void exercise(DaxFileSystem fs) {
        fs.statfs();
        List<String> files = new ArrayList<>();
        ArrayDeque<String> dirs = new ArrayDeque<>();
        Set<Long> seenDirs = new HashSet<>();
        dirs.add("/");
        int entries = 0;
        byte[] buf = new byte[64 << 10];
        while (!dirs.isEmpty() && entries < 10_000) {
            String dir = dirs.poll();
            try {
                for (DirEntry d : fs.readdir(dir)) {
                    entries++;
                    String p = FsModel.child(dir, d.name());
                    try {
                        FileStat st = fs.lstat(p);
                        if (st.type() == FileType.DIRECTORY) {
                            if (seenDirs.add(st.ino())) {
                                dirs.add(p);
                            }
                        } else if (st.type() == FileType.SYMLINK) {
                            fs.readlink(p);
                        } else {
                            fs.stat(p);
                            files.add(p);
                            try (DaxFile f = fs.open(p, StandardOpenOption.READ)) {
                                long size = f.size();
                                for (long pos = 0; pos < Math.min(size, 1 << 20); pos += buf.length) {
                                    f.read(pos, buf, 0, buf.length);
                                }
                                if (size > buf.length) {
                                    f.read(size - buf.length, buf, 0, buf.length);
                                }
                            }
                        }
                    } catch (DaxException e) {
                        note(e); // damage found on the way: fine
                    }
                }
            } catch (DaxException e) {
                note(e); // fine
            }
        }
        for (int i = 0; i < Math.min(files.size(), 12); i++) {
            String p = files.get(i);
            try {
                switch (i % 4) {
                    case 0 -> {
                        try (DaxFile f = fs.open(p, StandardOpenOption.WRITE)) {
                            f.truncate(f.size() / 2);
                        }
                    }
                    case 1 -> {
                        try (DaxFile f = fs.open(p, StandardOpenOption.WRITE)) {
                            f.punchHole(0, 3 * 4096 + 5);
                        }
                    }
                    case 2 -> fs.unlink(p);
                    default -> fs.rename(p, "/fuzz-renamed-" + i);
                }
            } catch (DaxException e) {
                note(e);
            }
        }
        try {
            try (DaxFile f = fs.open("/fuzz-probe", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                f.write(0, buf, 0, buf.length);
                f.fsync();
            }
            fs.unlink("/fuzz-probe");
            fs.mkdir("/fuzz-dir");
            fs.rmdir("/fuzz-dir");
            fs.sync();
        } catch (DaxException e) {
            // fine
        }
    }

    private void assertFileUnchanged(MemorySegment image, String what) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() != image.byteSize()) {
                throw new AssertionError(what + " changed the image size to " + ch.size());
            }
            ByteBuffer b = readBack.asByteBuffer();
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read it all
            }
        }
        assertUnchanged(readBack, image, what);
    }

    private static void assertUnchanged(MemorySegment now, MemorySegment image, String what) {
        long m = MemorySegment.mismatch(now, 0, image.byteSize(), image, 0, image.byteSize());
        if (m >= 0) {
            throw new AssertionError(what + " wrote to the image (first change at byte " + m + ", block " + (m >> 12) + ")");
        }
    }

    @Override
    public void close() {
        scratch.free();
        arena.close();
    }
}
