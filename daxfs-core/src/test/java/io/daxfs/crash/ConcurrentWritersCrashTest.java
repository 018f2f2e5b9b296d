package io.daxfs.crash;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.Internals;
import io.daxfs.device.MemoryDevice;
import io.daxfs.device.RecordingDevice;
import io.daxfs.testutil.RetainedDevice;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash states of concurrent writers during fsync: several threads write disjoint ranges of
 * the same files (so one thread's write lands while another's fsync of that file runs), into
 * holes, into unwritten blocks that fallocate put ahead of them, and into partial blocks, and
 * fsync or fdatasync now and then. At persistence points the durable image (what a power failure
 * then leaves) is checked on a separate thread while the writers wait:
 * <ul>
 * <li>it is consistent (fsck) and mounts;</li>
 * <li>every range whose writer's fsync or fdatasync returned before the point holds its bytes,
 *     and the file is at least that long;</li>
 * <li>every other byte of every file is either the byte written there or zero: never a byte of
 *     a former owner of the block (the device is first filled with a marker that no writer writes,
 *     through a file that is then deleted, so the writers get its blocks).</li>
 * </ul>
 */
class ConcurrentWritersCrashTest {
    private static final long SIZE = 24L << 20;
    private static final int FILES = 2;
    private static final int THREADS_PER_FILE = 2;
    private static final byte MARKER = (byte) 0xA5;
    private static final boolean LONG = Boolean.getBoolean("daxfs.test.long");

    /** The byte every writer puts at offset {@code off} of file {@code file}: 1..127, never 0 or the marker. */
    static byte expected(int file, long off) {
        long x = (off + 1) * 0x9E37_79B9_7F4A_7C15L ^ (file + 1) * 0xC2B2_AE3D_27D4_EB4FL;
        x ^= x >>> 29;
        return (byte) (1 + Math.floorMod(x, 127));
    }

    private record Promise(int file, long off, long len) {
    }

    @Test
    @Timeout(600)
    void concurrentWritersNeverLoseAnFsyncedByteAndNeverShowAFormerOwnersBytes() throws Exception {
        long seed = Long.getLong("daxfs.crash.seed", 7);
        RecordingDevice dev = RecordingDevice.allocate(SIZE);
        Internals.format(RetainedDevice.view(dev), FormatOptions.DEFAULT).close();
        DaxFileSystem fs = Internals.mount(RetainedDevice.view(dev), MountOptions.DEFAULT.withCommitIntervalMs(0));
        fillFreeSpaceWithMarkerBlocks(fs);

        List<Promise> promises = new ArrayList<>(); // guarded by itself
        DaxFile[] files = new DaxFile[FILES];
        AtomicLong[] next = new AtomicLong[FILES];
        for (int i = 0; i < FILES; i++) {
            files[i] = fs.open("/f" + i, CREATE, READ, WRITE);
            next[i] = new AtomicLong();
        }
        fs.sync();

        ExecutorService checker = Executors.newSingleThreadExecutor(r -> new Thread(r, "crash-check"));
        List<String> failures = new ArrayList<>();
        long stride = LONG ? 3 : 17;
        long[] checked = {0};
        dev.onPersist(point -> {
            if (point % stride != 0 || !failures.isEmpty()) {
                return;
            }
            List<Promise> snapshot;
            synchronized (promises) {
                snapshot = List.copyOf(promises);
            }
            MemorySegment image = dev.durableImage();
            // The writers hold file-system locks here, and the lock checker tracks locks per
            // thread: the image is checked on another thread, which this one waits for.
            try {
                String bad = checker.submit(() -> check(image, snapshot)).get();
                checked[0]++;
                if (bad != null) {
                    failures.add("point " + point + ": " + bad);
                }
            } catch (Exception e) {
                failures.add("point " + point + ": " + e);
            }
        });

        ExecutorService writers = Executors.newFixedThreadPool(FILES * THREADS_PER_FILE);
        List<Future<?>> done = new ArrayList<>();
        int ops = LONG ? 400 : 120;
        for (int t = 0; t < FILES * THREADS_PER_FILE; t++) {
            int file = t % FILES;
            SplittableRandom rnd = new SplittableRandom(seed * 31 + t);
            done.add(writers.submit(() -> {
                for (int op = 0; op < ops && failures.isEmpty(); op++) {
                    int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 3000 : 40_000);
                    long off = next[file].getAndAdd(len + (rnd.nextInt(4) == 0 ? rnd.nextInt(9000) : 0));
                    if (off + len > SIZE / 4) {
                        break;
                    }
                    if (rnd.nextInt(8) == 0) {
                        files[file].allocate(off, 128 << 10, true); // unwritten blocks ahead of the writes
                    }
                    byte[] b = new byte[len];
                    for (int k = 0; k < len; k++) {
                        b[k] = expected(file, off + k);
                    }
                    assertEquals(len, files[file].write(off, b, 0, len));
                    int sync = rnd.nextInt(10);
                    if (sync < 3) {
                        if (sync == 0) {
                            files[file].fdatasync();
                        } else {
                            files[file].fsync();
                        }
                        synchronized (promises) {
                            promises.add(new Promise(file, off, len));
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        writers.shutdown();
        for (DaxFile f : files) {
            f.close();
        }
        fs.close();
        checker.shutdown();
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
        assertTrue(checked[0] >= 5, "only " + checked[0] + " crash images were checked");
        System.out.printf("concurrent writers crash test: %d crash images checked, %d fsync promises, %d points%n",
                checked[0], promises.size(), dev.persistencePoints());
    }

    /** Fills the free data blocks with the marker through one file, then deletes it and makes the blocks free. */
    private static void fillFreeSpaceWithMarkerBlocks(DaxFileSystem fs) throws Exception {
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, MARKER);
        try (DaxFile f = fs.open("/marker", CREATE, WRITE)) {
            long free = fs.statfs().freeBlocks() * 4096;
            for (long off = 0; off + chunk.length < free - (2L << 20); off += chunk.length) {
                f.write(off, chunk, 0, chunk.length);
            }
            f.fsync();
        }
        fs.unlink("/marker");
        fs.sync();
        Internals.volume(fs).journal().checkpoint(); // its blocks are free to reuse now
    }

    /** Null when the durable image keeps every promise and shows no foreign byte; else what is wrong. */
    private static String check(MemorySegment image, List<Promise> promises) throws Exception {
        FsckReport report;
        try (MemoryDevice copy = MemoryDevice.copyOf(image)) { // memory a device holds goes back at its close only
            report = Internals.fsck(copy, false, ProgressListener.NONE);
        }
        if (!report.clean()) {
            return "fsck: " + report.problems();
        }
        try (DaxFileSystem crashed = Internals.mount(MemoryDevice.copyOf(image), MountOptions.DEFAULT)) {
            for (int i = 0; i < FILES; i++) {
                byte[] data;
                try (DaxFile f = crashed.open("/f" + i, READ)) {
                    data = new byte[(int) f.size()];
                    int got = 0;
                    while (got < data.length) {
                        got += f.read(got, data, got, data.length - got);
                    }
                }
                for (int o = 0; o < data.length; o++) {
                    if (data[o] != 0 && data[o] != expected(i, o)) {
                        return "/f" + i + " byte " + o + " is " + data[o] + ", neither written there nor zero"
                                + (data[o] == MARKER ? " (a former owner's marker: stale data)" : "");
                    }
                }
                for (Promise p : promises) {
                    if (p.file() != i) {
                        continue;
                    }
                    if (data.length < p.off() + p.len()) {
                        return "/f" + i + " is " + data.length + " bytes, but [" + p.off() + ", +" + p.len() + ") was fsynced";
                    }
                    for (long o = p.off(); o < p.off() + p.len(); o++) {
                        if (data[(int) o] != expected(i, o)) {
                            return "/f" + i + " byte " + o + " of the fsynced range [" + p.off() + ", +" + p.len()
                                    + ") is " + data[(int) o];
                        }
                    }
                }
            }
        }
        return null;
    }
}
