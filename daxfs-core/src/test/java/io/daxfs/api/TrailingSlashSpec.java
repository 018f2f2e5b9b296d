package io.daxfs.api;

import io.daxfs.types.Errno;
import io.daxfs.types.FileType;

import org.junit.jupiter.api.Test;

import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A trailing slash says "this is a directory", as POSIX path resolution has it. */
class TrailingSlashSpec extends FsSpec {
    @Test
    void aFileNamedWithATrailingSlashIsNotADirectory() throws Exception {
        fs.open("/f", StandardOpenOption.CREATE, StandardOpenOption.WRITE).close();
        fails(Errno.ENOTDIR, () -> fs.stat("/f/"));
        fails(Errno.ENOTDIR, () -> fs.open("/f/"));
        fails(Errno.ENOTDIR, () -> fs.unlink("/f/"));
        fails(Errno.ENOTDIR, () -> fs.rename("/f/", "/g"));
        fails(Errno.ENOTDIR, () -> fs.rename("/f", "/g/"));
        assertTrue(fs.exists("/f"));
        assertFalse(fs.exists("/f/"));
    }

    @Test
    void creatingAFileWithATrailingSlashIsEISDIR() throws Exception {
        fails(Errno.EISDIR, () -> fs.open("/new/", StandardOpenOption.CREATE, StandardOpenOption.WRITE));
        assertFalse(fs.exists("/new"));
    }

    @Test
    void directoriesAcceptTrailingSlashes() throws Exception {
        fs.mkdir("/d/");
        assertEquals(FileType.DIRECTORY, fs.stat("/d/").type());
        fs.rename("/d/", "/e/");
        fails(Errno.EISDIR, () -> fs.open("/e/"));
        fs.rmdir("/e/");
        assertFalse(fs.exists("/e"));
    }

    @Test
    void existsIsFalseForPathsThroughFilesAndLoops() throws Exception {
        fs.open("/f", StandardOpenOption.CREATE, StandardOpenOption.WRITE).close();
        fs.symlink("/loop", "/loop");
        assertFalse(fs.exists("/f/x"));
        assertFalse(fs.exists("/loop/x"));
        assertTrue(fs.exists("/loop"));
    }
}
