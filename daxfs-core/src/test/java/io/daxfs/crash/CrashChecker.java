package io.daxfs.crash;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.FsStat;
import io.daxfs.types.FsckReport;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;
import io.daxfs.crash.FsModel.Entry;
import io.daxfs.crash.FsModel.Kind;
import io.daxfs.crash.FsModel.Node;
import io.daxfs.device.Device;
import io.daxfs.testutil.RetainedDevice;

import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks one crash image against an {@link FsModel}: fsck (without repair, which must not
 * write) must find it clean; it must mount (replaying the journal); every path must hold one of
 * the entries its history allows, every file one of the contents its history allows (see
 * {@link FsModel}), with no byte that was never written to it; block and inode accounting must
 * match what is reachable; and it must unmount cleanly, leaving an image fsck finds clean.
 */
final class CrashChecker {
    static final MountOptions MOUNT = MountOptions.DEFAULT.withCommitIntervalMs(0);

    private final FsModel model;
    private RetainedDevice scratch;
    /** Nanoseconds spent: load, fsck, mount, verify, unmount. */
    final long[] nanos = new long[5];
    private long images;
    private long fsckRuns;

    CrashChecker(FsModel model) {
        this.model = model;
    }

    long images() {
        return images;
    }

    long fsckRuns() {
        return fsckRuns;
    }

    /**
     * Checks {@code image} (not changed); returns the problems found, empty when it is correct.
     * With {@code probe}, also uses the recovered file system (create, write, fsync, delete)
     * before unmounting it.
     */
    List<String> check(MemorySegment image, boolean probe) {
        images++;
        List<String> problems = new ArrayList<>();
        long t0 = System.nanoTime();
        if (scratch == null || scratch.size() != image.byteSize()) {
            if (scratch != null) {
                scratch.free();
            }
            scratch = RetainedDevice.allocateFreeable(image.byteSize());
        }
        RetainedDevice mem = scratch.load(image);
        long t1 = System.nanoTime();
        fsck(mem, image, "before mount", problems);
        long t2 = System.nanoTime();
        nanos[0] += t1 - t0;
        nanos[1] += t2 - t1;
        DaxFileSystem fs;
        try {
            fs = Internals.mount(mem, MOUNT);
        } catch (DaxException | RuntimeException e) {
            problems.add("mount failed: " + describe(e));
            return problems;
        }
        long t3 = System.nanoTime();
        nanos[2] += t3 - t2;
        try {
            verify(fs, problems);
            if (probe && problems.isEmpty()) {
                try {
                    probe(fs, problems);
                } catch (DaxException e) {
                    if (e.errno() != Errno.ENOSPC) { // a full device is no fault (accounting is checked above)
                        throw e;
                    }
                }
            }
        } catch (DaxException | RuntimeException e) {
            problems.add("verification failed: " + describe(e));
        } finally {
            long t4 = System.nanoTime();
            nanos[3] += t4 - t3;
            try {
                fs.close();
            } catch (DaxException | RuntimeException e) {
                problems.add("unmount failed: " + describe(e));
            }
            nanos[4] += System.nanoTime() - t4;
        }
        long t5 = System.nanoTime();
        fsck(mem, null, "after unmount", problems);
        nanos[1] += System.nanoTime() - t5;
        return problems;
    }

    /** Releases the scratch memory. */
    void free() {
        if (scratch != null) {
            scratch.free();
            scratch = null;
        }
    }

    String timing() {
        return String.format("load %.1f s, fsck %.1f s, mount %.1f s, verify %.1f s, unmount %.1f s",
                nanos[0] / 1e9, nanos[1] / 1e9, nanos[2] / 1e9, nanos[3] / 1e9, nanos[4] / 1e9);
    }

    /** Runs fsck without repair; with {@code original}, also checks that it wrote nothing. */
    private void fsck(Device dev, MemorySegment original, String when, List<String> problems) {
        try {
            FsckReport r = Internals.fsck(dev, false, ProgressListener.NONE);
            if (!r.clean()) {
                problems.add("fsck " + when + ": " + r.problems());
            }
        } catch (DaxException e) {
            problems.add("fsck " + when + " failed: " + e);
        } catch (RuntimeException e) {
            problems.add("fsck " + when + " threw " + describe(e));
        }
        fsckRuns++;
        if (original != null) {
            long m = MemorySegment.mismatch(dev.segment(), 0, dev.size(), original, 0, original.byteSize());
            if (m >= 0) {
                problems.add("fsck without repair " + when + " wrote to the device (first change at byte " + m + ")");
                MemorySegment.copy(original, 0, dev.segment(), 0, dev.size());
            }
        }
    }

    /** What the mounted file system shows at one path. */
    private record Found(FileStat stat, String target) {
    }

    private void verify(DaxFileSystem fs, List<String> problems) throws DaxException {
        Map<String, Found> found = new TreeMap<>();
        found.put("/", new Found(fs.lstat("/"), null));
        walk(fs, "/", found, problems);

        // Every path: one of the entries its history allows.
        Set<String> paths = new TreeSet<>(found.keySet());
        paths.addAll(model.knownPaths());
        Map<Long, Integer> namesPerIno = new HashMap<>();
        Map<Long, Integer> subdirs = new HashMap<>();
        for (Map.Entry<String, Found> e : found.entrySet()) {
            FileStat st = e.getValue().stat;
            namesPerIno.merge(st.ino(), 1, Integer::sum);
            if (st.type() == FileType.DIRECTORY && !e.getKey().equals("/")) {
                subdirs.merge(found.get(FsModel.parent(e.getKey())).stat.ino(), 1, Integer::sum);
            }
        }
        for (String p : paths) {
            List<Entry> allowed = model.allowed(p);
            Found f = found.get(p);
            if (f == null) {
                if (!allowed.contains(Entry.ABSENT)) {
                    problems.add(p + ": missing; expected one of " + allowed);
                }
                continue;
            }
            String why = match(fs, p, f, allowed);
            if (why != null) {
                problems.add(p + ": " + why);
            }
        }

        // Link counts, and block and inode accounting: nothing leaked, nothing shared.
        long ownedBlocks = 0;
        Set<Long> seen = new HashSet<>();
        for (Map.Entry<String, Found> e : found.entrySet()) {
            FileStat st = e.getValue().stat;
            if (!seen.add(st.ino())) {
                continue;
            }
            ownedBlocks += st.blocks() / (FileStat.BLOCK_SIZE / 512);
            int expect = st.type() == FileType.DIRECTORY ? 2 + subdirs.getOrDefault(st.ino(), 0)
                    : namesPerIno.get(st.ino());
            if (st.nlink() != expect) {
                problems.add(e.getKey() + ": link count " + st.nlink() + ", but " + expect + " found");
            }
        }
        FsStat s = fs.statfs();
        long metadata = Internals.volume(fs).geometry().dataStart();
        long used = s.totalBlocks() - s.freeBlocks();
        if (used != metadata + ownedBlocks) {
            problems.add("block accounting: " + used + " blocks in use, but metadata (" + metadata
                    + ") and reachable inodes (" + ownedBlocks + ") account for " + (metadata + ownedBlocks));
        }
        if (s.totalInodes() - s.freeInodes() != seen.size()) {
            problems.add("inode accounting: " + (s.totalInodes() - s.freeInodes()) + " inodes in use, "
                    + seen.size() + " reachable");
        }
    }

    private static void walk(DaxFileSystem fs, String dir, Map<String, Found> found, List<String> problems)
            throws DaxException {
        for (DirEntry d : fs.readdir(dir)) {
            String p = FsModel.child(dir, d.name());
            FileStat st = fs.lstat(p);
            if (st.ino() != d.ino() || st.type() != d.type()) {
                problems.add(p + ": directory entry says inode " + d.ino() + " " + d.type() + ", lstat says inode "
                        + st.ino() + " " + st.type());
            }
            found.put(p, new Found(st, st.type() == FileType.SYMLINK ? fs.readlink(p) : null));
            if (st.type() == FileType.DIRECTORY) {
                walk(fs, p, found, problems);
            }
        }
    }

    /** Null when {@code f} matches one of {@code allowed}, else why not. */
    private static String match(DaxFileSystem fs, String path, Found f, List<Entry> allowed) throws DaxException {
        FileStat st = f.stat;
        Kind kind = switch (st.type()) {
            case REGULAR -> Kind.FILE;
            case DIRECTORY -> Kind.DIR;
            case SYMLINK -> Kind.SYMLINK;
            case FIFO, CHARACTER_DEVICE, BLOCK_DEVICE, SOCKET ->
                    throw new AssertionError(path + ": a special file, which the crash workloads never make");
        };
        List<Node> candidates = new ArrayList<>();
        for (Entry e : allowed) {
            if (e.kind() == kind && (e.node().ino == st.ino() || e.node().ino == 0)) {
                candidates.add(e.node());
            }
        }
        if (candidates.isEmpty()) {
            return "holds " + kind + " inode " + st.ino() + "; expected one of " + allowed;
        }
        Map<String, String> xattrs = xattrs(fs, path);
        candidates.removeIf(n -> !n.xattrHistory.contains(xattrs));
        if (candidates.isEmpty()) {
            return "extended attributes " + xattrs.keySet() + " (" + xattrs.values().stream().mapToInt(String::length).sum()
                    + " bytes of values) match no state since the last promise of " + allowed;
        }
        if (kind == Kind.DIR) {
            return null;
        }
        if (kind == Kind.SYMLINK) {
            for (Node n : candidates) {
                if (n.target.equals(f.target)) {
                    return null;
                }
            }
            return "symlink target '" + f.target + "'; expected one of " + candidates;
        }
        byte[] got = read(fs, path, st.size());
        String first = null;
        for (Node n : candidates) {
            String why = ContentCheck.check(got, n.history);
            if (why == null) {
                return null;
            }
            first = first == null ? n + ": " + why : first;
        }
        return first;
    }

    private static Map<String, String> xattrs(DaxFileSystem fs, String path) throws DaxException {
        Map<String, String> out = new TreeMap<>();
        for (String name : fs.listxattr(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            out.put(name, new String(fs.getxattr(path, name, java.nio.file.LinkOption.NOFOLLOW_LINKS),
                    java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    private static byte[] read(DaxFileSystem fs, String path, long size) throws DaxException {
        if (size > Integer.MAX_VALUE - 16) {
            throw new DaxException(Errno.EFBIG, path + ": size " + size + " is beyond anything the workload wrote");
        }
        byte[] b = new byte[(int) size];
        try (DaxFile f = fs.open(path, StandardOpenOption.READ)) {
            long done = 0;
            while (done < size) {
                long n = f.read(done, MemorySegment.ofArray(b).asSlice(done));
                if (n <= 0) {
                    throw new DaxException(Errno.EIO, path + ": read returned " + n + " at " + done + " of " + size);
                }
                done += n;
            }
        }
        return b;
    }

    /** Uses the recovered file system: what a crash leaves must not trip later operations. */
    private static void probe(DaxFileSystem fs, List<String> problems) throws DaxException {
        String p = "/.crash-probe";
        byte[] data = new byte[70_000];
        Pattern.fill(data, 0, data.length, 0, -1);
        try (DaxFile f = fs.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            f.write(0, MemorySegment.ofArray(data));
            f.fsync();
            byte[] back = new byte[data.length];
            f.read(0, back, 0, back.length);
            if (!Arrays.equals(data, back)) {
                problems.add("probe: read back differs from what was written");
            }
        }
        fs.mkdir(p + "-dir");
        fs.rmdir(p + "-dir");
        fs.unlink(p);
        fs.sync();
    }

    static String describe(Throwable e) {
        StackTraceElement[] st = e.getStackTrace();
        StringBuilder b = new StringBuilder(e.toString());
        for (int i = 0; i < Math.min(6, st.length); i++) {
            b.append("\n        at ").append(st[i]);
        }
        return b.toString();
    }
}
