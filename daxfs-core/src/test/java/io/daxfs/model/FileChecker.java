package io.daxfs.model;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.fs.Iomap;
import io.daxfs.media.InodeRecord;

/**
 * Compares one file with its model: bytes, size, the block map as SEEK_DATA/SEEK_HOLE show it,
 * {@code st_blocks}, type, link count and name. Failures are AssertionErrors saying what
 * differs, where, and what the model holds around it.
 */
final class FileChecker {
    static final int VERIFY_CHUNK = 1 << 20;
    private static final int B = FileModel.BLOCK;

    private final FsxStats stats;
    private final byte[] buf;
    private final boolean inspectMappings;

    /**
     * @param buf             scratch of at least {@link #VERIFY_CHUNK} bytes; read results are checked in it
     * @param inspectMappings also count 2 MiB pieces mapped huge (reads the block map without
     *                        the file's lock: only when no other thread uses the file)
     */
    FileChecker(FsxStats stats, byte[] buf, boolean inspectMappings) {
        this.stats = stats;
        this.buf = buf;
        this.inspectMappings = inspectMappings;
    }

    /** Reads the whole file, walks its holes, checks size, stat and a read at EOF. */
    void verifyFile(DaxFileSystem fs, FsxFile s) throws DaxException {
        FileModel m = s.model;
        expectEqual("size", m.size(), s.file.size(), s);
        verifyRange(s, 0, m.size());
        expectEqual("read at EOF", -1, s.file.read(m.size(), buf, 0, 1), s);
        walkAllocation(s);
        checkStat(fs, s);
        if (inspectMappings) {
            countHugeMappings(fs, s);
        }
    }

    void verifyRange(FsxFile s, long from, long to) throws DaxException {
        for (long p = from; p < to; p += VERIFY_CHUNK) {
            int n = (int) Math.min(VERIFY_CHUNK, to - p);
            expectEqual("read count at " + p, n, s.file.read(p, buf, 0, n), s);
            checkBytes(s, p, n, "verify");
        }
    }

    /** Compares {@code buf[0, n)}, read from {@code pos}, with the model. */
    void checkBytes(FsxFile s, long pos, int n, String what) {
        long bad = s.model.mismatch(pos, buf, 0, n);
        if (bad >= 0) {
            int at = (int) (bad - pos);
            byte[] want = new byte[Math.min(16, n - at)];
            s.model.get(bad, want, 0, want.length);
            throw new AssertionError(what + " of " + s + " [" + pos + ", +" + n + "): first wrong byte at " + bad
                    + " (0x" + Long.toHexString(bad) + ", block " + bad / B + " +" + bad % B + "): got "
                    + hex(buf, at, want.length) + " expected " + hex(want, 0, want.length) + "; "
                    + s.model.blockMap(bad / B, 8) + "; model " + s.model);
        }
    }

    /**
     * Walks SEEK_DATA/SEEK_HOLE over the whole file and compares every block below EOF with the
     * model; an unknown block takes the file system's answer.
     */
    void walkAllocation(FsxFile s) throws DaxException {
        DaxFile f = s.file;
        long size = s.model.size();
        long p = 0;
        while (p < size) {
            long d;
            try {
                d = f.seekData(p);
            } catch (DaxException e) {
                if (e.errno() != Errno.ENXIO) {
                    throw e;
                }
                d = size;
            }
            if (d < p || d > size || (d > p && d < size && d % B != 0)) {
                throw new AssertionError("SEEK_DATA from " + p + " returned " + d + " (size " + size + ")");
            }
            agree(s, p / B, d == size ? (size + B - 1) / B : d / B, false);
            if (d >= size) {
                break;
            }
            long h = f.seekHole(d);
            if (h <= d || h > size || (h < size && h % B != 0)) {
                throw new AssertionError("SEEK_HOLE from " + d + " returned " + h + " (size " + size + ")");
            }
            agree(s, d / B, (h + B - 1) / B, true);
            p = h;
        }
    }

    private void agree(FsxFile s, long from, long to, boolean allocated) {
        FileModel m = s.model;
        for (long b = from; b < to; b++) {
            if (m.isUnknown(b)) {
                m.learn(b, allocated);
                stats.learntBlocks++;
            } else if (m.isAllocated(b) != allocated) {
                throw new AssertionError(s + ": the file system says block " + b + " is "
                        + (allocated ? "allocated" : "a hole") + ", the model says otherwise; " + m.blockMap(b, 8)
                        + "; model " + m);
            }
        }
    }

    /**
     * {@code st_blocks} is the data blocks plus an extent chain of {@code ceil((extents - 8) / 254)}
     * blocks; the extent count lies between the model's runs of allocated blocks and its blocks.
     */
    void checkBlocks(FsxFile s) throws DaxException {
        FileModel m = s.model;
        FileStat st = s.file.stat();
        expectEqual("stat size", m.size(), st.size(), s);
        if (st.blocks() % 8 != 0) {
            throw new AssertionError("st_blocks " + st.blocks() + " is not a whole number of 4 KiB blocks");
        }
        long owned = st.blocks() / 8;
        long known = m.allocatedBlocks();
        long unknown = m.unknownBlocks();
        long lo;
        long hi;
        if (unknown == 0) {
            int runs = m.allocatedRuns();
            lo = known + chainBlocksFor(runs);
            hi = known + chainBlocksFor(known);
            stats.maxChainBlocks = Math.max(stats.maxChainBlocks, owned - known);
            stats.maxRuns = Math.max(stats.maxRuns, runs);
        } else {
            lo = known;
            hi = known + unknown + chainBlocksFor(known + unknown);
        }
        if (owned < lo || owned > hi) {
            throw new AssertionError(s + ": owns " + owned + " blocks (st_blocks " + st.blocks()
                    + "), the model says between " + lo + " and " + hi + " (" + m + ")");
        }
    }

    private static long chainBlocksFor(long extents) {
        return extents <= InodeRecord.INLINE_EXTENTS ? 0
                : (extents - InodeRecord.INLINE_EXTENTS + InodeRecord.EXTENTS_PER_BLOCK - 1) / InodeRecord.EXTENTS_PER_BLOCK;
    }

    /** Type, link count, that the name leads to this inode, and the blocks. */
    void checkStat(DaxFileSystem fs, FsxFile s) throws DaxException {
        FileStat st = s.file.stat();
        if (st.type() != FileType.REGULAR) {
            throw new AssertionError(s + " is a " + st.type());
        }
        expectEqual("nlink", s.orphan ? 0 : 1, st.nlink(), s);
        if (!s.orphan) {
            expectEqual("inode of " + s.path, st.ino(), fs.stat(s.path).ino(), s);
        }
        checkBlocks(s);
    }

    /** Counts fully allocated 2 MiB pieces of the file and those that the DAX layer could map with one PMD. */
    private void countHugeMappings(DaxFileSystem fs, FsxFile s) throws DaxException {
        FileModel m = s.model;
        var inode = Internals.openFile(s.file).inode();
        var fileBlocks = Internals.volume(fs).fileBlocks();
        for (long fb = 0; fb + 512 <= m.capacity() / B; fb += 512) {
            boolean full = true;
            for (long b = fb; b < fb + 512 && full; b++) {
                full = m.isAllocated(b);
            }
            if (full) {
                stats.hugeCandidates++;
                Iomap bm = fileBlocks.lookup(inode, fb, 512);
                if (bm.coversHugePage()) {
                    stats.hugeMapped++;
                }
            }
        }
    }

    static void expectEqual(String what, long want, long got, FsxFile s) {
        if (want != got) {
            throw new AssertionError(what + (s == null ? "" : " of " + s) + ": expected " + want + ", got " + got
                    + (s == null ? "" : "; model " + s.model));
        }
    }

    private static String hex(byte[] b, int off, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(String.format("%02x", b[off + i] & 0xff));
        }
        return sb.toString();
    }
}
