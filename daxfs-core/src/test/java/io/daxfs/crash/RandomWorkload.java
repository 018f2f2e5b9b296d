package io.daxfs.crash;

import io.daxfs.types.DaxException;
import io.daxfs.types.RenameOption;
import io.daxfs.crash.FsModel.Entry;
import io.daxfs.crash.FsModel.Kind;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A seeded random workload for crash testing: the operations of {@link Workload} in random
 * order over a small set of names (so renames replace, and names are reused), with long runs
 * of unsynced operations between promises (large compound transactions, commits forced by a
 * full journal, checkpoints forced by low space) and handles kept open across unlinks.
 * Every operation is valid in the model, so every one must succeed.
 */
final class RandomWorkload {
    private static final String[] NAMES = {"a", "b", "c", "d", "e", "f", "g", "h"};
    private static final int BLOCK = 4096;

    private final ModelFs m;
    private final SplittableRandom rnd;
    private final long maxFileBytes;
    private final List<ModelFs.Handle> open = new ArrayList<>();

    RandomWorkload(ModelFs m, long seed, long maxFileBytes) {
        this.m = m;
        this.rnd = new SplittableRandom(seed);
        this.maxFileBytes = maxFileBytes;
    }

    void run(int operations) throws DaxException {
        m.mkdir("/r");
        for (int i = 0; i < operations; i++) {
            step();
        }
        for (ModelFs.Handle h : List.copyOf(open)) {
            m.close(h);
        }
        open.clear();
    }

    private void step() throws DaxException {
        if (rnd.nextInt(100) < 5) {
            xattrStep();
            return;
        }
        int r = rnd.nextInt(100);
        List<String> files = paths(Kind.FILE);
        if (files.isEmpty() || r < 8) {
            m.create(freshPath());
            return;
        }
        String f = files.get(rnd.nextInt(files.size()));
        long size = m.model.entry(f).node().data.length;
        if (r < 28) {
            long pos = rnd.nextLong(size + 2 * BLOCK);
            int len = (int) Math.min(1 + rnd.nextInt(12_000), maxFileBytes - pos);
            if (len > 0) {
                m.write(f, pos, len);
            }
        } else if (r < 31) {
            int len = (256 << 10) + rnd.nextInt(1 << 20);
            long pos = rnd.nextBoolean() ? 0 : rnd.nextLong(size + 1);
            if (pos + len <= maxFileBytes && roomFor(len)) {
                m.write(f, pos, len);
            }
        } else if (r < 37) {
            long to = rnd.nextLong(Math.min(maxFileBytes, size * 3 / 2 + 20_000));
            if (to <= size || roomFor(to - size)) {
                m.truncate(f, to);
            }
        } else if (r < 40) {
            long pos = rnd.nextLong(size + 8 * BLOCK);
            long len = 1 + rnd.nextInt(40 * BLOCK);
            if (pos + len <= maxFileBytes && roomFor(len)) {
                m.allocate(f, pos, len, rnd.nextBoolean());
            }
        } else if (r < 43) {
            m.punchHole(f, rnd.nextLong(size + BLOCK), 1 + rnd.nextInt(30 * BLOCK));
        } else if (r < 46) {
            long pos = rnd.nextLong(size + BLOCK);
            long len = 1 + rnd.nextInt(30 * BLOCK);
            if (pos + len <= maxFileBytes && roomFor(len)) {
                m.zeroRange(f, pos, len, rnd.nextBoolean());
            }
        } else if (r < 48) {
            long blocks = size / BLOCK;
            if (blocks >= 2) {
                long pos = rnd.nextLong(blocks - 1) * BLOCK;
                long len = (1 + rnd.nextLong(Math.max(1, Math.min(16, (size - pos) / BLOCK - 1)))) * BLOCK;
                if (pos + len < size) {
                    m.collapseRange(f, pos, len);
                }
            }
        } else if (r < 50) {
            long blocks = size / BLOCK;
            if (size > 0 && size + 16 * BLOCK <= maxFileBytes && roomFor(16 * BLOCK)) {
                m.insertRange(f, rnd.nextLong(blocks + (size % BLOCK == 0 ? 0 : 1)) * BLOCK, (1 + rnd.nextInt(16)) * BLOCK);
            }
        } else if (r < 56) {
            String to = rnd.nextInt(3) == 0 ? pick(files) : freshPath();
            if (m.model.entry(to).node() != m.model.entry(f).node()) {
                m.rename(f, to);
            }
        } else if (r < 58) {
            String other = pick(files);
            if (m.model.entry(other).node() != m.model.entry(f).node()) {
                m.rename(f, other, RenameOption.EXCHANGE);
            }
        } else if (r < 61) {
            m.link(f, freshPath());
        } else if (r < 66) {
            m.unlink(f);
        } else if (r < 68) {
            m.symlink("/r/" + NAMES[rnd.nextInt(NAMES.length)] + "/" + "t".repeat(rnd.nextInt(200)), freshPath());
        } else if (r < 71) {
            String p = freshPath();
            if (p.chars().filter(c -> c == '/').count() <= 4) {
                m.mkdir(p);
            }
        } else if (r < 73) {
            List<String> dirs = paths(Kind.DIR);
            dirs.remove("/r");
            dirs.removeIf(d -> !m.model.descendants(d).isEmpty());
            if (!dirs.isEmpty()) {
                m.rmdir(pick(dirs));
            }
        } else if (r < 74) {
            List<String> dirs = paths(Kind.DIR);
            dirs.remove("/r");
            if (!dirs.isEmpty()) {
                String d = pick(dirs);
                String to = freshPath();
                if (!to.startsWith(d + "/")) {
                    m.rename(d, to);
                }
            }
        } else if (r < 81) {
            m.fsync(f);
        } else if (r < 84) {
            m.fdatasync(f);
        } else if (r < 86) {
            m.sync();
        } else if (r < 87) {
            m.syncAndCheckpoint();
        } else if (r < 90) {
            if (open.size() < 3) {
                open.add(m.open(f));
                if (rnd.nextBoolean()) {
                    m.unlink(f);
                }
            }
        } else if (r < 95) {
            if (!open.isEmpty()) {
                ModelFs.Handle h = open.get(rnd.nextInt(open.size()));
                int what = rnd.nextInt(4);
                if (what == 0) {
                    open.remove(h);
                    m.close(h);
                } else if (what == 1) {
                    m.onHandle(h, "fsync", m::fsync);
                } else {
                    long hs = h.node.data.length;
                    long pos = rnd.nextLong(hs + BLOCK);
                    m.onHandle(h, "write", x -> m.write(x, pos, 1 + rnd.nextInt(20_000)));
                }
            }
        } else if (r < 97) {
            if (size > 0) {
                m.fillWithMarker(f);
                m.fdatasync(f);
                m.unlink(f);
            }
        } else {
            // a burst of unsynced small changes: a large compound transaction
            for (int i = 0; i < 40; i++) {
                String p = freshPath();
                m.create(p);
                m.write(p, 0, 1 + rnd.nextInt(3000));
            }
        }
    }

    private boolean roomFor(long bytes) {
        long total = 0;
        for (Map.Entry<String, Entry> e : m.model.namespace().entrySet()) {
            if (e.getValue().kind() == Kind.FILE) {
                total += e.getValue().node().data.length;
            }
        }
        for (ModelFs.Handle h : open) {
            total += h.node.data.length;
        }
        return total + bytes <= 4 * maxFileBytes && m.fs.statfs().freeBlocks() * BLOCK > 2 * bytes + (1 << 20);
    }

    /**
     * Sets, replaces or removes an extended attribute of a file, directory or symlink: small
     * values, and now and then one of several blocks, so the chain grows and shrinks.
     */
    private void xattrStep() throws DaxException {
        List<String> targets = paths(Kind.FILE);
        targets.addAll(paths(Kind.DIR));
        List<String> links = paths(Kind.SYMLINK);
        targets.addAll(links);
        String p = pick(targets);
        boolean link = links.contains(p);
        String name = link || rnd.nextInt(4) == 0 ? "trusted.t" + rnd.nextInt(2) : "user." + "abc".charAt(rnd.nextInt(3));
        FsModel.Node n = m.model.entry(p).node();
        if (n.xattrs.containsKey(name) && rnd.nextInt(3) == 0) {
            m.setxattr(p, name, null);
            return;
        }
        byte[] v = new byte[rnd.nextInt(10) == 0 ? 4000 + rnd.nextInt(12_000) : rnd.nextInt(300)];
        rnd.nextBytes(v);
        m.setxattr(p, name, v);
    }

    private String pick(List<String> l) {
        return l.get(rnd.nextInt(l.size()));
    }

    private List<String> paths(Kind kind) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Entry> e : m.model.namespace().entrySet()) {
            if (e.getValue().kind() == kind && e.getKey().startsWith("/r")) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** A name not in use, in a random directory under /r. */
    private String freshPath() {
        List<String> dirs = paths(Kind.DIR);
        for (int tries = 0; ; tries++) {
            String d = dirs.get(rnd.nextInt(dirs.size()));
            String p = FsModel.child(d, NAMES[rnd.nextInt(NAMES.length)] + (tries > 20 ? tries : ""));
            if (m.model.entry(p).kind() == Kind.ABSENT) {
                return p;
            }
        }
    }
}
