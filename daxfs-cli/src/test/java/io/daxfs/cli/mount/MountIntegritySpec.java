package io.daxfs.cli.mount;

import com.sun.nio.file.ExtendedOpenOption;
import io.daxfs.types.FsckReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A randomized data-integrity run through a real mount: reads, writes, mmap reads, mmap writes
 * with msync, truncates, punched holes, zeroed ranges, preallocation, fsync and reopens, from
 * this JVM (another process than the server) through the kernel, each checked against a shadow
 * copy of every file; periodic full compares (through the page cache, and with O_DIRECT, which
 * asks the server); at half time and at the end an unmount, a clean fsck, a remount and a full
 * compare.
 *
 * <p>Seeded: the seed is printed; rerun one with {@code -Ddaxfs.fuse.seed=SEED}. The number of
 * operations is {@code -Ddaxfs.fuse.ops} (default 100,000; 1,000,000 with
 * {@code -Ddaxfs.test.long=true}). A miscompare fails with the seed, the operation index, the
 * first differing byte with a hex dump around it, and the last operations.
 */
class MountIntegritySpec {
    private static final int FILES = 3;
    private static final int MAX = 8 << 20;
    private static final int MAX_IO = 256 << 10;
    private static final int FULL_COMPARE_EVERY = 10_000;
    private static final int HISTORY = 40;

    @TempDir
    Path tmp;

    private long seed;
    private long opIndex;
    private final Deque<String> history = new ArrayDeque<>();
    private final ByteBuffer io = ByteBuffer.allocateDirect(MAX_IO + 4096);
    private final byte[] got = new byte[MAX_IO + 4096];

    /** One file: its shadow (bytes past {@code size} are always zero) and an open read-write channel. */
    private static final class Model {
        final Path path;
        final byte[] data = new byte[MAX];
        long size;
        RandomAccessFile raf;
        FileChannel ch;

        Model(Path path) {
            this.path = path;
        }

        void open() throws IOException {
            raf = new RandomAccessFile(path.toFile(), "rw");
            ch = raf.getChannel();
        }

        void close() throws IOException {
            if (raf != null) {
                raf.close();
                raf = null;
                ch = null;
            }
        }
    }

    @Test
    void randomOperationsThroughTheMountAlwaysMatchAShadowCopy() throws Exception {
        boolean longRun = Boolean.getBoolean("daxfs.test.long");
        String s = System.getProperty("daxfs.fuse.seed", "");
        seed = s.isBlank() ? new SplittableRandom().nextLong() : Long.decode(s.trim());
        long ops = Long.getLong("daxfs.fuse.ops", longRun ? 1_000_000 : 100_000);
        System.out.println("MountIntegritySpec: seed=" + seed + " ops=" + ops
                + " (rerun with -Ddaxfs.fuse.seed=" + seed + ")");
        SplittableRandom rnd = new SplittableRandom(seed);
        long t0 = System.nanoTime();
        int[] counts = new int[Op.values().length];
        long[] nanos = new long[Op.values().length];

        Path base = IntegrityFalloc.fastDir(tmp);
        try (FuseMount m = FuseMount.create(base.resolve("fs"), "256M");
             IntegrityFalloc falloc = IntegrityFalloc.start(tmp)) {
            Model[] files = new Model[FILES];
            for (int i = 0; i < FILES; i++) {
                files[i] = new Model(m.path("f" + i));
                Files.createFile(files[i].path);
                files[i].open();
            }
            for (opIndex = 0; opIndex < ops; opIndex++) {
                Model f = files[rnd.nextInt(FILES)];
                Op op = Op.pick(rnd);
                counts[op.ordinal()]++;
                long ts = System.nanoTime();
                step(op, f, rnd, falloc);
                nanos[op.ordinal()] += System.nanoTime() - ts;
                if (f.ch.size() != f.size) {
                    failAt("size after " + op + " of " + f.path.getFileName() + ": " + f.ch.size()
                            + " but the shadow says " + f.size);
                }
                if ((opIndex + 1) % FULL_COMPARE_EVERY == 0) {
                    boolean direct = (opIndex / FULL_COMPARE_EVERY) % 2 == 1;
                    for (Model x : files) {
                        compareAll(x, direct ? "full compare (O_DIRECT)" : "full compare");
                    }
                }
                if (opIndex == ops / 2) {
                    remountAndCompare(m, files, "half time");
                }
            }
            remountAndCompare(m, files, "the end");
            for (Model x : files) {
                x.close();
            }
        } finally {
            IntegrityFalloc.deleteFastDir(base, tmp);
        }
        StringBuilder mix = new StringBuilder();
        for (Op op : Op.values()) {
            mix.append(' ').append(op).append('=').append(counts[op.ordinal()])
                    .append(String.format(" (%.0f µs)", nanos[op.ordinal()] / 1e3 / Math.max(1, counts[op.ordinal()])));
        }
        System.out.printf("MountIntegritySpec: %d operations in %.1f s, zero miscompares (seed %d);%s%n",
                ops, (System.nanoTime() - t0) / 1e9, seed, mix);
    }

    private enum Op {
        PREAD(330), PWRITE(330), MMAP_READ(70), MMAP_WRITE(35), TRUNCATE(25), PUNCH(40), ZERO(40), ALLOCATE(12),
        FSYNC(12), REOPEN(5), APPEND(45);

        final int weight;
        static final int TOTAL = Arrays.stream(values()).mapToInt(o -> o.weight).sum();

        Op(int weight) {
            this.weight = weight;
        }

        static Op pick(SplittableRandom rnd) {
            int x = rnd.nextInt(TOTAL);
            for (Op op : values()) {
                x -= op.weight;
                if (x < 0) {
                    return op;
                }
            }
            throw new AssertionError();
        }
    }

    private void step(Op op, Model f, SplittableRandom rnd, IntegrityFalloc falloc) throws Exception {
        switch (op) {
            case PREAD -> {
                long off = offset(rnd, f.size + 4096);
                int len = (int) Math.min(length(rnd), MAX_IO);
                note("pread %s off=%d len=%d", f, off, len);
                pread(f, off, len, "pread");
            }
            case PWRITE, APPEND -> {
                long off = op == Op.APPEND ? f.size
                        : rnd.nextInt(10) == 0 ? f.size + rnd.nextLong(1 << 20) : offset(rnd, f.size);
                int len = (int) Math.min(length(rnd), MAX_IO);
                if (off >= MAX) {
                    off = rnd.nextLong(MAX);
                }
                len = (int) Math.min(len, MAX - off);
                if (len <= 0) {
                    return;
                }
                byte[] b = new byte[len];
                rnd.nextBytes(b);
                note("%s %s off=%d len=%d (size %d)", op == Op.APPEND ? "append" : "pwrite", f, off, len, f.size);
                io.clear();
                io.put(b, 0, len).flip();
                long pos = off;
                while (io.hasRemaining()) {
                    pos += f.ch.write(io, pos);
                }
                System.arraycopy(b, 0, f.data, (int) off, len);
                f.size = Math.max(f.size, off + len);
            }
            case MMAP_READ -> {
                if (f.size == 0) {
                    return;
                }
                long off = rnd.nextLong(f.size);
                int len = (int) Math.min(Math.min(length(rnd), MAX_IO), f.size - off);
                note("mmap read %s off=%d len=%d", f, off, len);
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment seg = f.ch.map(FileChannel.MapMode.READ_ONLY, off, len, a);
                    MemorySegment.copy(seg, JAVA_BYTE, 0, got, 0, len);
                }
                compare(f, off, got, len, "mmap read");
            }
            case MMAP_WRITE -> {
                if (f.size == 0) {
                    return;
                }
                long off = rnd.nextLong(f.size);
                int len = (int) Math.min(Math.min(length(rnd), MAX_IO), f.size - off);
                byte[] b = new byte[len];
                rnd.nextBytes(b);
                note("mmap write+msync %s off=%d len=%d", f, off, len);
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment seg = f.ch.map(FileChannel.MapMode.READ_WRITE, off, len, a);
                    MemorySegment.copy(b, 0, seg, JAVA_BYTE, 0, len);
                    seg.force();
                }
                System.arraycopy(b, 0, f.data, (int) off, len);
                pread(f, off, len, "pread after mmap write");
            }
            case TRUNCATE -> {
                int r = rnd.nextInt(10);
                long n = r < 4 ? rnd.nextLong(f.size + 1)
                        : r < 8 ? f.size + rnd.nextLong(1 << 20)
                        : r < 9 ? f.size - Math.min(f.size, rnd.nextLong(8192)) : rnd.nextLong(MAX + 1L);
                n = Math.min(n, MAX);
                note("truncate %s %d -> %d", f, f.size, n);
                f.raf.setLength(n);
                if (n < f.size) {
                    Arrays.fill(f.data, (int) n, (int) f.size, (byte) 0);
                }
                f.size = n;
            }
            case PUNCH, ZERO, ALLOCATE -> {
                long off = rnd.nextInt(8) == 0 ? f.size + rnd.nextLong(65536) : offset(rnd, f.size);
                long len = rnd.nextInt(4) == 0 ? 1 + rnd.nextLong(1 << 20) : length(rnd);
                off = Math.min(off, MAX - 1);
                len = Math.min(len, MAX - off);
                boolean keep = rnd.nextBoolean();
                String cmd = op == Op.PUNCH ? "punch" : (op == Op.ZERO ? "zero" : "alloc") + (keep ? "keep" : "");
                note("%s %s off=%d len=%d (size %d)", cmd, f, off, len, f.size);
                int err = falloc.run(cmd, f.path, off, len);
                if (err != 0) {
                    failAt(cmd + " " + f.path.getFileName() + " off=" + off + " len=" + len + ": errno " + err);
                }
                long end = off + len;
                if (op == Op.PUNCH) {
                    zero(f, off, Math.min(end, f.size));
                } else {
                    if (op == Op.ZERO) {
                        zero(f, off, keep ? Math.min(end, f.size) : end);
                    }
                    if (!keep) {
                        f.size = Math.max(f.size, end);
                    }
                }
            }
            case FSYNC -> {
                int r = rnd.nextInt(3);
                note("%s %s", r == 0 ? "fsync" : r == 1 ? "fdatasync" : "fsync (other open)", f);
                if (r == 2) {
                    int err = falloc.run("fsync", f.path, 0, 0);
                    if (err != 0) {
                        failAt("fsync " + f.path.getFileName() + ": errno " + err);
                    }
                } else {
                    f.ch.force(r == 0);
                }
            }
            case REOPEN -> {
                note("reopen %s", f);
                f.close();
                f.open();
                pread(f, offset(rnd, f.size), (int) Math.min(length(rnd), MAX_IO), "pread after reopen");
            }
        }
    }

    private static void zero(Model f, long from, long to) {
        if (to > from) {
            Arrays.fill(f.data, (int) from, (int) to, (byte) 0);
        }
    }

    /** An offset in [0, limit]: often near a page boundary or the end. */
    private static long offset(SplittableRandom rnd, long limit) {
        if (limit <= 0) {
            return 0;
        }
        int r = rnd.nextInt(10);
        long o;
        if (r < 2) {
            o = limit - rnd.nextLong(Math.min(limit, 8192) + 1);
        } else if (r < 4) {
            o = (rnd.nextLong(limit) & ~4095L) + rnd.nextInt(-3, 4);
        } else {
            o = rnd.nextLong(limit + 1);
        }
        return Math.max(0, Math.min(limit, o));
    }

    /** Mostly small lengths, sometimes up to 256 KiB. */
    private static long length(SplittableRandom rnd) {
        int r = rnd.nextInt(100);
        if (r < 55) {
            return 1 + rnd.nextInt(512);
        } else if (r < 83) {
            return 1 + rnd.nextInt(8192);
        } else if (r < 98) {
            return 1 + rnd.nextInt(65536);
        }
        return 1 + rnd.nextInt(MAX_IO);
    }

    /** Reads [off, off+len) with pread and compares with the shadow (short only at the end of the file). */
    private void pread(Model f, long off, int len, String what) throws IOException {
        io.clear().limit(len);
        long pos = off;
        while (io.hasRemaining()) {
            int n = f.ch.read(io, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
        int n = io.position();
        long expected = Math.max(0, Math.min(len, f.size - off));
        if (n != expected) {
            failAt(what + " " + f.path.getFileName() + " off=" + off + " len=" + len + " returned " + n
                    + " bytes, expected " + expected + " (size " + f.size + ")");
        }
        io.flip().get(got, 0, n);
        compare(f, off, got, n, what);
    }

    private void compare(Model f, long off, byte[] actual, int len, String what) {
        if (len == 0) {
            return;
        }
        int d = Arrays.mismatch(actual, 0, len, f.data, (int) off, (int) off + len);
        if (d >= 0) {
            long at = off + d;
            int from = Math.max(0, d - 16);
            int to = Math.min(len, d + 32);
            HexFormat hex = HexFormat.ofDelimiter(" ");
            failAt(what + ": " + f.path.getFileName() + " differs at byte " + at + " (0x" + Long.toHexString(at)
                    + ", read " + off + "+" + len + ", size " + f.size + "): got 0x"
                    + String.format("%02x", actual[d]) + ", expected 0x" + String.format("%02x", f.data[(int) at])
                    + "\n  bytes " + (off + from) + ".." + (off + to)
                    + "\n  got      " + hex.formatHex(actual, from, to)
                    + "\n  expected " + hex.formatHex(f.data, (int) off + from, (int) off + to));
        }
    }

    /** The whole file against its shadow, in 256 KiB reads (with O_DIRECT: from the server, not the page cache). */
    private void compareAll(Model f, String what) throws IOException {
        boolean direct = what.contains("O_DIRECT");
        if (!direct) {
            if (f.ch.size() != f.size) {
                failAt(what + ": size of " + f.path.getFileName() + " is " + f.ch.size() + ", expected " + f.size);
            }
            for (long off = 0; off < f.size; off += MAX_IO) {
                pread(f, off, (int) Math.min(MAX_IO, f.size - off), what);
            }
            return;
        }
        try (FileChannel ch = FileChannel.open(f.path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            if (ch.size() != f.size) {
                failAt(what + ": size of " + f.path.getFileName() + " is " + ch.size() + ", expected " + f.size);
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(MAX_IO + 8192).alignedSlice(4096);
            for (long off = 0; off < f.size; off += MAX_IO) {
                buf.clear().limit(MAX_IO);
                int n = 0;
                while (buf.hasRemaining()) {
                    int k = ch.read(buf, off + n);
                    if (k <= 0) {
                        break;
                    }
                    n += k;
                    if (n % 4096 != 0) {
                        break; // short: the end of the file
                    }
                }
                long expected = Math.min(MAX_IO, f.size - off);
                if (n != expected) {
                    failAt(what + " " + f.path.getFileName() + " off=" + off + " returned " + n + " bytes, expected "
                            + expected);
                }
                buf.flip().get(got, 0, n);
                compare(f, off, got, n, what);
            }
        }
    }

    private void remountAndCompare(FuseMount m, Model[] files, String when) throws Exception {
        note("unmount, fsck, remount (%s)", when);
        for (Model f : files) {
            compareAll(f, "full compare before unmount at " + when);
            f.close();
        }
        m.unmount();
        FsckReport r = m.fsck();
        assertTrue(r.clean(), () -> "fsck at " + when + " (seed " + seed + "): " + r);
        m.remount();
        for (Model f : files) {
            f.open();
            assertEquals(f.size, f.ch.size(), () -> "size of " + f.path + " after the remount at " + when);
            compareAll(f, "full compare after the remount at " + when);
            compareAll(f, "full compare (O_DIRECT) after the remount at " + when);
        }
    }

    private void note(String format, Object... args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i] instanceof Model mo) {
                args[i] = mo.path.getFileName();
            }
        }
        if (history.size() == HISTORY) {
            history.removeFirst();
        }
        history.addLast("#" + opIndex + " " + String.format(format, args));
    }

    private void failAt(String what) {
        fail("miscompare at operation #" + opIndex + " (seed " + seed + ", rerun with -Ddaxfs.fuse.seed=" + seed
                + "): " + what + "\nlast operations:\n  " + String.join("\n  ", history));
    }
}
