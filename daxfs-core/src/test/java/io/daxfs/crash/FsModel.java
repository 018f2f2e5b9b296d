package io.daxfs.crash;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a workload did to a file system, and therefore what a crash at any moment may show.
 *
 * <h2>Promises</h2>
 * A successful {@code fsync(F)} promises F's contents, size and extended attributes as of that
 * moment, and that F is at each of its paths whose ancestor directories have not changed since
 * their last promise. (fsync commits every transaction up to the newest one that changed F's
 * inode; giving F a name changes its inode, but renaming one of its ancestors does not, so such a
 * rename may still be lost, and with it F's new path, as on ext4.) {@code fdatasync(F)} promises
 * the contents and size only; {@code sync()} promises everything. A promise made before a crash must hold after it,
 * unless an operation issued after the promise (and before the crash) changed the state again:
 * such an operation may or may not have become durable, in part.
 *
 * <h2>Histories</h2>
 * So the model keeps, per path, every {@link Entry} the path held since its last promise (the
 * first one is the promised state, the last the current one) and, per file ({@link Node}),
 * every content state since its last promise. A crash image is correct when every path shows
 * one of its entries and every file shows a size from its history and, at every offset, a byte
 * that one of its states had there (or zero past the end of a shorter state: file data is
 * written in place, not journaled, so an unpersisted write may survive in any part, and a size
 * may become durable before the data it covers). Operations record their target state
 * <em>before</em> they run, so persistence points during an operation allow its outcome.
 *
 * <p>Not thread-safe: one workload thread changes it, and crash checks run on that thread (in
 * the recording device's persist listener).
 */
final class FsModel {
    enum Kind { ABSENT, FILE, DIR, SYMLINK }

    /** What a path names. Entries compare by node identity. */
    record Entry(Kind kind, Node node) {
        static final Entry ABSENT = new Entry(Kind.ABSENT, null);

        static Entry of(Node n) {
            return new Entry(n.kind, n);
        }

        @Override
        public String toString() {
            return kind == Kind.ABSENT ? "absent" : node.toString();
        }
    }

    /** A file, directory or symlink created by the workload. */
    static final class Node {
        final int id;
        final Kind kind;
        /** Symlink target (symlinks only). */
        final String target;
        /** The inode number; 0 while the creating operation runs. */
        long ino;
        /** Files: the current contents (length = size). */
        byte[] data = new byte[0];
        /** Files: every content state since the last promise; the last is the current one. */
        final List<byte[]> history = new ArrayList<>();
        int openHandles;
        /** Extended attributes now (name to value, as ISO-8859-1 text), and every state since the last promise. */
        Map<String, String> xattrs = Map.of();
        final List<Map<String, String>> xattrHistory = new ArrayList<>(List.of(xattrs));

        Node(int id, Kind kind, String target) {
            this.id = id;
            this.kind = kind;
            this.target = target;
            if (kind == Kind.FILE) {
                history.add(data);
            }
        }

        @Override
        public String toString() {
            return kind.name().toLowerCase() + "#" + id + "(ino " + ino + (kind == Kind.FILE ? ", " + data.length + " bytes"
                    : kind == Kind.SYMLINK ? ", -> " + target : "") + ")";
        }
    }

    private final Node root = new Node(0, Kind.DIR, null);
    private final TreeMap<String, Entry> namespace = new TreeMap<>();
    /** Paths whose allowed set is not just their current entry, or whose entry is not ABSENT. */
    private final Map<String, List<Entry>> pathHistory = new HashMap<>();
    private int nextId = 1;

    FsModel() {
        root.ino = 1;
        namespace.put("/", Entry.of(root));
        pathHistory.put("/", new ArrayList<>(List.of(Entry.of(root))));
    }

    Node root() {
        return root;
    }

    Node newNode(Kind kind, String target) {
        return new Node(nextId++, kind, target);
    }

    /** The current entry of {@code path}. */
    Entry entry(String path) {
        return namespace.getOrDefault(path, Entry.ABSENT);
    }

    /** The current namespace, path to entry, sorted (a directory before its descendants). */
    TreeMap<String, Entry> namespace() {
        return namespace;
    }

    /** The entries a crash may show at {@code path}: those since its last promise. */
    List<Entry> allowed(String path) {
        List<Entry> h = pathHistory.get(path);
        return h == null ? List.of(Entry.ABSENT) : h;
    }

    /** Every path that may hold something after a crash. */
    Set<String> knownPaths() {
        return pathHistory.keySet();
    }

    /** Sets several paths at once, as one atomic operation does (each path gets its final entry only). */
    void apply(Map<String, Entry> changes) {
        for (Map.Entry<String, Entry> c : changes.entrySet()) {
            set(c.getKey(), c.getValue());
        }
    }

    void set(String path, Entry e) {
        Entry old = entry(path);
        if (e.kind() == Kind.ABSENT) {
            namespace.remove(path);
        } else {
            namespace.put(path, e);
        }
        if (old.equals(e)) {
            return;
        }
        List<Entry> h = pathHistory.computeIfAbsent(path, p -> new ArrayList<>(List.of(Entry.ABSENT)));
        if (!h.contains(e)) {
            h.add(e);
        }
    }

    /** The paths under {@code dir} (excluded), deepest last. */
    List<String> descendants(String dir) {
        String prefix = dir.equals("/") ? "/" : dir + "/";
        List<String> out = new ArrayList<>();
        for (String p : namespace.tailMap(prefix, true).keySet()) {
            if (!p.startsWith(prefix)) {
                break;
            }
            out.add(p);
        }
        return out;
    }

    /** Records a new content state of file {@code n}. */
    void setData(Node n, byte[] data) {
        n.data = data;
        n.history.add(data);
    }

    /** Records a new extended attribute state of node {@code n}. */
    void setXattrs(Node n, Map<String, String> xattrs) {
        n.xattrs = Map.copyOf(xattrs);
        n.xattrHistory.add(n.xattrs);
    }

    /** The current paths of node {@code n}. */
    List<String> pathsOf(Node n) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Entry> e : namespace.entrySet()) {
            if (e.getValue().node() == n) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** fsync ({@code withNames}) or fdatasync of {@code n} returned. */
    void promiseFile(Node n, boolean withNames) {
        collapse(n);
        if (withNames) {
            collapseXattrs(n); // fsync makes all of the inode durable; fdatasync only its data
            for (String p : pathsOf(n)) {
                if (ancestorsSettled(p)) {
                    promisePath(p);
                }
            }
        }
    }

    /** sync returned: everything as it is now is durable. */
    void promiseAll() {
        for (String p : List.copyOf(pathHistory.keySet())) {
            promisePath(p);
        }
        for (Entry e : namespace.values()) {
            collapse(e.node());
            collapseXattrs(e.node());
        }
    }

    /** Also collapses files only reachable through open handles (unlinked while open). */
    void promiseAll(Collection<Node> openNodes) {
        promiseAll();
        for (Node n : openNodes) {
            collapse(n);
            collapseXattrs(n);
        }
    }

    /** True when every directory above {@code p} is known durable where it is now. */
    private boolean ancestorsSettled(String p) {
        for (String q = parent(p); !q.equals("/"); q = parent(q)) {
            List<Entry> h = pathHistory.get(q);
            if (h == null || h.size() != 1 || !h.getFirst().equals(entry(q))) {
                return false;
            }
        }
        return true;
    }

    private void promisePath(String p) {
        Entry cur = entry(p);
        if (cur.kind() == Kind.ABSENT) {
            pathHistory.remove(p);
        } else {
            pathHistory.put(p, new ArrayList<>(List.of(cur)));
        }
    }

    private static void collapse(Node n) {
        if (n.kind == Kind.FILE) {
            n.history.clear();
            n.history.add(n.data);
        }
    }

    private static void collapseXattrs(Node n) {
        n.xattrHistory.clear();
        n.xattrHistory.add(n.xattrs);
    }

    static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    static String child(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }
}
