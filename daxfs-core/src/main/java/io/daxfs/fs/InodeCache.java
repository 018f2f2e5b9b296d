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
 * Loaded inodes by number. While an inode is cached its object is the authoritative copy, and
 * there is exactly one object per inode number, so all locks on a file are taken on that object.
 *
 * <p><b>Eviction.</b> The {@link Evictor} drops clean, unused inodes when the cache outgrows its
 * budget; a later lookup loads the inode again from the device, where a clean inode's state is
 * (its last change is committed and copied home). An object must never be dropped while an
 * operation still uses it, or two objects for one inode would exist. So: operations use inode
 * objects only inside an operation bracket ({@link Operations}, entered by
 * {@link Volume#guarded} and {@link Volume#onDevice}) or while holding an open handle (which
 * makes the inode unevictable); the evictor marks an object {@link Inode#EVICTING}, waits for a
 * grace period (every operation that could have found the object before the mark has ended),
 * checks it is still clean and unused, and drops it, unless a lookup took it back meanwhile
 * ({@link Inode#touch}). Lookups never wait for the evictor.
 *
 * <p><b>Tombstones.</b> A freed inode's number stays marked until its free is checkpointed: until
 * then the home location may still hold the old record, and loading it would bring the file back.
 * The mark is a small token in a map of its own, not the freed object, so that a workload that
 * creates and deletes many files keeps only their numbers until the next checkpoint, not their
 * locks and maps ({@link #bury}).
 */
final class InodeCache {
    private final Geometry geometry;
    private final LongFunction<MemorySegment> reader;
    private final ConcurrentHashMap<Long, Inode> map = new ConcurrentHashMap<>();
    /** Numbers freed by this mount and not yet checkpointed, each with the token of its free. */
    private final ConcurrentHashMap<Long, Object> tombstones = new ConcurrentHashMap<>();

    InodeCache(Geometry geometry, LongFunction<MemorySegment> reader) {
        this.geometry = geometry;
        this.reader = reader;
    }

    /** Reads metadata blocks as the file system sees them (home locations, or a replay overlay). */
    LongFunction<MemorySegment> reader() {
        return reader;
    }

    /** Called with each inode loaded into the cache (the evictor counts them). */
    private volatile Runnable onLoad = () -> { };

    void onLoad(Runnable r) {
        onLoad = r;
    }

    /** The cached object for {@code ino}, taken back from an eviction in progress; null when not cached. */
    private Inode cached(long ino) {
        for (;;) {
            Inode in = map.get(ino);
            if (in == null || in.touch()) {
                return in;
            }
            map.remove(ino, in); // dropped by the evictor, which removes it too: help it along
        }
    }

    /** Caches {@code loaded} unless another thread cached {@code ino} first; returns the one cached. */
    private Inode install(long ino, Inode loaded) {
        for (;;) {
            Inode raced = map.putIfAbsent(ino, loaded);
            if (raced == null) {
                onLoad.run();
                return loaded;
            }
            if (raced.touch()) {
                return raced;
            }
            map.remove(ino, raced);
        }
    }

    /** The inode {@code ino}, loading it if needed. EUCLEAN for a damaged or free record. */
    Inode get(long ino) throws DaxException {
        Inode in = cached(ino);
        if (in == null) {
            if (tombstones.containsKey(ino)) {
                throw deleted(ino);
            }
            in = install(ino, load(ino));
        }
        if (in.freed) {
            throw deleted(ino);
        }
        return in;
    }

    /** A racing lookup found a name that was just removed, and its inode freed. */
    private static DaxException deleted(long ino) {
        return new DaxException(Errno.ENOENT, "inode " + ino + " was deleted");
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
        Inode in = cached(ino);
        if (in == null) {
            if (tombstones.containsKey(ino)) {
                throw new DaxException(Errno.ENOENT, "inode " + ino + ": no such inode");
            }
            Inode loaded = load(ino, true);
            if (loaded == null) {
                throw new DaxException(Errno.ENOENT, "inode " + ino + ": no such inode");
            }
            in = install(ino, loaded);
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
            return; // freed by this mount, its object not yet buried
        }
        if (tombstones.containsKey(ino)) {
            return;
        }
        MemorySegment blk = reader.apply(geometry.inodeBlock(ino));
        if (!InodeRecord.decode(blk, (ino % InodeRecord.PER_BLOCK) * InodeRecord.SIZE, ino).isFree()) {
            throw new DaxException(Errno.EUCLEAN, "inode bitmap: inode " + ino + " is marked free but its record is in use");
        }
    }

    /**
     * Adds a newly created inode, replacing the tombstone of a freed inode with the same number
     * (cached first, tombstone dropped second: a lookup in between finds one or the other, never
     * neither, so it never loads the old record from home).
     */
    void put(Inode in) {
        map.compute(in.ino, (k, old) -> {
            if (old != null && !old.freed) {
                throw new IllegalStateException("inode " + in.ino + " is already cached");
            }
            return in;
        });
        tombstones.remove(in.ino);
    }

    /**
     * Replaces the object of an inode just freed ({@link Inode#freed} set) by a tombstone, and
     * answers the action that drops the tombstone, to run once the free is checkpointed. The
     * tombstone goes in before the object goes out, for the reason {@link #put} gives (RACES.md
     * R32). Objects that operations still hold keep working: they see {@code freed}. The token
     * makes the drop a no-op when the number was reused (and maybe freed again) meanwhile.
     */
    Runnable bury(Inode in, FsHooks hooks) {
        long ino = in.ino;
        Object token = new Object();
        tombstones.put(ino, token);
        hooks.inodeBurying(ino);
        map.remove(ino, in);
        return () -> tombstones.remove(ino, token);
    }

    /** The cached objects, for the evictor's scans (weakly consistent, no lock). */
    Iterable<Inode> loaded() {
        return map.values();
    }

    int size() {
        return map.size();
    }

    /** Removes an object the evictor dropped ({@link Inode#drop} succeeded). */
    void remove(Inode in) {
        map.remove(in.ino, in);
    }
}
