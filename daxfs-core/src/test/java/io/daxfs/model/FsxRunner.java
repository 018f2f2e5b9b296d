package io.daxfs.model;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.types.DaxFaultException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import io.daxfs.api.DaxMapping;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FsStat;
import io.daxfs.model.Op.Kind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.daxfs.model.FileChecker.expectEqual;

/**
 * Runs generated operations against daxfs files and their {@link FileModel}s and checks every
 * answer: each byte read, each returned count, size, SEEK_DATA/SEEK_HOLE, {@code st_blocks}
 * (exact data blocks, plus an extent chain of plausible length), errno of every call that must
 * fail (with nothing changed), and, when the runner has the file system to itself, that the
 * file system's used blocks are exactly what the files own. Every {@link FsxConfig#verifyEvery()}
 * operations, at each remount and at the end, every file is read whole and its holes walked.
 *
 * <p>A disagreement throws {@link FsxFailure} naming the seed, the operation and the last
 * {@value #HISTORY} operations, which replay it: the same seed produces the same operations
 * (with a commit interval of 0 the file system is deterministic too).
 *
 * <p>Not thread-safe: one runner per thread. Several runners may share one file system if they
 * use different name prefixes and none is {@link FsxConfig#exclusive() exclusive}.
 */
public final class FsxRunner implements AutoCloseable {
    static final int HISTORY = 20;
    private static final int B = FileModel.BLOCK;
    private static final int MAX_IO = 4 << 20;
    private static final OpenOption[] RW = {StandardOpenOption.READ, StandardOpenOption.WRITE};

    private final FsxConfig cfg;
    private final long seed;
    private final OpGenerator gen;
    private final FsxTarget target;
    private final boolean verbose = Boolean.getBoolean("daxfs.fsx.verbose");
    private DaxFileSystem fs;
    /** The named files first ({@code cfg.files()} of them), then orphans (unlinked, still open). */
    private final List<FsxFile> files = new ArrayList<>();
    private final ArrayDeque<String> history = new ArrayDeque<>();
    private final FsxStats stats = new FsxStats();
    private final byte[] buf = new byte[MAX_IO + 2 * B];
    private final ByteBuffer direct = ByteBuffer.allocateDirect(MAX_IO);
    private final FileChecker checker;
    private long fixedUsed = Long.MIN_VALUE;
    private long opIndex = -1;
    private volatile long progress;
    private volatile boolean stop;

    /**
     * @param fs     the mounted file system
     * @param target where it lives, for remounts; null when the runner must not remount (then
     *               remount operations become syncs)
     */
    public FsxRunner(FsxConfig cfg, long seed, DaxFileSystem fs, FsxTarget target) {
        this.cfg = cfg;
        this.seed = seed;
        this.gen = new OpGenerator(seed, cfg);
        this.fs = fs;
        this.target = target;
        this.checker = new FileChecker(stats, buf, cfg.exclusive());
    }

    public FsxStats stats() {
        return stats;
    }

    public long seed() {
        return seed;
    }

    /** Operations done so far (for a watchdog). */
    public long progress() {
        return progress;
    }

    /** The current file system (a remount replaces it). */
    public DaxFileSystem fileSystem() {
        return fs;
    }

    /** Asks {@link #run} to return after the current operation. */
    public void requestStop() {
        stop = true;
    }

    /** Creates the files (empty). */
    public void setup() {
        guard("setup", () -> {
            for (int i = 0; i < cfg.files(); i++) {
                String path = "/" + cfg.namePrefix() + i;
                files.add(new FsxFile(path, new FileModel(cfg.maxFileSize()),
                        fs.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)));
            }
            if (cfg.exclusive()) {
                checkSpace();
            }
        });
    }

    /** Runs up to {@code ops} operations, stopping early at {@code deadlineNanos} (System.nanoTime) or on request. */
    public void run(long ops, long deadlineNanos) {
        for (long i = 0; i < ops && !stop; i++) {
            if ((i & 63) == 0 && System.nanoTime() - deadlineNanos > 0) {
                break;
            }
            opIndex++;
            Op op = gen.next(opIndex, models(), cfg.files());
            remember(op.toString());
            if (verbose) {
                System.out.println("fsx " + seed + ": " + op);
            }
            try {
                execute(op);
            } catch (Throwable t) {
                throw failure("operation " + op + " failed: " + t, t);
            }
            progress++;
        }
    }

    /** Runs {@code ops} operations. */
    public void run(long ops) {
        run(ops, System.nanoTime() + Long.MAX_VALUE / 2);
    }

    /**
     * The end of a run: verifies everything, remounts (when allowed) and verifies again, then
     * frees every file's blocks and checks the space comes back.
     */
    public void finish() {
        guard("final verification", () -> {
            verifyAll("final");
            if (target != null) {
                remount();
            }
            for (FsxFile s : files) {
                DaxFile f = s.file;
                f.truncate(0);
                s.model.truncate(0);
                checker.checkBlocks(s);
                if (f.stat().blocks() != 0) {
                    throw new AssertionError(s.path + ": " + f.stat().blocks() + " sectors left after truncate to 0");
                }
            }
            if (cfg.exclusive()) {
                checkSpace();
            }
        });
    }

    /** Verifies every file now (contents, size, holes, blocks). */
    public void verifyAll(String why) {
        guard("verification (" + why + ")", () -> verifyAllChecked(why));
    }

    /** Reopens every named file in {@code newFs} (after someone else remounted) and verifies it. */
    public void reattach(DaxFileSystem newFs) {
        guard("reattach", () -> {
            fs = newFs;
            files.removeIf(s -> s.orphan);
            for (FsxFile s : files) {
                s.file = fs.open(s.path, RW);
            }
            verifyAllChecked("after remount");
        });
    }

    /** Closes the runner's files (not the file system). */
    @Override
    public void close() {
        for (FsxFile s : files) {
            try {
                s.file.close();
            } catch (DaxException | RuntimeException e) {
                // best effort: the file system may already be closed
            }
        }
    }

    /**
     * One complete run: formats {@code target}, creates the files, runs {@code ops} operations,
     * finishes (verify, remount, free everything) and returns what happened. A hang of more than
     * {@code stall} fails with every thread's stack.
     */
    public static FsxStats runSeed(FsxConfig cfg, long seed, long ops, FsxTarget target, java.time.Duration stall)
            throws Exception {
        DaxFileSystem fs = target.format();
        FsxRunner r = new FsxRunner(cfg, seed, fs, target);
        try {
            Watchdog.run("fsx-" + seed, stall, r::progress, r::requestStop, List.of(() -> {
                r.setup();
                r.run(ops);
                r.finish();
            }));
        } catch (Watchdog.Hang h) {
            throw new FsxFailure("fsx seed " + seed + " hung at operation #" + r.opIndex + "; replay: -Ddaxfs.fsx.seed="
                    + seed + "\n" + h.getMessage(), seed, r.opIndex, h); // no cleanup: it would hang as well
        } catch (Throwable t) {
            closeQuietly(r, target);
            throw t;
        }
        r.close();
        try {
            r.fileSystem().close(); // a failing final unmount fails the run
        } finally {
            target.close();
        }
        return r.stats();
    }

    private static void closeQuietly(FsxRunner r, FsxTarget target) {
        r.close();
        try {
            r.fileSystem().close();
        } catch (DaxException | RuntimeException e) {
            // the run has failed already; that failure is the one to report
        } finally {
            target.close();
        }
    }

    /** Test access: the file in slot {@code i} (named files first). */
    DaxFile file(int i) {
        return files.get(i).file;
    }

    /** Test access: the model of slot {@code i}. */
    FileModel model(int i) {
        return files.get(i).model;
    }

    // ---------------------------------------------------------------- dispatch

    private List<FileModel> models() {
        List<FileModel> ms = new ArrayList<>(files.size());
        for (FsxFile s : files) {
            ms.add(s.model);
        }
        return ms;
    }

    private void execute(Op op) throws DaxException {
        switch (op.kind()) {
            case REMOUNT -> remount();
            case SYNC -> fs.sync();
            case CLOSE_ORPHAN -> closeOrphan(files.get(op.slot()));
            case UNLINK -> unlink(op);
            default -> fileOp(op, files.get(op.slot()));
        }
        stats.count(op.kind());
        if (cfg.exclusive()) {
            checkSpace();
        }
        if (cfg.verifyEvery() > 0 && (op.index() + 1) % cfg.verifyEvery() == 0) {
            verifyAllChecked("periodic");
        }
    }

    private void fileOp(Op op, FsxFile s) throws DaxException {
        FileModel m = s.model;
        DaxFile f = s.file;
        Errno expect = ExpectedErrors.of(op, m);
        long blocksBefore = expect != null ? f.stat().blocks() : 0;
        try {
            switch (op.kind()) {
                case READ -> read(s, op);
                case MAPREAD -> mapRead(s, op);
                case MAPWRITE -> mapWrite(s, op);
                case SEGREAD -> segRead(s, op);
                case SEGWRITE -> segWrite(s, op);
                case WRITE -> write(s, op, op.pos());
                case APPEND -> append(s, op);
                case TRUNCATE -> {
                    f.truncate(op.pos());
                    m.truncate(op.pos());
                }
                case ALLOCATE -> {
                    f.allocate(op.pos(), op.len(), op.flag());
                    m.allocate(op.pos(), op.len(), op.flag());
                }
                case PUNCH -> {
                    f.punchHole(op.pos(), op.len());
                    m.punchHole(op.pos(), op.len());
                }
                case ZERO -> {
                    f.zeroRange(op.pos(), op.len(), op.flag());
                    m.zeroRange(op.pos(), op.len(), op.flag());
                }
                case COLLAPSE -> {
                    f.collapseRange(op.pos(), op.len());
                    m.collapseRange(op.pos(), op.len());
                }
                case INSERT -> {
                    f.insertRange(op.pos(), op.len());
                    m.insertRange(op.pos(), op.len());
                }
                case SEEK_DATA -> {
                    long got = f.seekData(op.pos()); // first: an invalid offset must fail before the model is asked
                    expectEqual("SEEK_DATA from " + op.pos(), m.seekData(op.pos()), got, s);
                }
                case SEEK_HOLE -> {
                    long got = f.seekHole(op.pos());
                    expectEqual("SEEK_HOLE from " + op.pos(), m.seekHole(op.pos()), got, s);
                }
                case STAT -> checker.checkStat(fs, s);
                case FSYNC -> {
                    if (op.flag()) {
                        f.fdatasync();
                    } else {
                        f.fsync();
                    }
                }
                case REOPEN -> reopen(s, op.flag());
                case FAR_WRITE -> farWrite(s, op);
                case SHRED -> {
                    for (long p = op.pos(); p < op.pos() + op.len(); p += (long) op.api() * B) {
                        f.punchHole(p, B);
                        m.punchHole(p, B);
                    }
                }
                default -> throw new IllegalStateException("not a file operation: " + op);
            }
        } catch (DaxException e) {
            if (expect != null) {
                if (e.errno() != expect) {
                    throw new AssertionError("expected " + expect + " but got " + e.getMessage(), e);
                }
                stats.expectedErrors++;
                remember("  -> " + expect + " as expected");
                checkUnchanged(s, op, blocksBefore);
                return;
            }
            if (e.errno() == Errno.ENOSPC && cfg.enospc()) {
                enospc(s, op, e);
            } else {
                throw e;
            }
        }
        if (expect != null) {
            throw new AssertionError("expected " + expect + " but the call succeeded");
        }
        afterFileOp(s);
    }

    // ---------------------------------------------------------------- data operations

    private void read(FsxFile s, Op op) throws DaxException {
        FileModel m = s.model;
        DaxFile f = s.file;
        long pos = op.pos();
        int len = (int) op.len();
        long size = m.size();
        long want = pos >= size ? (len == 0 ? 0 : -1) : Math.min(len, size - pos);
        long got;
        switch (op.api()) {
            case 0 -> got = f.read(pos, buf, 0, len);
            case 1 -> {
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, len);
                got = f.read(pos, bb);
                expectEqual("heap buffer position after read", Math.max(0, got), bb.position(), s);
            }
            case 2 -> {
                direct.clear().limit(len);
                got = f.read(pos, direct);
                expectEqual("direct buffer position after read", Math.max(0, got), direct.position(), s);
                if (got > 0) {
                    direct.get(0, buf, 0, (int) got);
                }
            }
            default -> got = f.read(pos, MemorySegment.ofArray(buf).asSlice(0, len));
        }
        expectEqual("read count", want, got, s);
        if (got > 0) {
            checker.checkBytes(s, pos, (int) got, "read");
            stats.bytesRead += got;
        }
    }

    private static final DaxMapMode[] MAP_READ_MODES = {DaxMapMode.READ_ONLY, DaxMapMode.READ_WRITE,
            DaxMapMode.PRIVATE, DaxMapMode.READ_WRITE_SYNC};

    private static DaxMapping map(DaxFile f, long pos, long len, DaxMapMode mode, boolean huge) throws DaxException {
        return huge ? f.map(pos, len, mode) : f.map(pos, len, mode, DaxMapOption.NO_HUGE_PAGES);
    }

    /**
     * fsx's mapread: maps the page-aligned range around the op, loads what lies inside the EOF
     * page (the bytes past EOF in that page must read zero) and checks it, and expects SIGBUS
     * from a page wholly past EOF.
     */
    private void mapRead(FsxFile s, Op op) throws DaxException {
        long size = s.model.size();
        long pageEnd = (size + B - 1) / B * B;
        long pos = op.pos();
        int len = (int) op.len();
        long start = pos & -B;
        try (DaxMapping map = map(s.file, start, pos + len - start, MAP_READ_MODES[op.api()], !op.flag())) {
            if (pos >= pageEnd) {
                expectSigbus(map, pos - start, s);
                return;
            }
            int n = (int) Math.min(len, pageEnd - pos);
            map.copyTo(pos - start, MemorySegment.ofArray(buf).asSlice(0, n));
            checker.checkBytes(s, pos, n, "mapread"); // the model holds zeros past EOF
            stats.bytesRead += n;
            if (pos + n > size) {
                stats.mapTailChecks++;
            }
            if (pos + len > pageEnd) {
                expectSigbus(map, pageEnd - start, s);
            }
        }
    }

    private void expectSigbus(DaxMapping map, long off, FsxFile s) {
        long at = map.filePosition() + off;
        try {
            byte b = map.getByte(off);
            throw new AssertionError("mapped load at " + at + ", in a page wholly past EOF (size " + s.model.size()
                    + "), returned " + b + " instead of SIGBUS");
        } catch (DaxFaultException e) {
            if (e.errno() != Errno.SIGBUS) {
                throw new AssertionError("mapped load at " + at + " past EOF failed with " + e.errno() + ", not SIGBUS", e);
            }
            stats.mapSigbus++;
        }
    }

    /**
     * fsx's mapwrite: grows the file first when the range ends past EOF, maps the page-aligned
     * range around the op, stores, msyncs when the op says so, unmaps. A 2 MiB write fault may
     * allocate the whole 2 MiB around the store (as on Linux): where one was possible, the
     * model takes the holes there as unknown and learns them from SEEK_DATA/SEEK_HOLE.
     */
    private void mapWrite(FsxFile s, Op op) throws DaxException {
        FileModel m = s.model;
        long pos = op.pos();
        int len = (int) op.len();
        growToCover(s, pos + len);
        long start = pos & -B;
        long mapLen = pos + len - start;
        boolean huge = op.api() != 3;
        DaxMapMode mode = op.api() == 2 ? DaxMapMode.READ_WRITE_SYNC : DaxMapMode.READ_WRITE;
        OpGenerator.fill(buf, len, op.dataSeed());
        if (huge) {
            long pmd = 2L << 20;
            for (long base = pos & -pmd; base < pos + len; base += pmd) {
                if (base >= start && base + pmd <= start + mapLen && base + pmd <= m.size()) {
                    m.allocateFailed(base, pmd);
                }
            }
        }
        try (DaxMapping map = map(s.file, start, mapLen, mode, huge)) {
            try {
                map.copyFrom(MemorySegment.ofArray(buf).asSlice(0, len), pos - start);
            } catch (DaxFaultException e) {
                if (e.errno() != Errno.ENOSPC || !cfg.enospc()) {
                    throw e;
                }
                // Some pages got their stores before a write fault found no block: take what landed.
                stats.enospc++;
                remember("  -> ENOSPC in a mapped write");
                m.allocateFailed(pos, len);
                expectEqual("read after a failed mapped write", len, s.file.read(pos, buf, 0, len), s);
                m.replaceBytes(pos, buf, 0, len);
                return;
            }
            if (op.flag()) {
                map.msync(pos - start, len);
            }
        }
        m.write(pos, buf, 0, len);
        stats.bytesWritten += len;
    }

    /**
     * A segment (what FileChannel.map returns) of the range, read and compared with the model; a
     * PRIVATE one is stored to as well, which the file must never see. A range reaching a page
     * wholly past end of file fails at map time with SIGBUS.
     */
    private void segRead(FsxFile s, Op op) throws DaxException {
        long pageEnd = (s.model.size() + B - 1) / B * B;
        long pos = op.pos();
        int len = (int) op.len();
        DaxMapMode mode = op.flag() ? DaxMapMode.PRIVATE : DaxMapMode.READ_ONLY;
        try (Arena arena = Arena.ofConfined()) {
            if (pos + len > pageEnd) {
                try {
                    s.file.mapSegment(pos, len, mode, arena);
                    throw new AssertionError("a segment reaching past the EOF page (size " + s.model.size() + ") was mapped");
                } catch (DaxException e) {
                    if (e.errno() != Errno.SIGBUS) {
                        throw e;
                    }
                    stats.mapSigbus++;
                    return;
                }
            }
            MemorySegment seg = s.file.mapSegment(pos, len, mode, arena);
            MemorySegment.copy(seg, 0, MemorySegment.ofArray(buf), 0, len);
            checker.checkBytes(s, pos, len, "segread"); // the model holds zeros past EOF
            stats.bytesRead += len;
            if (op.flag()) {
                seg.fill((byte) op.dataSeed()); // private: the file keeps its bytes
            }
        }
    }

    /**
     * A READ_WRITE segment of the range: grows the file first when the range ends past EOF, maps
     * (which gives every hole of the range's pages a zeroed block), stores, fsyncs when the op
     * says so, closes the arena. The model takes the range's pages as allocated-unknown, as for a
     * 2 MiB write fault, and learns them from SEEK_DATA/SEEK_HOLE.
     */
    /** Grows the file (and its model) to {@code end} first when a mapped write ends past EOF. */
    private void growToCover(FsxFile s, long end) throws DaxException {
        if (end > s.model.size()) {
            s.file.truncate(end);
            s.model.truncate(end);
            stats.mapWriteGrows++;
        }
    }

    private void segWrite(FsxFile s, Op op) throws DaxException {
        FileModel m = s.model;
        long pos = op.pos();
        int len = (int) op.len();
        growToCover(s, pos + len);
        long start = pos & -B;
        long end = Math.min((pos + len + B - 1) / B * B, (m.size() + B - 1) / B * B);
        m.allocateFailed(start, end - start);
        OpGenerator.fill(buf, len, op.dataSeed());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg;
            try {
                seg = s.file.mapSegment(pos, len, DaxMapMode.READ_WRITE, arena);
            } catch (DaxException e) {
                if (e.errno() != Errno.ENOSPC || !cfg.enospc()) {
                    throw e;
                }
                stats.enospc++;
                remember("  -> ENOSPC mapping a segment");
                return; // no store happened; some holes may have got blocks (allocated-unknown above)
            }
            MemorySegment.copy(MemorySegment.ofArray(buf), 0, seg, 0, len);
            if (op.flag()) {
                s.file.fsync();
            }
        }
        m.write(pos, buf, 0, len);
        stats.bytesWritten += len;
    }

    private void write(FsxFile s, Op op, long pos) throws DaxException {
        DaxFile f = s.file;
        int len = (int) op.len();
        OpGenerator.fill(buf, len, op.dataSeed());
        long n;
        switch (op.api()) {
            case 0 -> n = f.write(pos, buf, 0, len);
            case 1 -> {
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, len);
                n = f.write(pos, bb);
                expectEqual("heap buffer position after write", n, bb.position(), s);
            }
            case 2 -> {
                direct.clear();
                direct.put(0, buf, 0, len).limit(len);
                n = f.write(pos, direct);
                expectEqual("direct buffer position after write", n, direct.position(), s);
            }
            default -> n = f.write(pos, MemorySegment.ofArray(buf).asSlice(0, len));
        }
        wrote(s, pos, len, n);
    }

    /** Checks a write's count (short only at a hole under ENOSPC) and applies it to the model. */
    private void wrote(FsxFile s, long pos, int len, long n) {
        FileModel m = s.model;
        if (n != len) {
            boolean plausibleShort = cfg.enospc() && n > 0 && n < len && (pos + n) % B == 0;
            if (!plausibleShort) {
                throw new AssertionError("write of " + len + " bytes at " + pos + " returned " + n);
            }
            // Allocation stops at the first block it cannot fill: that block is a hole.
            long hole = (pos + n) / B;
            if (m.isAllocated(hole)) {
                throw new AssertionError("short write (" + n + " of " + len + " at " + pos + ") stopped at block "
                        + hole + ", which was allocated: " + m.blockMap(hole, 8));
            }
            if (m.isUnknown(hole)) {
                m.learn(hole, false);
            }
            stats.shortWrites++;
            remember("  -> short write of " + n);
        }
        m.write(pos, buf, 0, (int) n);
        stats.bytesWritten += n;
    }

    private void append(FsxFile s, Op op) throws DaxException {
        if (s.orphan) {
            write(s, op, s.model.size());
            return;
        }
        int len = (int) op.len();
        OpGenerator.fill(buf, len, op.dataSeed());
        long pos = s.model.size();
        long n;
        try (DaxFile a = fs.open(s.path, StandardOpenOption.APPEND)) {
            n = a.write(0, buf, 0, len); // the offset is ignored: APPEND writes at EOF
        }
        wrote(s, pos, len, n);
    }

    /** A write far past anything the model holds (up to the 16 TiB limit), checked and undone. */
    private void farWrite(FsxFile s, Op op) throws DaxException {
        FileModel m = s.model;
        DaxFile f = s.file;
        long old = m.size();
        long pos = op.pos();
        int len = (int) op.len();
        OpGenerator.fill(buf, len, op.dataSeed());
        long n = f.write(pos, buf, 0, len);
        expectEqual("far write count", len, n, s);
        expectEqual("size after far write", pos + len, f.size(), s);
        byte[] back = new byte[len + 64];
        expectEqual("far read count", len, f.read(pos - 64, back, 0, len + 64) - 64, s);
        for (int i = 0; i < 64; i++) {
            if (back[i] != 0) {
                throw new AssertionError("hole before a far write reads " + back[i] + " at " + (pos - 64 + i));
            }
        }
        if (java.util.Arrays.mismatch(buf, 0, len, back, 64, 64 + len) >= 0) {
            throw new AssertionError("far write at " + pos + " reads back differently");
        }
        long from = Math.max(old, (long) m.blockEnd() * B);
        expectEqual("SEEK_DATA towards a far block", Math.max(from, pos / B * B), f.seekData(from), s);
        expectEqual("SEEK_HOLE after a far block", pos + len, f.seekHole(pos), s);
        f.truncate(old);
        m.freeFrom(old);
        stats.bytesWritten += len;
    }

    private void reopen(FsxFile s, boolean truncate) throws DaxException {
        if (s.orphan) {
            s.file.fsync(); // an unlinked file has no name to open
            return;
        }
        s.file.close();
        s.file = truncate
                ? fs.open(s.path, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)
                : fs.open(s.path, RW);
        if (truncate) {
            s.model.truncate(0); // also an empty file: its beyond-EOF blocks go, as on ext4
        }
    }

    // ---------------------------------------------------------------- namespace and mount

    private void unlink(Op op) throws DaxException {
        int i = op.slot();
        FsxFile s = files.get(i);
        fs.unlink(s.path);
        if (fs.exists(s.path)) {
            throw new AssertionError(s.path + " exists after unlink");
        }
        if (op.flag()) {
            s.orphan = true;
            files.add(s);
            expectEqual("nlink of an unlinked open file", 0, s.file.stat().nlink(), s);
            remember("  -> f" + i + " is now orphan f" + (files.size() - 1));
        } else {
            s.file.close();
        }
        files.set(i, new FsxFile(s.path, new FileModel(cfg.maxFileSize()),
                fs.open(s.path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)));
    }

    private void closeOrphan(FsxFile s) throws DaxException {
        checker.verifyFile(fs, s);
        s.file.close();
        files.remove(s);
    }

    private void remount() throws DaxException {
        if (target == null) {
            fs.sync();
            return;
        }
        verifyAllChecked("before unmount");
        files.removeIf(s -> s.orphan); // unmount closes them, which frees them
        long fsckBefore = target.fsckRuns();
        fs = target.remount(fs);
        stats.fsckRuns += target.fsckRuns() - fsckBefore;
        for (FsxFile s : files) {
            s.file = fs.open(s.path, RW);
        }
        stats.remounts++;
        verifyAllChecked("after remount");
    }

    // ---------------------------------------------------------------- ENOSPC

    /** An operation failed with ENOSPC (the config expects it): models what it may have done. */
    private void enospc(FsxFile s, Op op, DaxException e) throws DaxException {
        stats.enospc++;
        remember("  -> ENOSPC");
        FileModel m = s.model;
        long free = fs.statfs().freeBlocks();
        long reserve = metadataReserve();
        if (free > reserve) {
            throw new AssertionError("ENOSPC (" + e.getMessage() + ") with " + free + " free blocks, more than the "
                    + reserve + " kept for metadata");
        }
        switch (op.kind()) {
            case WRITE, APPEND -> {
                // A write fails only when not even its first block could be allocated: nothing changed.
                long pos = op.kind() == Kind.APPEND ? m.size() : op.pos();
                long first = pos / B;
                if (m.isAllocated(first)) {
                    throw new AssertionError("write at " + pos + " failed with ENOSPC though its first block is allocated");
                }
                if (m.isUnknown(first)) {
                    m.learn(first, false);
                }
            }
            case ALLOCATE, ZERO -> {
                if (!hasHole(m, op.pos(), op.len())) {
                    throw new AssertionError("ENOSPC though every block of the range is allocated: "
                            + m.blockMap(op.pos() / B, 8));
                }
                if (op.kind() == Kind.ALLOCATE) {
                    m.allocateFailed(op.pos(), op.len());
                } else {
                    m.zeroRangeFailed(op.pos(), op.len());
                }
            }
            case FAR_WRITE -> {
                // The write allocates one or two blocks and failed on the first: nothing changed.
            }
            default -> {
                // An operation that needs no data blocks ran out of metadata space: its partial
                // effect is unspecified. Take the file as it is, check nothing else changed and
                // that the file system survives a remount.
                stats.metadataEnospc++;
                resync(s);
                for (FsxFile o : files) {
                    if (o != s) {
                        checker.verifyFile(fs, o);
                    }
                }
                if (target != null) {
                    remount();
                }
            }
        }
    }

    private static boolean hasHole(FileModel m, long pos, long len) {
        for (long b = pos / B; b < (pos + len + B - 1) / B; b++) {
            if (!m.isAllocated(b)) {
                return true;
            }
        }
        return false;
    }

    /** BlockAllocator's reserve for metadata blocks: data allocation fails when only this is left. */
    private long metadataReserve() {
        long dataBlocks = Internals.volume(fs).geometry().dataBlocks();
        return Math.min(256, Math.max(16, dataBlocks / 256));
    }

    /** Replaces the model of {@code s} with what the file system has (after an unspecified partial effect). */
    private void resync(FsxFile s) throws DaxException {
        long size = s.file.size();
        if (size < 0 || size > s.model.capacity()) {
            throw new AssertionError("size " + size + " after ENOSPC is not sane");
        }
        FileModel fresh = new FileModel(cfg.maxFileSize());
        fresh.allocateFailed(0, fresh.capacity()); // every block unknown
        for (long p = 0; p < size; p += FileChecker.VERIFY_CHUNK) {
            int n = (int) Math.min(FileChecker.VERIFY_CHUNK, size - p);
            expectEqual("read while resyncing", n, s.file.read(p, buf, 0, n), s);
            fresh.replaceBytes(p, buf, 0, n);
        }
        fresh.setSize(size);
        s.model = fresh;
        checker.walkAllocation(s);
    }

    // ---------------------------------------------------------------- checks

    private void afterFileOp(FsxFile s) throws DaxException {
        if (!files.contains(s)) {
            return; // an orphan that a remount closed
        }
        FileModel m = s.model;
        if (m.hasUnknownBelow(m.size())) {
            checker.walkAllocation(s);
        }
        expectEqual("size", m.size(), s.file.size(), s);
        checker.checkBlocks(s);
    }

    /** A call that failed with an expected errno must have changed nothing. */
    private void checkUnchanged(FsxFile s, Op op, long blocksBefore) throws DaxException {
        expectEqual("size after a failed call", s.model.size(), s.file.size(), s);
        expectEqual("st_blocks after a failed call", blocksBefore, s.file.stat().blocks(), s);
        long size = s.model.size();
        long from = Math.clamp(op.pos() - 65536, 0, size);
        long to = Math.clamp(op.pos() + Math.max(0, op.len()) + 65536, from, Math.min(size, from + (1 << 20)));
        checker.verifyRange(s, from, to);
    }

    /** Used blocks of the file system = what it used when the run began + what the files and the root directory own. */
    private void checkSpace() throws DaxException {
        FsStat st = fs.statfs();
        long used = st.totalBlocks() - st.freeBlocks();
        long owned = fs.stat("/").blocks() / 8;
        for (FsxFile s : files) {
            owned += s.file.stat().blocks() / 8;
        }
        if (fixedUsed == Long.MIN_VALUE) {
            fixedUsed = used - owned;
        } else if (used - owned != fixedUsed) {
            throw new AssertionError("space accounting: " + used + " blocks in use, files and root directory own "
                    + owned + ", so " + (used - owned) + " are used by nothing (expected " + fixedUsed
                    + "): a leak or a double free");
        }
    }

    private void verifyAllChecked(String why) throws DaxException {
        for (FsxFile s : files) {
            try {
                checker.verifyFile(fs, s);
            } catch (AssertionError e) {
                throw new AssertionError("[" + why + " verification] " + e.getMessage(), e);
            }
        }
        Set<String> names = new HashSet<>();
        for (DirEntry d : fs.readdir("/")) {
            names.add("/" + d.name());
        }
        for (FsxFile s : files) {
            if (!s.orphan && !names.contains(s.path)) {
                throw new AssertionError("[" + why + " verification] " + s.path + " is missing from the root directory");
            }
        }
        stats.verifies++;
    }

    // ---------------------------------------------------------------- failure reporting

    private interface Checked {
        void run() throws Exception;
    }

    private void guard(String what, Checked c) {
        try {
            c.run();
        } catch (FsxFailure f) {
            throw f;
        } catch (Throwable t) {
            throw failure(what + " failed: " + t, t);
        }
    }

    private void remember(String line) {
        if (history.size() == HISTORY) {
            history.removeFirst();
        }
        history.addLast(line);
    }

    private FsxFailure failure(String detail, Throwable cause) {
        StringBuilder sb = new StringBuilder();
        sb.append("fsx seed ").append(seed).append(" (0x").append(Long.toHexString(seed)).append(") failed at operation #")
                .append(opIndex).append(": ").append(detail).append('\n');
        sb.append("  files:\n");
        for (int i = 0; i < files.size(); i++) {
            FsxFile s = files.get(i);
            sb.append("    f").append(i).append(' ').append(s.path).append(s.orphan ? " (orphan)" : "").append(": ")
                    .append(s.model).append('\n');
        }
        sb.append("  last operations:\n");
        for (String h : history) {
            sb.append("    ").append(h).append('\n');
        }
        sb.append("  replay: -Ddaxfs.fsx.seed=").append(seed).append(" -Ddaxfs.fsx.ops=").append(opIndex + 1)
                .append(" (-Ddaxfs.fsx.verbose=true prints every operation)");
        return new FsxFailure(sb.toString(), seed, opIndex, cause);
    }
}
