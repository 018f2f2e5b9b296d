package io.daxfs.fs;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;

import java.lang.foreign.MemorySegment;
import java.util.function.LongFunction;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loaded inodes by number. An inode is read from the device once and then stays here, as the
 * authoritative copy, until it is freed; so there is exactly one Inode object per live inode
 * and all locks on a file are taken on that object.
 */
final class InodeCache {
    private final Geometry geometry;
    private final LongFunction<MemorySegment> reader;
    private final ConcurrentHashMap<Long, Inode> map = new ConcurrentHashMap<>();

    InodeCache(Geometry geometry, LongFunction<MemorySegment> reader) {
        this.geometry = geometry;
        this.reader = reader;
    }

    /** Reads metadata blocks as the file system sees them (home locations, or a replay overlay). */
    LongFunction<MemorySegment> reader() {
        return reader;
    }

    /** The inode {@code ino}, loading it if needed. EUCLEAN for a damaged or free record. */
    Inode get(long ino) throws DaxException {
        Inode in = map.get(ino);
        if (in == null) {
            Inode loaded = load(ino);
            Inode raced = map.putIfAbsent(ino, loaded);
            in = raced != null ? raced : loaded;
        }
        if (in.freed) {
            // A tombstone: a racing lookup found a name that was just removed.
            throw new DaxException(Errno.ENOENT, "inode " + ino + " was deleted");
        }
        return in;
    }

    /**
     * The live inode {@code ino}, for callers that name inodes by number (the inode API): ENOENT
     * for a number out of range, never allocated, or freed (a tombstone or a free record).
     * Unlike {@link #get} it never treats a free record as damage, and never caches one.
     */
    Inode getLive(long ino) throws DaxException {
        if (ino < 1 || ino >= geometry.inodeCount()) {
            throw new DaxException(Errno.ENOENT, "inode " + ino + ": no such inode");
        }
        Inode in = map.get(ino);
        if (in == null) {
            Inode loaded = load(ino, true);
            if (loaded == null) {
                throw new DaxException(Errno.ENOENT, "inode " + ino + ": no such inode");
            }
            Inode raced = map.putIfAbsent(ino, loaded);
            in = raced != null ? raced : loaded;
        }
        if (in.freed || in.reaping) {
            throw new DaxException(Errno.ENOENT, "inode " + ino + ": no such inode");
        }
        return in;
    }

    private Inode load(long ino) throws DaxException {
        return load(ino, false);
    }

    /** Loads {@code ino} from its record; a free record is null when {@code freeIsNull}, else EUCLEAN. */
    private Inode load(long ino, boolean freeIsNull) throws DaxException {
        if (ino < 1 || ino >= geometry.inodeCount()) {
            throw new DaxException(Errno.EUCLEAN, "inode number " + ino + " out of range");
        }
        MemorySegment blk = reader.apply(geometry.inodeBlock(ino));
        InodeRecord r = InodeRecord.decode(blk, (ino % InodeRecord.PER_BLOCK) * InodeRecord.SIZE, ino);
        if (r.isFree()) {
            if (freeIsNull) {
                return null;
            }
            throw new DaxException(Errno.EUCLEAN, "inode " + ino + " is referenced but free");
        }
        Inode in = Inode.fromRecord(ino, geometry, r, reader);
        if (in.isSymlink() && in.target == null) {
            var e = in.extents.find(0);
            if (e == null || in.size <= InodeRecord.INLINE_BYTES || in.size > Geometry.BLOCK_SIZE - BlockHeader.SIZE) {
                throw new DaxException(Errno.EUCLEAN, "symlink " + ino + ": target block missing or size " + in.size + " impossible");
            }
            MemorySegment t = reader.apply(e.physical());
            BlockHeader.verify(t, BlockHeader.SYMLINK, "symlink " + ino + " target block");
            if (BlockHeader.a(t) != ino || BlockHeader.b(t) != in.size) {
                throw new DaxException(Errno.EUCLEAN, "symlink " + ino + ": target block belongs elsewhere");
            }
            in.target = t.asSlice(BlockHeader.SIZE, in.size).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
        return in;
    }

    /**
     * Checks that a number the inode bitmap just handed out is really unused: neither a live
     * cached inode nor (when not cached) a record in use at home. EUCLEAN when the bitmap was
     * damaged, instead of a new inode overwriting a live one.
     */
    void checkUnused(long ino) throws DaxException {
        Inode cached = map.get(ino);
        if (cached != null) {
            if (!cached.freed) {
                throw new DaxException(Errno.EUCLEAN, "inode bitmap: inode " + ino + " is marked free but is in use");
            }
            return; // a tombstone: freed by this mount
        }
        MemorySegment blk = reader.apply(geometry.inodeBlock(ino));
        if (!InodeRecord.decode(blk, (ino % InodeRecord.PER_BLOCK) * InodeRecord.SIZE, ino).isFree()) {
            throw new DaxException(Errno.EUCLEAN, "inode bitmap: inode " + ino + " is marked free but its record is in use");
        }
    }

    /**
     * Adds a newly created inode, replacing the tombstone of a freed inode with the same number.
     * Freed inodes stay as tombstones until their zeroed record is checkpointed: until then the
     * home location may still hold the old record, and loading it would resurrect the file.
     */
    void put(Inode in) {
        map.compute(in.ino, (k, old) -> {
            if (old != null && !old.freed) {
                throw new IllegalStateException("inode " + in.ino + " is already cached");
            }
            return in;
        });
    }

    /** Drops a tombstone (once its free is checkpointed). */
    void removeTombstone(Inode in) {
        map.remove(in.ino, in);
    }

    Iterable<Inode> loaded() {
        return map.values();
    }
}
