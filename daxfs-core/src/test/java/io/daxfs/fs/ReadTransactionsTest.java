package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FormatOptions;
import org.junit.jupiter.api.Test;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Reads change metadata too (relatime's atime updates) and open no journal handle: reading
 * thousands of freshly written files must still never build a transaction larger than the
 * journal's ring (found by `daxfs bench nio`: the next change failed with EIO and the volume
 * went read-only).
 */
class ReadTransactionsTest {
    @Test
    void readingManyFreshFilesKeepsEveryTransactionWithinTheRing() throws Exception {
        // 64 MiB: a ring of 256 blocks; 6,000 inodes' atimes are 375 inode-table blocks.
        try (DaxFileSystem fs = DaxFileSystem.formatMemory(64L << 20, FormatOptions.DEFAULT.withInodes(8192))) {
            byte[] data = new byte[100];
            for (int i = 0; i < 6000; i++) {
                try (DaxFile f = fs.open("/f" + i, CREATE_NEW, WRITE)) {
                    f.write(0, data, 0, data.length);
                }
            }
            fs.sync();
            byte[] back = new byte[100];
            for (int i = 0; i < 6000; i++) {
                try (DaxFile f = fs.open("/f" + i)) {
                    assertEquals(100, f.read(0, back, 0, back.length));
                }
            }
            fs.mkdir("/after"); // opens a handle: commits what the reads left, which must fit
            fs.sync();
            assertFalse(fs.isReadOnly());
        }
    }
}
