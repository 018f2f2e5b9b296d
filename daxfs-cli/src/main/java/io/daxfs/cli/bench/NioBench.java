package io.daxfs.cli.bench;

import io.daxfs.nio.DaxFileSystemProvider;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code java.nio.file} on daxfs (the daxfs provider, on an image in DIR) against the default
 * provider (files in DIR, /dev/shm by default): the same loops on both sides, through
 * {@code Files} only. Phases: create small files ({@code Files.write} of 4 KiB each to names that
 * do not exist; deleted again after each round, untimed), rewrite them ({@code Files.write} over
 * files that exist: truncate, then write), read them back in a scrambled order
 * ({@code Files.readAllBytes}; index by mask), and walk a tree of empty files ({@code Files.walk},
 * counting entries).
 *
 * <p>Each phase runs untimed warm-up rounds first, at least {@link #WARMUP_ROUNDS} and for at
 * least the warm-up time (as JMH's warm-up iterations do), so that both sides are compiled and
 * the memory both touch is mapped; then {@code rounds} timed rounds that alternate which side
 * goes first. A side's figure is the median of its rounds. Two reasons: on this 2-core VM the
 * JIT compiles daxfs's write path for 2 to 3 seconds, during which rounds run 2x to 4x slower
 * (the JDK's side is mostly kernel code), and one timed pass per side swung by up to 3x between
 * runs (a collection or a neighbour's burst landing in it). The spread of the per-round ratios
 * is reported with the median, so a reader sees how steady the run was.
 */
public final class NioBench {
    private NioBench() {
    }

    /** Fewest untimed rounds of each phase before the timed ones (the rewrite phase's first also creates its files). */
    static final int WARMUP_ROUNDS = 3;

    /** What to run: small files to write and read, entries to walk, spread over {@code dirs} directories. */
    public record Options(int files, int walkEntries, int dirs, Path dir, boolean prefault, int rounds, Duration warmup) {
        public Options {
            if (Integer.bitCount(files) != 1) {
                throw new IllegalArgumentException("--files must be a power of two (reads pick files by mask): " + files);
            }
            if (dirs < 1 || walkEntries < 1) {
                throw new IllegalArgumentException("--dirs and --walk must be at least 1");
            }
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds must be at least 1: " + rounds);
            }
            if (warmup.isNegative()) {
                throw new IllegalArgumentException("--warmup must not be negative: " + warmup);
            }
        }
    }

    /**
     * One phase on both sides: operations per round, the median round's nanoseconds of each side,
     * and the lowest and highest ratio of one round's pair (nio nanoseconds over daxfs's).
     */
    public record Result(String phase, long ops, long nioNanos, long daxNanos, double minRatio, double maxRatio) {
        public double nioPerSecond() {
            return ops * 1e9 / nioNanos;
        }

        public double daxPerSecond() {
            return ops * 1e9 / daxNanos;
        }

        public double ratio() {
            return (double) nioNanos / daxNanos;
        }

        /** The result of timed rounds: {@code nio[i]} and {@code dax[i]} ran back to back. */
        static Result of(String phase, long ops, long[] nio, long[] dax) {
            double min = Double.MAX_VALUE;
            double max = 0;
            for (int i = 0; i < nio.length; i++) {
                double r = (double) nio[i] / dax[i];
                min = Math.min(min, r);
                max = Math.max(max, r);
            }
            return new Result(phase, ops, median(nio), median(dax), min, max);
        }

        static long median(long[] nanos) {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
    }

    public static void run(Options o, Consumer<Result> onResult) throws IOException {
        Path nioRoot = Files.createTempDirectory(o.dir(), "daxfs-bench-nio-");
        Path image = o.dir().resolve(nioRoot.getFileName() + ".img");
        long size = Math.max(256L << 20, (long) o.files() * 8192 + (long) o.walkEntries() * 1024 + (64L << 20));
        long inodes = ((o.files() + (long) o.walkEntries() + 2L * o.dirs() + 64) + 15) / 16 * 16;
        try (FileSystem dax = FileSystems.newFileSystem(DaxFileSystemProvider.uriOf(image),
                Map.of("create", "true", "size", size, "inodes", inodes, "prefault", o.prefault()))) {
            Path daxRoot = dax.getPath("/bench");
            Files.createDirectory(daxRoot);
            byte[] data = new byte[4096];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31);
            }
            List<Path> nioFiles = layout(nioRoot.resolve("small"), o.files(), o.dirs());
            List<Path> daxFiles = layout(daxRoot.resolve("small"), o.files(), o.dirs());
            onResult.accept(phase("create 4K", o.files(), o, () -> writeAll(nioFiles, data), () -> writeAll(daxFiles, data),
                    () -> deleteAll(nioFiles), () -> deleteAll(daxFiles)));
            onResult.accept(phase("rewrite 4K", o.files(), o,
                    () -> writeAll(nioFiles, data), () -> writeAll(daxFiles, data)));
            onResult.accept(phase("read 4K", o.files(), o, () -> readAll(nioFiles), () -> readAll(daxFiles)));
            List<Path> nioTree = layout(nioRoot.resolve("tree"), o.walkEntries(), o.dirs());
            List<Path> daxTree = layout(daxRoot.resolve("tree"), o.walkEntries(), o.dirs());
            for (int i = 0; i < nioTree.size(); i++) {
                Files.createFile(nioTree.get(i));
                Files.createFile(daxTree.get(i));
            }
            onResult.accept(phase("walk", o.walkEntries() + o.dirs() + 1L, o,
                    () -> walk(nioRoot.resolve("tree")), () -> walk(daxRoot.resolve("tree"))));
        } finally {
            try (Stream<Path> s = Files.walk(nioRoot)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            Files.deleteIfExists(image);
        }
    }

    private interface Round {
        void run() throws IOException;
    }

    private static Result phase(String name, long ops, Options o, Round nio, Round dax) throws IOException {
        Round nothing = () -> {
        };
        return phase(name, ops, o, nio, dax, nothing, nothing);
    }

    /**
     * Warm-up rounds, then {@code rounds} timed pairs; even pairs time nio first, odd ones daxfs.
     * {@code nioAfter} and {@code daxAfter} run untimed after each round of their side (to undo
     * what it made).
     */
    private static Result phase(String name, long ops, Options o, Round nio, Round dax, Round nioAfter, Round daxAfter)
            throws IOException {
        long warmupEnd = System.nanoTime() + o.warmup().toNanos();
        for (int i = 0; i < WARMUP_ROUNDS || System.nanoTime() - warmupEnd < 0; i++) {
            nio.run();
            nioAfter.run();
            dax.run();
            daxAfter.run();
        }
        int rounds = o.rounds();
        long[] n = new long[rounds];
        long[] d = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                n[i] = time(nio);
                nioAfter.run();
                d[i] = time(dax);
                daxAfter.run();
            } else {
                d[i] = time(dax);
                daxAfter.run();
                n[i] = time(nio);
                nioAfter.run();
            }
        }
        return Result.of(name, ops, n, d);
    }

    private static long time(Round r) throws IOException {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }

    /** {@code count} file paths spread over {@code dirs} directories under {@code root} (made here). */
    private static List<Path> layout(Path root, int count, int dirs) throws IOException {
        List<Path> dirPaths = new ArrayList<>();
        for (int d = 0; d < dirs; d++) {
            dirPaths.add(Files.createDirectories(root.resolve("d" + d)));
        }
        List<Path> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(dirPaths.get(i % dirs).resolve("f" + i));
        }
        return out;
    }

    private static void writeAll(List<Path> files, byte[] data) throws IOException {
        for (Path p : files) {
            Files.write(p, data);
        }
    }

    private static void deleteAll(List<Path> files) throws IOException {
        for (Path p : files) {
            Files.delete(p);
        }
    }

    /** Reads every file once, in the order i * 7919 (an odd stride) masked to the count. */
    private static void readAll(List<Path> files) throws IOException {
        int mask = files.size() - 1;
        long sum = 0;
        for (int i = 0; i < files.size(); i++) {
            sum += Files.readAllBytes(files.get((i * 7919) & mask)).length;
        }
        if (sum != (long) files.size() * 4096) {
            throw new IOException("read " + sum + " bytes, not " + (long) files.size() * 4096);
        }
    }

    private static void walk(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            if (s.count() < 1) {
                throw new IOException("empty walk");
            }
        }
    }
}
