package io.daxfs.fs;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.Internals;
import io.daxfs.device.MemoryDevice;
import io.daxfs.journal.Journal;
import io.daxfs.types.DaxException;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.MountOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the running transaction is committed for its size (no fsync, no timer): past a quarter
 * of the journal's ring, counting each block its sources write once (16 inode records share an
 * inode-table block), or past {@link Journal#MAX_SOURCES} dirty sources, whichever comes first.
 */
class TransactionLimitsTest {
    private DaxFileSystem fs;

    @AfterEach
    void close() throws DaxException {
        if (fs != null) {
            fs.close();
        }
    }

    private void mount(long deviceBytes, long journalBytes) throws DaxException {
        MemoryDevice device = MemoryDevice.allocate(deviceBytes);
        VolumeFormatter.format(device, FormatOptions.DEFAULT.withJournalSize(journalBytes));
        fs = Internals.mount(device, MountOptions.DEFAULT.withCommitIntervalMs(0));
    }

    private long commits() {
        return Internals.volume(fs).journal().commitCount();
    }

    private void createFiles(String dir, int count) throws DaxException {
        fs.mkdir(dir);
        for (int i = 0; i < count; i++) {
            fs.open(dir + "/f" + i, CREATE, WRITE).close();
        }
    }

    @Test
    void inodeRecordsSharingATableBlockCountOnceTowardsTheRing() throws DaxException {
        mount(64L << 20, 1L << 20); // a ring of 256 blocks: a quarter is 64
        // 240 new inodes write 15 inode-table blocks, with a few directory and bitmap blocks:
        // well under 64. Counted per inode, they were 240 and committed three times on the way.
        createFiles("/d", 240);
        assertEquals(0, commits(), "commits while creating 240 empty files");
        fs.sync();
        assertEquals(1, commits());
    }

    @Test
    void aTransactionOfManySmallSourcesCommitsAtTheSourceLimit() throws DaxException {
        mount(64L << 20, 16L << 20); // a ring of 4,096 blocks: 1,536 files write about 150
        createFiles("/d", 3 * Journal.MAX_SOURCES);
        long commits = commits();
        assertTrue(commits >= 2 && commits <= 3, "commits while creating " + 3 * Journal.MAX_SOURCES
                + " empty files (each one dirty inode more): " + commits);
    }
}
