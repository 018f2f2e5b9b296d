package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxInodes;
import io.daxfs.api.Internals;
import io.daxfs.types.Errno;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static io.daxfs.api.DaxInodes.ROOT;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Deferred frees: an inode number freed by a transaction is handed out again only once that
 * transaction is checkpointed (until then a replay of the journal may bring back metadata that
 * points to it), and a freed number keeps answering ENOENT on either side of that checkpoint.
 * The API has no call for a checkpoint (unmount takes one, and so do a journal past half full
 * and an allocation that would otherwise fail), so these tests take it through the internals
 * ({@link VolumeFixture#checkpoint()}). Free-space counts need no checkpoint: statfs counts a
 * freed block or inode as free at once, which the API specifications check.
 */
class DeferredFreeTest extends VolumeFixture {
    /** By inode number: a freed number after a checkpoint, and its reuse. */
    @Nested
    class Inodes {
        static final int UID = 1234;
        static final int GID = 5678;

        DaxInodes in;

        @BeforeEach
        void inodes() {
            in = fs.inodes();
        }

        @Test
        void aFreedNumberIsENOENTEvenAfterACheckpoint() throws Exception {
            long f = in.mknod(ROOT, "f", 0644, UID, GID).ino();
            long d = in.mkdir(ROOT, "d", 0755, UID, GID).ino();
            in.unlink(ROOT, "f");
            in.rmdir(ROOT, "d");
            fails(Errno.ENOENT, () -> in.getattr(f), "freed file, tombstone");
            fails(Errno.ENOENT, () -> in.getattr(d), "freed directory, tombstone");
            checkpoint(); // tombstones dropped: the numbers are now read from zeroed records
            fails(Errno.ENOENT, () -> in.getattr(f), "freed file, free record");
            fails(Errno.ENOENT, () -> in.getattr(d), "freed directory, free record");
            fails(Errno.ENOENT, () -> in.open(f, READ));
            fails(Errno.ENOENT, () -> in.lookup(d, "."));
        }

        @Test
        void generationIsTheInodesAndChangesWhenANumberIsReused() throws Exception {
            long f = in.mknod(ROOT, "f", 0644, UID, GID).ino();
            int g1 = in.generation(f);
            assertEquals(g1, in.generation(f), "stable");
            in.unlink(ROOT, "f");
            checkpoint();
            // Creating until the number comes back (the allocator may hand out others first).
            long reused = -1;
            for (int i = 0; i < 64 && reused != f; i++) {
                Thread.sleep(0, 1000);
                reused = in.mknod(ROOT, "g" + i, 0644, UID, GID).ino();
            }
            assertEquals(f, reused, "the freed number is reused");
            assertNotEquals(g1, in.generation(f));
        }
    }

    /**
     * Until the checkpoint only a deleted file's number is kept, not its object (locks, maps,
     * dirty-data bookkeeping): a loop that writes and deletes small files must not hold every one
     * of them until the journal next fills. The file is written (so the dirty-data tracker knows
     * it) and its deletion committed, not checkpointed and not synced (a sync would empty the
     * tracker).
     */
    @Test
    void aDeletedFilesObjectIsCollectableBeforeTheCheckpoint() throws Exception {
        WeakReference<Inode> object = writtenFile("/f");
        long ino = object.get().ino;
        fs.unlink("/f");
        Internals.volume(fs).journal().commit();
        for (int i = 0; i < 20 && object.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(object.get(), "the deleted file's object is still reachable");
        fails(Errno.ENOENT, () -> fs.inodes().getattr(ino), "the tombstone still answers for the number");
    }

    /**
     * RACES.md R32: a lookup by number between the two steps of a free's burial (tombstone in,
     * object out) finds the tombstone or the freed object, never the home record, which still
     * says the inode is in use until the free is committed and checkpointed.
     */
    @Test
    void r32_aLookupByNumberWhileTheFreeBuriesTheInodeIsENOENT() throws Exception {
        DaxInodes inodes = fs.inodes();
        long f = inodes.mknod(ROOT, "f", 0644, 1234, 5678).ino();
        Volume v = Internals.volume(fs);
        v.journal().commit(); // the home record now says "in use", and stays so until the free commits
        CountDownLatch burying = new CountDownLatch(1);
        CountDownLatch looked = new CountDownLatch(1);
        v.hooks(new FsHooks() {
            @Override
            public void inodeBurying(long ino) {
                if (ino == f) {
                    burying.countDown();
                    try {
                        looked.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread unlinker = new Thread(() -> {
            try {
                inodes.unlink(ROOT, "f");
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        unlinker.start();
        burying.await(); // the free has put the tombstone in and not yet taken the object out
        try {
            fails(Errno.ENOENT, () -> inodes.getattr(f), "lookup by number during the burial");
        } finally {
            looked.countDown();
            unlinker.join();
            v.hooks(FsHooks.NONE);
        }
        assertNull(failure.get(), () -> "the unlink failed: " + failure.get());
        fails(Errno.ENOENT, () -> inodes.getattr(f), "after the burial");
    }

    /** Writes 4 KiB to a new file and answers its object, held weakly (no frame of the test keeps it). */
    private WeakReference<Inode> writtenFile(String path) throws Exception {
        try (DaxFile f = fs.open(path, CREATE_NEW, WRITE)) {
            f.write(0, ByteBuffer.wrap(new byte[4096]));
        }
        return new WeakReference<>(Internals.volume(fs).lookup.resolve(path, true));
    }
}
