package io.daxfs.fsck;

import io.daxfs.types.DaxException;
import io.daxfs.types.FileType;
import io.daxfs.types.ProgressListener;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.DirBlock;
import io.daxfs.media.DirIndexNode;
import io.daxfs.media.Geometry;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The directory tree, walked breadth-first from the root: every directory block (header,
 * checksum, owner, index, record chain), each directory's name index ({@link DirIndexCheck}),
 * every entry (unique name, in-range target, target in
 * use, type matching the target), and then what the walk counted against what the records say:
 * names per inode against nlink, subdirectories against a directory's nlink (2 + subdirectories),
 * one name per directory with a matching parent field, every in-use inode reachable from the
 * root or the orphan list, no directory cycles. A directory is entered once, so the walk ends
 * on any graph; a second name of a directory is a hard link or a cycle and is reported.
 */
final class TreeWalk {
    /** A directory entry repair may change: remove it ({@code typeCode} 0) or correct its type. */
    record EntryFix(long dir, long block, int offset, byte[] name, long target, int typeCode, String why,
                    long key, long indexLeaf) {
        EntryFix(long dir, long block, int offset, byte[] name, long target, int typeCode, String why) {
            this(dir, block, offset, name, target, typeCode, why, 0, 0);
        }

        /** This fix, knowing that its entry's index key {@code key} is in leaf {@code leaf} (0: no index). */
        EntryFix inLeaf(long key, long leaf) {
            return new EntryFix(dir, block, offset, name, target, typeCode, why, key, leaf);
        }
    }

    private final MetaView view;
    private final Geometry g;
    private final InodeTable table;
    private final Findings f;
    private final ArrayDeque<InodeInfo> queue = new ArrayDeque<>();
    private final List<EntryFix> fixes = new ArrayList<>();
    /** Every directory block was read and every entry's target known: name counts are exact. */
    private boolean complete = true;
    private boolean rootUsable;
    private int directories;

    private TreeWalk(MetaView view, InodeTable table, Findings f) {
        this.view = view;
        this.g = view.geometry();
        this.table = table;
        this.f = f;
    }

    static TreeWalk run(MetaView view, InodeTable table, Findings f, ProgressListener p) {
        TreeWalk w = new TreeWalk(view, table, f);
        long totalDirs = table.all().stream().filter(InodeInfo::isDir).count();
        InodeInfo root = table.get(1);
        if (root == null || root.isDamaged() || !root.isDir()) {
            f.problem("root inode 1 is " + (root == null ? "free" : root.isDamaged() ? "damaged" : "not a directory")
                    + ": the directory tree cannot be checked");
            w.complete = false;
            return w;
        }
        w.rootUsable = true;
        w.queue.add(root);
        while (!w.queue.isEmpty()) {
            InodeInfo dir = w.queue.poll();
            try {
                w.walkDirectory(dir);
            } catch (RuntimeException e) {
                f.problem(dir.describe() + ": unreadable (" + e.getMessage() + ")");
                dir.contentsChecked = false;
                w.complete = false;
            }
            w.directories++;
            p.progress("directories", w.directories, totalDirs);
        }
        w.checkLinkCounts();
        w.checkReachability();
        w.findUnreachableCycles();
        return w;
    }

    boolean complete() {
        return complete;
    }

    /** Whether the walk could start at all (the root is an in-use, decodable directory). */
    boolean rootUsable() {
        return rootUsable;
    }

    int directories() {
        return directories;
    }

    List<EntryFix> fixes() {
        return fixes;
    }

    private void walkDirectory(InodeInfo dir) {
        if (dir.dirBlocks == null) {
            complete = false; // its map or size is damaged (reported by the inode pass)
            return;
        }
        boolean ok = true;
        boolean blocksRead = true;
        Set<String> names = new HashSet<>();
        int fixesBefore = fixes.size();
        long root = 0;
        Map<Long, Long> keyAt = new HashMap<>(); // (device block << 12 | offset) of each record in use -> its index key
        for (int i = 0; i < dir.dirBlocks.length; i++) {
            long b = dir.dirBlocks[i];
            MemorySegment blk = view.block(b);
            String what = "directory " + dir.ino + " block " + i + " (block " + b + ")";
            if (BlockHeader.magic(blk) != BlockHeader.DIRECTORY) {
                f.problem(what + ": wrong block type (magic 0x" + Integer.toHexString(BlockHeader.magic(blk)) + ")");
                ok = false;
                blocksRead = false;
                continue;
            }
            if (!BlockHeader.valid(blk, BlockHeader.DIRECTORY)) {
                f.problem(what + ": checksum mismatch");
                ok = false;
                blocksRead = false;
                continue;
            }
            if (BlockHeader.a(blk) != dir.ino || BlockHeader.b(blk) != i || i > 0 && BlockHeader.c(blk) != 0) {
                f.problem(what + ": header says inode " + BlockHeader.a(blk) + " block " + BlockHeader.b(blk)
                        + (i > 0 && BlockHeader.c(blk) != 0 ? " and index root " + BlockHeader.c(blk) + " (only block 0 names it)" : ""));
                ok = false;
                blocksRead = false;
                continue;
            }
            if (i == 0) {
                root = BlockHeader.c(blk);
            }
            try {
                DirBlock.verifyRecords(blk, what);
            } catch (DaxException e) {
                f.problem(e.detail());
                ok = false;
                blocksRead = false;
                continue;
            }
            for (int off = DirBlock.FIRST; off < Geometry.BLOCK_SIZE; off += DirBlock.recLen(blk, off)) {
                long target = DirBlock.ino(blk, off);
                if (target != 0) {
                    byte[] name = DirBlock.name(blk, off);
                    ok &= entry(dir, b, off, name, target, DirBlock.type(blk, off), names);
                    keyAt.put(b << Geometry.BLOCK_SHIFT | off, DirIndexNode.key(DirIndexNode.hash(view.dirHashSeed(), name), i, off));
                }
            }
        }
        if (blocksRead && dir.indexBlocks != null) {
            DirIndexCheck.Result index = DirIndexCheck.run(view, dir, root, new HashSet<>(keyAt.values()), f);
            ok &= index.ok();
            // A repair that removes an entry takes its key out of the index as well.
            for (int x = fixesBefore; x < fixes.size(); x++) {
                EntryFix fix = fixes.get(x);
                Long key = keyAt.get(fix.block() << Geometry.BLOCK_SHIFT | fix.offset());
                Long leaf = key == null ? null : index.leafOf().get(key);
                if (fix.typeCode() == 0 && leaf != null) {
                    fixes.set(x, fix.inLeaf(key, leaf));
                }
            }
        }
        dir.contentsChecked = ok;
        complete &= ok;
    }

    /** Judges one entry; false when its target is unknown (so counts depending on it are not exact). */
    private boolean entry(InodeInfo dir, long block, int off, byte[] name, long target, int typeCode, Set<String> seen) {
        String q = Findings.quote(name);
        String at = "directory " + dir.ino + ": entry " + q;
        if ((name.length == 1 && name[0] == '.') || (name.length == 2 && name[0] == '.' && name[1] == '.')) {
            f.problem(at + " uses a reserved name");
        }
        if (!seen.add(new String(name, StandardCharsets.ISO_8859_1))) {
            f.problem(at + " is a duplicate name");
        }
        if (target >= g.inodeCount()) {
            f.problem(at + " points to inode " + target + ", past the end of the inode table");
            fixes.add(new EntryFix(dir.ino, block, off, name, target, 0, "it pointed past the inode table"));
            return true;
        }
        if (target == 1) {
            f.problem(at + " names the root directory");
            fixes.add(new EntryFix(dir.ino, block, off, name, target, 0, "it named the root directory"));
            return true;
        }
        InodeInfo t = table.get(target);
        if (t == null) {
            f.problem(at + " points to free inode " + target);
            fixes.add(new EntryFix(dir.ino, block, off, name, target, 0, "it pointed to free inode " + target));
            return true;
        }
        t.names++;
        if (t.isDamaged()) {
            f.problem(at + " points to damaged inode " + target);
            return false;
        }
        FileType said = DirBlock.typeOf(typeCode);
        if (said != t.type) {
            f.problem(at + " says " + InodeInfo.typeName(said) + " but inode " + target + " is a " + InodeInfo.typeName(t.type));
            fixes.add(new EntryFix(dir.ino, block, off, name, target, DirBlock.typeCode(t.type),
                    "its type said " + InodeInfo.typeName(said)));
        }
        if (t.onOrphanList && (t.flags & InodeRecord.FLAG_TRUNCATING) == 0) {
            f.problem("orphan " + t.describe() + " still has a name: entry " + q + " in directory " + dir.ino);
        }
        if (t.isDir()) {
            dir.subdirs++;
            if (t.namedBy != 0) {
                t.multiplyNamed = true;
                f.problem("directory " + target + " has more than one name: entry " + q + " in directory " + dir.ino
                        + ", and one in directory " + t.namedBy + " (a hard link or a cycle)");
                return true;
            }
            t.namedBy = dir.ino;
            if (t.parent != dir.ino) {
                f.problem("directory " + target + ": parent field says " + t.parent + " but it is named in directory " + dir.ino);
            }
            queue.add(t);
        }
        return true;
    }

    private void checkLinkCounts() {
        boolean namesExact = complete;
        if (!namesExact) {
            f.problem("link counts of files not checked: some directory contents could not be read");
        }
        for (InodeInfo in : table.all()) {
            if (in.isDamaged()) {
                continue;
            }
            if (in.isDir()) {
                boolean reached = in.ino == 1 || in.namedBy != 0;
                long expected = 2L + in.subdirs;
                if (reached && in.contentsChecked && in.nlink != expected) {
                    f.problem("directory " + in.ino + ": nlink is " + in.nlink + ", expected " + expected + " (2 + "
                            + in.subdirs + " subdirectories)");
                }
            } else if (namesExact && in.names > 0 && !in.onOrphanList && in.nlink != in.names) {
                f.problem(in.describe() + ": nlink is " + in.nlink + " but " + in.names
                        + (in.names == 1 ? " directory entry names it" : " directory entries name it"));
            }
        }
    }

    private void checkReachability() {
        for (InodeInfo in : table.all()) {
            if (in.ino == 1 || in.isDamaged() || in.onOrphanList) {
                continue;
            }
            boolean reached = in.isDir() ? in.namedBy != 0 : in.names > 0;
            if (!reached) {
                f.problem(in.describe() + " with nlink " + in.nlink + " is not reachable from the root directory"
                        + (complete ? "" : " (unless it is named in a damaged directory)"));
            }
        }
    }

    /**
     * Unreachable directories whose parent fields lead round in a circle: a cycle cut off from
     * the root. Each directory is explored once, so this is linear.
     */
    private void findUnreachableCycles() {
        Set<Long> explored = new HashSet<>();
        for (InodeInfo start : table.all()) {
            if (!start.isDir() || start.ino == 1 || start.namedBy != 0 || explored.contains(start.ino)) {
                continue;
            }
            LinkedHashSet<Long> path = new LinkedHashSet<>();
            for (InodeInfo cur = start; cur != null; ) {
                if (path.contains(cur.ino)) {
                    List<Long> cycle = new ArrayList<>();
                    boolean in = false;
                    for (long x : path) {
                        in |= x == cur.ino;
                        if (in) {
                            cycle.add(x);
                        }
                    }
                    f.problem("directories " + cycle + " form a cycle (by their parent fields) unreachable from the root");
                    break;
                }
                if (!explored.add(cur.ino)) {
                    break;
                }
                path.add(cur.ino);
                InodeInfo parent = table.get(cur.parent);
                boolean lost = parent != null && parent.isDir() && parent.ino != 1 && parent.namedBy == 0;
                cur = lost ? parent : null;
            }
        }
    }
}
