package io.daxfs.model;

import io.daxfs.media.Extent;
import io.daxfs.model.Op.Kind;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Produces a reproducible stream of operations from a seed, looking at the models only for sizes
 * (so offsets land inside, around and far past the end of file) and for how much room is left.
 *
 * <p>Offsets: inside the file, around EOF, block-aligned, 2 MiB-aligned, or anywhere below the
 * maximum file size (sparse writes far past EOF). Lengths: mostly 1 B - 64 KiB (log-uniform, a
 * third of them whole blocks), some 64 KiB - 1 MiB, and {@link FsxConfig#bigOpPercent()} percent
 * 1-4 MiB (often exactly 2 or 4 MiB, so the allocator sees huge-page-sized requests).
 */
public final class OpGenerator {
    /** daxfs's maximum file size: 2^32 blocks. */
    public static final long MAX_FILE = (Extent.MAX_LOGICAL + 1) << 12;
    private static final int B = FileModel.BLOCK;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private static final Kind[] WEIGHTED;

    static {
        Object[][] w = {
                {Kind.READ, 12}, {Kind.MAPREAD, 6}, {Kind.WRITE, 16}, {Kind.MAPWRITE, 6}, {Kind.APPEND, 2}, {Kind.TRUNCATE, 5}, {Kind.ALLOCATE, 5},
                {Kind.PUNCH, 7}, {Kind.ZERO, 6}, {Kind.COLLAPSE, 5}, {Kind.INSERT, 5}, {Kind.SEEK_DATA, 4},
                {Kind.SEEK_HOLE, 4}, {Kind.STAT, 2}, {Kind.FSYNC, 3}, {Kind.SYNC, 1}, {Kind.REOPEN, 1},
                {Kind.SHRED, 1}, {Kind.SEGREAD, 3}, {Kind.SEGWRITE, 3},
        };
        int total = 0;
        for (Object[] e : w) {
            total += (Integer) e[1];
        }
        WEIGHTED = new Kind[total];
        int i = 0;
        for (Object[] e : w) {
            for (int k = 0; k < (Integer) e[1]; k++) {
                WEIGHTED[i++] = (Kind) e[0];
            }
        }
    }

    private final SplittableRandom r;
    private final FsxConfig cfg;

    public OpGenerator(long seed, FsxConfig cfg) {
        this.r = new SplittableRandom(seed);
        this.cfg = cfg;
    }

    /**
     * The next operation.
     *
     * @param files the files' models: the first {@code named} have names, the rest are orphans
     *              (unlinked, still open)
     */
    public Op next(long index, List<FileModel> files, int named) {
        int orphans = files.size() - named;
        if (cfg.remountEvery() > 0 && r.nextInt(cfg.remountEvery()) == 0) {
            return new Op(index, Kind.REMOUNT, 0, 0, 0, false, 0, 0);
        }
        if (orphans > 0 && r.nextInt(60) == 0) {
            return new Op(index, Kind.CLOSE_ORPHAN, named + r.nextInt(orphans), 0, 0, false, 0, 0);
        }
        int slot = r.nextInt(files.size());
        FileModel m = files.get(slot);
        if (cfg.unlinkEvery() > 0 && slot < named && r.nextInt(cfg.unlinkEvery()) == 0) {
            return new Op(index, Kind.UNLINK, slot, 0, 0, orphans < 2 && r.nextInt(3) == 0, 0, 0);
        }
        if (cfg.farEvery() > 0 && r.nextInt(cfg.farEvery()) == 0) {
            long len = 1 + r.nextInt(2 * B);
            long pos = r.nextInt(4) == 0 ? MAX_FILE - len : r.nextLong(1L << 30, MAX_FILE - len);
            return new Op(index, Kind.FAR_WRITE, slot, pos, len, false, 0, r.nextLong());
        }
        Kind kind = WEIGHTED[r.nextInt(WEIGHTED.length)];
        boolean invalid = r.nextInt(100) < cfg.invalidPercent();
        return switch (kind) {
            case READ -> read(index, slot, m, invalid);
            case MAPREAD -> mapRead(index, slot, m);
            case MAPWRITE -> mapWrite(index, slot, m);
            case SEGREAD -> segRead(index, slot, m);
            case SEGWRITE -> segWrite(index, slot, m);
            case WRITE -> write(index, slot, m, invalid);
            case APPEND -> append(index, slot, m);
            case TRUNCATE -> truncate(index, slot, m, invalid);
            case ALLOCATE, ZERO, PUNCH -> fallocate(index, kind, slot, m, invalid);
            case COLLAPSE -> collapse(index, slot, m);
            case INSERT -> insert(index, slot, m);
            case SEEK_DATA, SEEK_HOLE -> seek(index, kind, slot, m, invalid);
            case SHRED -> shred(index, slot, m);
            case FSYNC -> new Op(index, kind, slot, 0, 0, r.nextBoolean(), 0, 0);
            case REOPEN -> new Op(index, kind, slot, 0, 0, r.nextInt(4) == 0, 0, 0);
            default -> new Op(index, kind, slot, 0, 0, false, 0, 0);
        };
    }

    private Op read(long index, int slot, FileModel m, boolean invalid) {
        long pos = invalid ? -1 - r.nextInt(B) : offset(m);
        long len = r.nextInt(50) == 0 ? 0 : length();
        return new Op(index, Kind.READ, slot, pos, len, false, r.nextInt(4), 0);
    }

    /** A mapped read: mostly inside the file, sometimes across or past its end (the EOF page's tail, SIGBUS). */
    private Op mapRead(long index, int slot, FileModel m) {
        long pos = offset(m);
        long len = Math.min(length(), m.capacity() - pos);
        return new Op(index, Kind.MAPREAD, slot, pos, Math.max(1, len), r.nextInt(4) == 0, r.nextInt(4), 0);
    }

    /** A mapped write inside the capacity; the runner grows the file first when it ends past EOF. */
    private Op mapWrite(long index, int slot, FileModel m) {
        long[] f = fit(offset(m), Math.max(1, length()), m.capacity());
        return new Op(index, Kind.MAPWRITE, slot, f[0], f[1], r.nextInt(3) == 0, r.nextInt(4), r.nextLong());
    }

    /** A segment read: mostly inside the file, sometimes reaching a page wholly past its end (SIGBUS at map time). */
    private Op segRead(long index, int slot, FileModel m) {
        long pos = offset(m);
        long len = Math.min(length(), m.capacity() - pos);
        return new Op(index, Kind.SEGREAD, slot, pos, Math.max(1, len), r.nextInt(3) == 0, 0, r.nextLong());
    }

    /** A segment write inside the capacity; the runner grows the file first when it ends past EOF. */
    private Op segWrite(long index, int slot, FileModel m) {
        long[] f = fit(offset(m), Math.max(1, length()), m.capacity());
        return new Op(index, Kind.SEGWRITE, slot, f[0], f[1], r.nextInt(4) == 0, 0, r.nextLong());
    }

    private Op write(long index, int slot, FileModel m, boolean invalid) {
        long pos;
        long len = r.nextInt(100) == 0 ? 0 : length();
        if (invalid) {
            // Negative offset: EINVAL. At or past the maximum file size: EFBIG (a write that
            // starts before it and crosses it is short, not an error: ReadWriteSpec.Limits).
            len = Math.max(2, len);
            pos = r.nextBoolean() ? -1 - r.nextInt(B) : MAX_FILE + r.nextLong(0, len);
        } else {
            long[] f = fit(offset(m), len, m.capacity());
            pos = f[0];
            len = f[1];
        }
        return new Op(index, Kind.WRITE, slot, pos, len, false, r.nextInt(4), r.nextLong());
    }

    private Op append(long index, int slot, FileModel m) {
        long room = m.capacity() - m.size();
        if (room <= 0) {
            return read(index, slot, m, false);
        }
        return new Op(index, Kind.APPEND, slot, 0, Math.min(room, length()), false, 0, r.nextLong());
    }

    private Op truncate(long index, int slot, FileModel m, boolean invalid) {
        long size = m.size();
        long max = m.capacity();
        long to;
        if (invalid) {
            to = r.nextBoolean() ? -1 - r.nextInt(B) : MAX_FILE + 1 + r.nextInt(B);
        } else {
            int c = r.nextInt(100);
            if (c < 35) {
                to = r.nextLong(size + 1);
            } else if (c < 45) {
                to = 0;
            } else if (c < 65) {
                to = size + r.nextLong(-2 * B, 2 * B + 1);
            } else if (c < 80) {
                to = r.nextLong((max >> 12) + 1) << 12;
            } else {
                to = r.nextLong(max + 1);
            }
            to = Math.clamp(to, 0, max);
        }
        return new Op(index, Kind.TRUNCATE, slot, to, 0, false, 0, 0);
    }

    private Op fallocate(long index, Kind kind, int slot, FileModel m, boolean invalid) {
        boolean keep = r.nextBoolean();
        long pos = offset(m);
        long len = length();
        if (invalid) {
            switch (r.nextInt(4)) {
                case 0 -> len = 0;
                case 1 -> len = -len;
                case 2 -> pos = -1 - r.nextInt(B);
                default -> { // EFBIG
                    len = Math.max(2, len);
                    pos = MAX_FILE - r.nextLong(1, len);
                }
            }
        } else if (kind == Kind.PUNCH && r.nextInt(20) == 0) {
            len = MAX_FILE - pos; // punch everything from pos on
        } else {
            long[] f = fit(pos, len, m.capacity());
            pos = f[0];
            len = f[1];
        }
        return new Op(index, kind, slot, pos, len, keep, 0, 0);
    }

    private Op collapse(long index, int slot, FileModel m) {
        long size = m.size();
        long limit = size == 0 ? 0 : ((size - 1) >>> 12) << 12; // the range must end before EOF
        if (r.nextInt(100) < 20 || limit < B) {
            return rangeInvalid(index, Kind.COLLAPSE, slot, m);
        }
        long blocks = limit >>> 12;
        long nb = blockCount(blocks);
        long pb = r.nextLong(blocks - nb + 1);
        return new Op(index, Kind.COLLAPSE, slot, pb << 12, nb << 12, false, 0, 0);
    }

    private Op insert(long index, int slot, FileModel m) {
        long size = m.size();
        long sizeBlocks = (size + B - 1) >>> 12;
        long room = (m.capacity() >>> 12) - Math.max(sizeBlocks, m.blockEnd());
        if (r.nextInt(100) < 20 || size == 0 || room < 1) {
            return rangeInvalid(index, Kind.INSERT, slot, m);
        }
        long nb = blockCount(room);
        long pb = r.nextLong(sizeBlocks);
        return new Op(index, Kind.INSERT, slot, pb << 12, nb << 12, false, 0, 0);
    }

    /** A collapse or insert that must fail with EINVAL (and change nothing). */
    private Op rangeInvalid(long index, Kind kind, int slot, FileModel m) {
        long size = m.size();
        long sizeBlocks = (size + B - 1) >>> 12;
        long pos = r.nextLong(sizeBlocks + 1) << 12;
        long len = blockCount(64) << 12;
        switch (r.nextInt(5)) {
            case 0 -> { // reaches EOF (collapse) / at or past EOF (insert)
                if (kind == Kind.COLLAPSE) {
                    len = Math.max(B, ((size - pos + B - 1) >>> 12) << 12) + ((long) r.nextInt(3) << 12);
                } else {
                    pos = (sizeBlocks + r.nextInt(3)) << 12;
                }
            }
            case 1 -> pos += 1 + r.nextInt(B - 1);
            case 2 -> len += 1 + r.nextInt(B - 1);
            case 3 -> len = r.nextBoolean() ? 0 : -len;
            default -> pos = -((1L + r.nextInt(4)) << 12);
        }
        return new Op(index, kind, slot, pos, len, false, 0, 0);
    }

    /** Every {@code stride}-th block of up to 1024 blocks inside the file punched: fragmentation, long extent chains. */
    private Op shred(long index, int slot, FileModel m) {
        long blocks = m.size() / B;
        if (blocks < 4) {
            return fallocate(index, Kind.PUNCH, slot, m, false);
        }
        long n = 4 + r.nextLong(Math.min(1024, blocks) - 3);
        long first = r.nextLong(blocks - n + 1);
        return new Op(index, Kind.SHRED, slot, first * B, n * B, false, 2 + r.nextInt(3), 0);
    }

    private Op seek(long index, Kind kind, int slot, FileModel m, boolean invalid) {
        long size = m.size();
        long pos;
        if (invalid) {
            pos = -1 - r.nextInt(B);
        } else if (size > 0 && r.nextInt(100) < 80) {
            pos = r.nextLong(size);
        } else {
            pos = offset(m);
        }
        return new Op(index, kind, slot, pos, 0, false, 0, 0);
    }

    // ---------------------------------------------------------------- offsets and lengths

    private long offset(FileModel m) {
        long size = m.size();
        long max = m.capacity();
        int c = r.nextInt(100);
        long pos;
        if (c < 40) {
            pos = size == 0 ? 0 : r.nextLong(size);
        } else if (c < 60) {
            pos = size + r.nextLong(-65536, 65537);
        } else if (c < 75) {
            pos = size < B ? 0 : r.nextLong(size >>> 12) << 12;
        } else if (c < 85) {
            pos = r.nextLong(Math.max(1, max >>> 21)) << 21;
        } else {
            pos = r.nextLong(max);
        }
        return Math.clamp(pos, 0, max - 1);
    }

    private long length() {
        int c = r.nextInt(100);
        if (c < cfg.bigOpPercent()) {
            return switch (r.nextInt(3)) {
                case 0 -> (1L + r.nextInt(2)) << 21;
                case 1 -> (long) r.nextInt(256, 1025) << 12;
                default -> r.nextLong(1 << 20, (4 << 20) + 1);
            };
        }
        if (c < cfg.bigOpPercent() + 10) {
            long len = r.nextLong(64 << 10, 1 << 20);
            return r.nextBoolean() ? (len >>> 12) << 12 : len;
        }
        int bits = r.nextInt(17);
        long len = 1 + r.nextLong(1L << bits);
        if (r.nextInt(3) == 0) {
            len = Math.max(B, (len >>> 12) << 12);
        }
        return len;
    }

    /** A block count in [1, max]: mostly a few blocks, sometimes hundreds, sometimes 2 MiB multiples. */
    private long blockCount(long max) {
        int c = r.nextInt(100);
        long n;
        if (c < 65) {
            n = 1 + r.nextLong(Math.min(16, max));
        } else if (c < 88) {
            n = 1 + r.nextLong(Math.min(256, max));
        } else if (c < 95 || max < 512) {
            n = 1 + r.nextLong(max);
        } else {
            n = (1 + r.nextLong(max / 512)) * 512;
        }
        return n;
    }

    /** Moves and shortens {@code [pos, pos + len)} to end by {@code max}. */
    private static long[] fit(long pos, long len, long max) {
        len = Math.min(len, max);
        if (pos + len > max) {
            pos = max - len;
        }
        return new long[]{pos, len};
    }

    /** The bytes an operation writes: {@code b[0, n)} filled from its {@link Op#dataSeed()} (splitmix64). */
    static void fill(byte[] b, int n, long seed) {
        long x = seed;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            x += 0x9E3779B97F4A7C15L;
            LONGS.set(b, i, mix(x));
        }
        long tail = mix(x + 0x9E3779B97F4A7C15L);
        for (; i < n; i++) {
            b[i] = (byte) tail;
            tail >>>= 8;
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
