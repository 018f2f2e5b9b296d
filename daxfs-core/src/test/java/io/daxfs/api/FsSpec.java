package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Shared fixture of the API specifications: every test gets a freshly formatted 64 MiB
 * in-memory file system ({@link #fs}), unmounted after the test.
 */
abstract class FsSpec {
    static final int BLOCK = 4096;
    /** st_blocks units (512 bytes) per 4 KiB block. */
    static final long SECTORS_PER_BLOCK = BLOCK / 512;

    protected DaxFileSystem fs;

    /** Size of the in-memory device each test gets; override for small-device specs. */
    protected long deviceSize() {
        return 64L << 20;
    }

    @BeforeEach
    final void formatFresh() throws Exception {
        fs = DaxFileSystem.formatMemory(deviceSize());
    }

    @AfterEach
    final void unmount() throws Exception {
        if (fs != null) {
            fs.close();
        }
    }

    /** Asserts that {@code op} throws a DaxException with {@code expected}, and returns it. */
    static DaxException fails(Errno expected, Executable op) {
        DaxException e = assertThrows(DaxException.class, op);
        assertEquals(expected, e.errno(), () -> "wrong errno; message: " + e.getMessage());
        return e;
    }

    /** As {@link #fails(Errno, Executable)}, naming the case in the failure message. */
    static DaxException fails(Errno expected, Executable op, String what) {
        DaxException e = assertThrows(DaxException.class, op, what);
        assertEquals(expected, e.errno(), () -> what + ": wrong errno; message: " + e.getMessage());
        return e;
    }

    /** Deterministic pseudo-random bytes: different seeds give different contents. */
    static byte[] pattern(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** Creates (or replaces the contents of) {@code path} with exactly {@code data}. */
    void writeFile(String path, byte[] data) throws DaxException {
        try (DaxFile f = fs.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            assertEquals(data.length, f.write(0, data, 0, data.length));
        }
    }

    /** The whole contents of {@code path}. */
    byte[] readFile(String path) throws DaxException {
        try (DaxFile f = fs.open(path, StandardOpenOption.READ)) {
            return readAll(f);
        }
    }

    static byte[] readAll(DaxFile f) throws DaxException {
        return read(f, 0, Math.toIntExact(f.size()));
    }

    /** Exactly {@code len} bytes at {@code pos}; fails if the file has fewer. */
    static byte[] read(DaxFile f, long pos, int len) throws DaxException {
        byte[] b = new byte[len];
        int done = 0;
        while (done < len) {
            int n = f.read(pos + done, b, done, len - done);
            if (n <= 0) {
                throw new AssertionError("short read at " + (pos + done) + ": " + n);
            }
            done += n;
        }
        return b;
    }

    static void write(DaxFile f, long pos, byte[] data) throws DaxException {
        assertEquals(data.length, f.write(pos, MemorySegment.ofArray(data)));
    }

    long freeBlocks() {
        return fs.statfs().freeBlocks();
    }

    long freeInodes() {
        return fs.statfs().freeInodes();
    }

    /** Commits and checkpoints, so that every deferred free has been released. */
    void checkpoint() throws DaxException {
        fs.sync();
        Internals.volume(fs).journal().checkpoint();
    }
}
