package io.daxfs.api;

import io.daxfs.types.FileStat;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.MountOptions;
import io.daxfs.types.MountOptions.Atime;
import io.daxfs.types.SetAttr;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Access times: reads, listings, readlink and mmap update atime as the mount says: relatime
 * (the default: when atime is not newer than mtime or ctime, or is a day old), strictatime
 * (always) or noatime (never); a read-only mount never. The update survives a remount.
 */
class AccessTimeSpec {
    static final long DAY = 24L * 3600 * 1_000_000_000L;

    @TempDir
    Path tmp;

    private DaxFileSystem mount(Atime mode) throws Exception {
        Path image = tmp.resolve("img");
        if (!image.toFile().exists()) {
            DaxFileSystem.format(image, 32L << 20, FormatOptions.DEFAULT).close();
        }
        return DaxFileSystem.mount(image, MountOptions.DEFAULT.withAtime(mode));
    }

    private static long atime(DaxFileSystem fs, String path) throws Exception {
        return fs.lstat(path).atimeNs();
    }

    /** Reads after the clock moved on, so that "updated" shows as a later time whatever its resolution. */
    private static void read(DaxFileSystem fs, String path) throws Exception {
        java.time.Instant t = java.time.Instant.now();
        while (java.time.Instant.now().equals(t)) {
            Thread.onSpinWait();
        }
        try (DaxFile f = fs.open(path, READ)) {
            f.read(0, new byte[10], 0, 10);
        }
    }

    private static void makeFile(DaxFileSystem fs, String path) throws Exception {
        try (DaxFile f = fs.open(path, CREATE_NEW, WRITE)) {
            f.write(0, new byte[]{1, 2, 3}, 0, 3);
        }
    }

    @Test
    void relatimeUpdatesOnTheFirstReadAfterAChangeAndThenOnlyOnceADay() throws Exception {
        try (DaxFileSystem fs = mount(Atime.RELATIME)) {
            makeFile(fs, "/f");
            FileStat made = fs.stat("/f");
            read(fs, "/f");
            long first = atime(fs, "/f");
            assertTrue(first > made.mtimeNs(), "the first read after the write updates atime");
            read(fs, "/f");
            assertEquals(first, atime(fs, "/f"), "a second read within a day does not");
            assertEquals(made.mtimeNs(), fs.stat("/f").mtimeNs(), "reads change neither mtime");
            assertEquals(made.ctimeNs(), fs.stat("/f").ctimeNs(), "nor ctime");
            long old = first - 2 * DAY;
            fs.utimes("/f", old, SetAttr.UTIME_OMIT);
            // utimes moved ctime past atime: relatime updates again, as Linux does.
            read(fs, "/f");
            assertTrue(atime(fs, "/f") > first, "updated after utimes");
        }
    }

    @Test
    void strictatimeUpdatesOnEveryReadAndNoatimeNever() throws Exception {
        try (DaxFileSystem fs = mount(Atime.STRICTATIME)) {
            makeFile(fs, "/f");
            read(fs, "/f");
            long a1 = atime(fs, "/f");
            read(fs, "/f");
            assertTrue(atime(fs, "/f") > a1, "strictatime: every read");
        }
        try (DaxFileSystem fs = mount(Atime.NOATIME)) {
            long a = atime(fs, "/f");
            fs.utimes("/f", SetAttr.UTIME_OMIT, SetAttr.UTIME_NOW); // mtime past atime
            long before = atime(fs, "/f");
            read(fs, "/f");
            assertEquals(before, atime(fs, "/f"), "noatime: never");
            assertEquals(a, before);
        }
    }

    @Test
    void listingsReadlinkAndMappingsCountAsAccessesAndTheUpdateIsDurable() throws Exception {
        long dir;
        try (DaxFileSystem fs = mount(Atime.RELATIME)) {
            fs.mkdir("/d");
            makeFile(fs, "/d/f");
            fs.symlink("/d/f", "/l");
            dir = atime(fs, "/d");
            long link = atime(fs, "/l");
            long file = atime(fs, "/d/f");
            read(fs, "/d/f"); // lets the clock move (and updates the file's atime: mmap must update it again)
            file = atime(fs, "/d/f");
            fs.readdir("/d");
            fs.readlink("/l");
            fs.utimes("/d/f", SetAttr.UTIME_OMIT, SetAttr.UTIME_NOW); // mtime past atime, so relatime updates on mmap
            try (DaxFile f = fs.open("/d/f", READ); DaxMapping m = f.map(0, 4096, io.daxfs.types.DaxMapMode.READ_ONLY)) {
                assertEquals(1, m.getByte(0));
            }
            assertTrue(atime(fs, "/d") > dir, "readdir");
            assertTrue(atime(fs, "/l") > link, "readlink");
            assertTrue(atime(fs, "/d/f") > file, "mmap");
            dir = atime(fs, "/d");
        }
        try (DaxFileSystem fs = mount(Atime.NOATIME)) {
            assertEquals(dir, atime(fs, "/d"), "the update is journaled like any metadata change");
        }
    }

    @Test
    void aReadOnlyMountNeverUpdatesAtime() throws Exception {
        try (DaxFileSystem fs = mount(Atime.STRICTATIME)) {
            makeFile(fs, "/f");
        }
        Path image = tmp.resolve("img");
        try (DaxFileSystem fs = DaxFileSystem.mount(image, MountOptions.DEFAULT.withReadOnly(true)
                .withAtime(Atime.STRICTATIME))) {
            long a = atime(fs, "/f");
            read(fs, "/f");
            fs.readdir("/");
            assertEquals(a, atime(fs, "/f"));
        }
    }
}
