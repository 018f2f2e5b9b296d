package io.daxfs.fuse;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxInodes;
import io.daxfs.types.Errno;
import io.daxfs.types.DaxException;
import io.daxfs.types.FileStat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel's lookup counts: while the kernel counts an inode number, no new file gets it; the
 * last forget gives it back; a count is never taken for a number that names another inode by now.
 */
class LookupCountsTest {
    DaxFileSystem fs;
    DaxInodes inodes;
    LookupCounts counts;

    @BeforeEach
    void mount() throws Exception {
        fs = DaxFileSystem.formatMemory(32L << 20);
        inodes = fs.inodes();
        counts = new LookupCounts(inodes);
    }

    @AfterEach
    void unmount() throws Exception {
        fs.close();
    }

    private FileStat create(String name) throws DaxException {
        fs.open("/" + name, CREATE_NEW, WRITE).close();
        return fs.stat("/" + name);
    }

    private int serial;
    /** The file that got the number {@link #churnUntil} waited for. */
    private String last;

    /**
     * Creates and deletes files, syncing, until a new file gets number {@code ino} (returned
     * true, and that file is kept as {@link #last}), or {@code max} files have been tried. Freed numbers become reusable when the journal
     * checkpoints, which the syncs bring about; a new file takes the lowest reusable number.
     * Fails if a file gets {@code never} meanwhile.
     */
    private boolean churnUntil(long ino, long never, int max) throws DaxException {
        for (int i = 0; i < max; i++) {
            String name = "churn" + serial++;
            long got = create(name).ino();
            assertNotEquals(never, got, "a new file got a number the kernel still counts");
            if (got == ino) {
                last = name; // kept
                return true;
            }
            fs.unlink("/" + name);
            fs.sync();
        }
        return false;
    }

    @Test
    void withoutACountADeletedFilesNumberGoesToANewFile() throws Exception {
        FileStat a = create("a");
        fs.unlink("/a");
        assertTrue(churnUntil(a.ino(), -1, 5000), "the premise of the other tests: numbers are reused");
    }

    @Test
    void aCountedNumberIsNotReusedAfterItsFileIsDeletedAndTheLastForgetFreesIt() throws Exception {
        FileStat a = create("a");
        FileStat b = create("b");
        assertTrue(counts.take(a));
        assertTrue(counts.take(a));
        assertEquals(2, counts.count(a.ino()));
        fs.unlink("/a");
        fs.unlink("/b");
        assertTrue(churnUntil(b.ino(), a.ino(), 5000), "b's number is reused, a's is not");
        DaxException gone = assertThrows(DaxException.class, () -> inodes.getattr(a.ino()));
        assertEquals(Errno.ENOENT, gone.errno(), "a request through the stale number finds no inode");
        counts.forget(a.ino(), 1);
        assertEquals(1, counts.count(a.ino()));
        counts.forget(a.ino(), 1);
        assertEquals(0, counts.count(a.ino()));
        assertEquals(0, inodes.heldNumbers());
        assertTrue(churnUntil(a.ino(), -1, 5000), "the number is free again after the last forget");
    }

    @Test
    void aNumberReusedBeforeTheCountIsNotCounted() throws Exception {
        FileStat a = create("a");
        fs.unlink("/a");
        assertTrue(churnUntil(a.ino(), -1, 5000));
        FileStat b = fs.stat("/" + last);
        assertEquals(a.ino(), b.ino(), "a new file has a's number");
        assertFalse(counts.take(a), "a reply describing a would reach b");
        assertEquals(0, counts.count(a.ino()));
        assertEquals(0, inodes.heldNumbers());
        assertTrue(counts.take(b));
    }

    @Test
    void aBatchForgetOfMoreThanTheCountAndTheEndOfTheSessionReleaseEverything() throws Exception {
        FileStat a = create("a");
        FileStat b = create("b");
        counts.take(a);
        counts.take(b);
        counts.take(b);
        counts.forget(a.ino(), 5);
        assertEquals(0, counts.count(a.ino()));
        assertEquals(1, inodes.heldNumbers());
        counts.forget(DaxInodes.ROOT, 1); // the root is never counted: nothing to do
        counts.releaseAll();
        assertEquals(0, counts.count(b.ino()));
        assertEquals(0, inodes.heldNumbers());
    }
}
