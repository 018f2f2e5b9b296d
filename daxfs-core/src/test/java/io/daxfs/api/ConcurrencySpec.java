package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Every method is thread-safe": concurrent namespace changes and I/O end in the state some
 * serial order would give, and opposite renames do not deadlock. Small and quick; the timeouts
 * only catch hangs.
 */
class ConcurrencySpec extends FsSpec {
    static final int THREADS = 4;

    /** Runs {@code task(i)} on THREADS threads started together; rethrows the first failure. */
    void inParallel(ThreadTask task) throws Exception {
        assertTimeoutPreemptively(Duration.ofMinutes(1), () -> {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CyclicBarrier start = new CyclicBarrier(THREADS);
                List<Future<Void>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int id = t;
                    futures.add(pool.submit((Callable<Void>) () -> {
                        start.await();
                        task.run(id);
                        return null;
                    }));
                }
                for (Future<Void> f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
        });
    }

    @FunctionalInterface
    interface ThreadTask {
        void run(int thread) throws Exception;
    }

    @Test
    void createsAndUnlinksInOneDirectory() throws Exception {
        fs.mkdir("/d");
        long inodes = freeInodes();
        inParallel(t -> {
            for (int i = 0; i < 400; i++) {
                fs.open("/d/t" + t + "-" + i, CREATE_NEW, WRITE).close();
                if (i % 2 == 1) {
                    fs.unlink("/d/t" + t + "-" + (i - 1));
                }
            }
        });
        Set<String> expect = new HashSet<>();
        for (int t = 0; t < THREADS; t++) {
            for (int i = 1; i < 400; i += 2) {
                expect.add("t" + t + "-" + i);
            }
        }
        Set<String> got = new HashSet<>();
        fs.readdir("/d").forEach(e -> got.add(e.name()));
        assertEquals(expect, got);
        assertEquals(inodes - expect.size(), freeInodes());
    }

    @Test
    void racingCreatorsOfOneNameGetExactlyOneWinner() throws Exception {
        ConcurrentHashMap<String, Integer> winners = new ConcurrentHashMap<>();
        inParallel(t -> {
            for (int i = 0; i < 200; i++) {
                try {
                    fs.open("/n" + i, CREATE_NEW, WRITE).close();
                    assertEquals(null, winners.put("/n" + i, t), "two winners for /n" + i);
                } catch (DaxException e) {
                    assertEquals(Errno.EEXIST, e.errno());
                }
                try {
                    fs.mkdir("/m" + i);
                    assertEquals(null, winners.put("/m" + i, t));
                } catch (DaxException e) {
                    assertEquals(Errno.EEXIST, e.errno());
                }
            }
        });
        assertEquals(400, winners.size());
        assertEquals(400, fs.readdir("/").size());
        assertEquals(2 + 200, fs.stat("/").nlink());
    }

    @Test
    void oppositeRenamesBetweenTwoDirectoriesDoNotDeadlock() throws Exception {
        fs.mkdir("/a");
        fs.mkdir("/b");
        fs.mkdir("/a/sub");
        fs.mkdir("/b/sub");
        for (int t = 0; t < THREADS; t++) {
            fs.open("/" + (t % 2 == 0 ? "a" : "b") + "/f" + t, CREATE_NEW, WRITE).close();
        }
        inParallel(t -> {
            String here = t % 2 == 0 ? "/a" : "/b";
            String there = t % 2 == 0 ? "/b" : "/a";
            for (int i = 0; i < 300; i++) {
                fs.rename(here + "/f" + t, there + "/f" + t);
                fs.rename(there + "/f" + t, here + "/f" + t);
                // Directories moving between a parent and a child of the other parent.
                if (t < 2) {
                    String d = t == 0 ? "/a/sub/x0" : "/b/sub/x1";
                    String e = t == 0 ? "/b/x0" : "/a/x1";
                    if (i == 0) {
                        fs.mkdir(d);
                    }
                    fs.rename(d, e);
                    fs.rename(e, d);
                }
            }
        });
        assertEquals(Set.of("f0", "f2", "sub"), names("/a"));
        assertEquals(Set.of("f1", "f3", "sub"), names("/b"));
        assertEquals(3, fs.stat("/a/sub").nlink());
        assertEquals(3, fs.stat("/b/sub").nlink());
        assertEquals(3, fs.stat("/a").nlink());
        assertEquals(3, fs.stat("/b").nlink());
    }

    Set<String> names(String dir) throws DaxException {
        Set<String> out = new HashSet<>();
        fs.readdir(dir).forEach(e -> out.add(e.name()));
        return out;
    }

    @Test
    void writersOfDistinctFilesAndReadersOfAStableOneDoNotInterfere() throws Exception {
        byte[] stable = pattern(1 << 20, 77);
        writeFile("/stable", stable);
        inParallel(t -> {
            if (t % 2 == 0) {
                try (DaxFile f = fs.open("/w" + t, CREATE, READ, WRITE)) {
                    for (int i = 0; i < 64; i++) {
                        write(f, (long) i * 8192 + t, pattern(8192, t * 1000 + i));
                    }
                    f.punchHole(0, 8 * 8192);
                    f.fsync();
                }
            } else {
                try (DaxFile f = fs.open("/stable")) {
                    SplittableRandom r = new SplittableRandom(t);
                    for (int i = 0; i < 200; i++) {
                        int pos = r.nextInt(stable.length - 10_000);
                        byte[] got = read(f, pos, 10_000);
                        assertArrayEquals(java.util.Arrays.copyOfRange(stable, pos, pos + 10_000), got);
                    }
                }
            }
        });
        for (int t = 0; t < THREADS; t += 2) {
            try (DaxFile f = fs.open("/w" + t)) {
                assertEquals(64L * 8192 + t, f.size());
                for (int i = 8; i < 64; i++) {
                    assertArrayEquals(pattern(8192, t * 1000 + i), read(f, (long) i * 8192 + t, 8192), "w" + t + " #" + i);
                }
            }
        }
    }

    @Test
    void concurrentAppendsToOneFileAllLandWhole() throws Exception {
        AtomicBoolean failed = new AtomicBoolean();
        inParallel(t -> {
            try (DaxFile f = fs.open("/log", CREATE, java.nio.file.StandardOpenOption.APPEND)) {
                for (int i = 0; i < 200; i++) {
                    byte[] rec = utf8(String.format("thread %d record %04d\n", t, i));
                    if (f.write(0, rec, 0, rec.length) != rec.length) {
                        failed.set(true);
                    }
                }
            }
        });
        assertTrue(!failed.get());
        String log = new String(readFile("/log"), java.nio.charset.StandardCharsets.UTF_8);
        String[] lines = log.split("\n");
        assertEquals(THREADS * 200, lines.length);
        Set<String> unique = new HashSet<>(List.of(lines));
        assertEquals(THREADS * 200, unique.size(), "no record torn or overwritten");
        for (String line : lines) {
            assertTrue(line.matches("thread \\d record \\d{4}"), line);
        }
    }
}
