package io.daxfs.crash;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.RenameOption;
import io.daxfs.crash.FsModel.Entry;
import io.daxfs.crash.FsModel.Kind;
import io.daxfs.crash.FsModel.Node;

import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A mounted file system and its {@link FsModel}: every operation is recorded in the model (before
 * it runs, so crash checks during it allow its outcome) and then done on the file system.
 * Operations by path open the file for the call and close it afterwards; {@link #open} keeps a
 * {@link Handle} for unlink-while-open.
 */
final class ModelFs {
    final DaxFileSystem fs;
    final FsModel model = new FsModel();
    private final List<Handle> handles = new ArrayList<>();
    private long nextTag = 1;
    /** The operation in progress, for failure messages. */
    private String current = "mount";
    private long ops;

    /** An open file kept across operations. */
    final class Handle {
        final Node node;
        final DaxFile file;

        private Handle(Node node, DaxFile file) {
            this.node = node;
            this.file = file;
        }
    }

    ModelFs(DaxFileSystem fs) {
        this.fs = fs;
    }

    /** The operation running now ("op #n: ..."). */
    String currentOp() {
        return current;
    }

    long operations() {
        return ops;
    }

    private void begin(String what) {
        ops++;
        current = "op #" + ops + ": " + what;
        if (trace) {
            System.out.println(current);
        }
    }

    /** Print every operation as it starts (for reproducing a failure). */
    boolean trace = Boolean.getBoolean("daxfs.crash.trace");

    // ---------------------------------------------------------------- namespace

    void mkdir(String path) throws DaxException {
        begin("mkdir " + path);
        Node n = model.newNode(Kind.DIR, null);
        model.set(path, Entry.of(n));
        fs.mkdir(path);
        n.ino = fs.lstat(path).ino();
    }

    void rmdir(String path) throws DaxException {
        begin("rmdir " + path);
        model.set(path, Entry.ABSENT);
        fs.rmdir(path);
    }

    /** Creates an empty regular file. */
    void create(String path) throws DaxException {
        begin("create " + path);
        Node n = model.newNode(Kind.FILE, null);
        model.set(path, Entry.of(n));
        try (DaxFile f = fs.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            n.ino = f.stat().ino();
        }
    }

    void symlink(String target, String path) throws DaxException {
        begin("symlink " + path + " -> " + target);
        Node n = model.newNode(Kind.SYMLINK, target);
        model.set(path, Entry.of(n));
        fs.symlink(target, path);
        n.ino = fs.lstat(path).ino();
    }

    void link(String existing, String path) throws DaxException {
        begin("link " + existing + " " + path);
        model.set(path, model.entry(existing));
        fs.link(existing, path);
    }

    void unlink(String path) throws DaxException {
        begin("unlink " + path);
        model.set(path, Entry.ABSENT);
        fs.unlink(path);
    }

    /** rename(2), with RENAME_NOREPLACE or RENAME_EXCHANGE when asked; moves whole subtrees. */
    void rename(String from, String to, RenameOption... options) throws DaxException {
        begin("rename " + from + " " + to + " " + Arrays.toString(options));
        boolean exchange = Set.of(options).contains(RenameOption.EXCHANGE);
        Map<String, Entry> changes = new LinkedHashMap<>();
        Map<String, Entry> a = subtree(from);
        Map<String, Entry> b = exchange ? subtree(to) : Map.of();
        if (!exchange) {
            // A replaced directory is empty; a replaced file just loses this name.
            changes.put(to, Entry.ABSENT);
        }
        a.keySet().forEach(p -> changes.put(p, Entry.ABSENT));
        b.keySet().forEach(p -> changes.put(p, Entry.ABSENT));
        a.forEach((p, e) -> changes.put(to + p.substring(from.length()), e));
        b.forEach((p, e) -> changes.put(from + p.substring(to.length()), e));
        model.apply(changes);
        fs.rename(from, to, options);
    }

    private Map<String, Entry> subtree(String path) {
        Map<String, Entry> out = new LinkedHashMap<>();
        out.put(path, model.entry(path));
        for (String d : model.descendants(path)) {
            out.put(d, model.entry(d));
        }
        return out;
    }

    // ---------------------------------------------------------------- handles

    Handle open(String path) throws DaxException {
        begin("open " + path);
        Node n = fileAt(path);
        Handle h = new Handle(n, fs.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE));
        n.openHandles++;
        handles.add(h);
        return h;
    }

    void close(Handle h) throws DaxException {
        begin("close handle of " + h.node);
        handles.remove(h);
        h.node.openHandles--;
        h.file.close();
    }

    /** Nodes reachable through open handles. */
    List<Node> openNodes() {
        return handles.stream().map(h -> h.node).toList();
    }

    // ---------------------------------------------------------------- data

    /** Writes {@code len} pattern bytes at {@code pos}, with a fresh tag. */
    void write(String path, long pos, int len) throws DaxException {
        withFile(path, "write " + path + " [" + pos + ", +" + len + ")", h -> write(h, pos, len));
    }

    void write(Handle h, long pos, int len) throws DaxException {
        long tag = nextTag++;
        Node n = h.node;
        byte[] next = Arrays.copyOf(n.data, (int) Math.max(n.data.length, pos + len));
        Pattern.fill(next, (int) pos, len, pos, tag);
        model.setData(n, next);
        long done = h.file.write(pos, MemorySegment.ofArray(next).asSlice(pos, len));
        if (done != len) {
            throw new AssertionError("short write " + done + " of " + len + " at " + pos);
        }
    }

    /**
     * Writes like {@link #write(String, long, int)}, but running out of space (ENOSPC or a short
     * write) is allowed; the model then takes what was written. Returns the bytes written.
     */
    long writeUpTo(String path, long pos, int len) throws DaxException {
        long[] done = {0};
        withFile(path, "write up to " + path + " [" + pos + ", +" + len + ")", h -> {
            long tag = nextTag++;
            Node n = h.node;
            byte[] before = n.data;
            byte[] next = Arrays.copyOf(before, (int) Math.max(before.length, pos + len));
            Pattern.fill(next, (int) pos, len, pos, tag);
            model.setData(n, next);
            try {
                done[0] = h.file.write(pos, MemorySegment.ofArray(next).asSlice(pos, len));
            } catch (DaxException e) {
                if (e.errno() != io.daxfs.types.Errno.ENOSPC) {
                    throw e;
                }
            }
            if (done[0] < len) {
                byte[] actual = Arrays.copyOf(before, (int) Math.max(before.length, pos + done[0]));
                Pattern.fill(actual, (int) pos, (int) done[0], pos, tag);
                model.setData(n, actual);
            }
        });
        return done[0];
    }

    /** Overwrites the whole file with the stale-data marker (before deleting it). */
    void fillWithMarker(String path) throws DaxException {
        withFile(path, "fill with marker " + path, h -> {
            Node n = h.node;
            byte[] next = new byte[n.data.length];
            Pattern.fillMarker(next, 0, next.length, 0);
            model.setData(n, next);
            h.file.write(0, MemorySegment.ofArray(next));
        });
    }

    void truncate(String path, long size) throws DaxException {
        withFile(path, "truncate " + path + " " + size, h -> {
            model.setData(h.node, Arrays.copyOf(h.node.data, (int) size));
            h.file.truncate(size);
        });
    }

    /** fallocate(0) or fallocate(KEEP_SIZE). */
    void allocate(String path, long pos, long len, boolean keepSize) throws DaxException {
        withFile(path, "allocate " + path + " [" + pos + ", +" + len + ") keep=" + keepSize, h -> {
            byte[] d = h.node.data;
            model.setData(h.node, keepSize ? d : Arrays.copyOf(d, (int) Math.max(d.length, pos + len)));
            h.file.allocate(pos, len, keepSize);
        });
    }

    void punchHole(String path, long pos, long len) throws DaxException {
        withFile(path, "punch " + path + " [" + pos + ", +" + len + ")", h -> {
            byte[] d = h.node.data.clone();
            Arrays.fill(d, (int) Math.min(pos, d.length), (int) Math.min(pos + len, d.length), (byte) 0);
            model.setData(h.node, d);
            h.file.punchHole(pos, len);
        });
    }

    void zeroRange(String path, long pos, long len, boolean keepSize) throws DaxException {
        withFile(path, "zero range " + path + " [" + pos + ", +" + len + ") keep=" + keepSize, h -> {
            byte[] d = h.node.data;
            d = keepSize ? d.clone() : Arrays.copyOf(d, (int) Math.max(d.length, pos + len));
            Arrays.fill(d, (int) Math.min(pos, d.length), (int) Math.min(pos + len, d.length), (byte) 0);
            model.setData(h.node, d);
            h.file.zeroRange(pos, len, keepSize);
        });
    }

    void collapseRange(String path, long pos, long len) throws DaxException {
        withFile(path, "collapse " + path + " [" + pos + ", +" + len + ")", h -> {
            byte[] d = h.node.data;
            byte[] next = new byte[d.length - (int) len];
            System.arraycopy(d, 0, next, 0, (int) pos);
            System.arraycopy(d, (int) (pos + len), next, (int) pos, d.length - (int) (pos + len));
            model.setData(h.node, next);
            h.file.collapseRange(pos, len);
        });
    }

    void insertRange(String path, long pos, long len) throws DaxException {
        withFile(path, "insert " + path + " [" + pos + ", +" + len + ")", h -> {
            byte[] d = h.node.data;
            byte[] next = new byte[d.length + (int) len];
            System.arraycopy(d, 0, next, 0, (int) pos);
            System.arraycopy(d, (int) pos, next, (int) (pos + len), d.length - (int) pos);
            model.setData(h.node, next);
            h.file.insertRange(pos, len);
        });
    }

    // ---------------------------------------------------------------- extended attributes

    /** Sets (or, with a null value, removes) extended attribute {@code name} of what {@code path} names (not followed). */
    void setxattr(String path, String name, byte[] value) throws DaxException {
        begin((value == null ? "removexattr " : "setxattr ") + path + " " + name
                + (value == null ? "" : " (" + value.length + " bytes)"));
        Node n = model.entry(path).node();
        Map<String, String> next = new java.util.TreeMap<>(n.xattrs);
        if (value == null) {
            next.remove(name);
        } else {
            next.put(name, new String(value, java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        model.setXattrs(n, next);
        if (value == null) {
            fs.removexattr(path, name, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } else {
            fs.setxattr(path, name, value, 0, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        }
    }

    // ---------------------------------------------------------------- durability

    void fsync(String path) throws DaxException {
        withFile(path, "fsync " + path, this::fsync);
    }

    void fsync(Handle h) throws DaxException {
        h.file.fsync();
        model.promiseFile(h.node, true);
    }

    void fdatasync(String path) throws DaxException {
        withFile(path, "fdatasync " + path, this::fdatasync);
    }

    void fdatasync(Handle h) throws DaxException {
        h.file.fdatasync();
        model.promiseFile(h.node, false);
    }

    void sync() throws DaxException {
        begin("sync");
        fs.sync();
        model.promiseAll(openNodes());
    }

    /** sync, then a journal checkpoint, so blocks freed so far become reusable. */
    void syncAndCheckpoint() throws DaxException {
        sync();
        begin("checkpoint");
        Internals.volume(fs).journal().checkpoint();
    }

    // ---------------------------------------------------------------- helpers

    interface FileOp {
        void run(Handle h) throws DaxException;
    }

    private void withFile(String path, String what, FileOp op) throws DaxException {
        begin(what);
        Node n = fileAt(path);
        try (DaxFile f = fs.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            op.run(new Handle(n, f));
        }
    }

    /** Applies a handle operation, naming it for failure messages. */
    void onHandle(Handle h, String what, FileOp op) throws DaxException {
        begin(what + " (handle of " + h.node + ")");
        op.run(h);
    }

    private Node fileAt(String path) {
        Entry e = model.entry(path);
        if (e.kind() != Kind.FILE) {
            throw new IllegalArgumentException(path + " is not a file in the model: " + e);
        }
        return e.node();
    }
}
