package io.daxfs.cli.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one workload against one file for a fixed time on N threads and reports the bytes moved
 * per second. Every thread has its own buffer and random stream, and sequential threads start
 * at evenly spaced offsets, so threads do not share anything but the file.
 */
final class ThroughputMeter {
    private ThroughputMeter() {
    }

    /** Bytes per second, summed over the threads. */
    static double measure(BenchFile file, Workload w, long fileSize, int threads, Duration duration) throws IOException {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Double>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int i = 0; i < threads; i++) {
                int thread = i;
                results.add(pool.submit(() -> run(file, w, fileSize, thread, threads, duration, go)));
            }
            go.countDown();
            double total = 0;
            for (Future<Double> f : results) {
                total += f.get();
            }
            return total;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static double run(BenchFile file, Workload w, long fileSize, int thread, int threads, Duration duration,
                              CountDownLatch go) throws IOException, InterruptedException {
        int bs = w.blockSize();
        long blocks = fileSize / bs;
        // A clock read costs a noticeable share of a 4 KiB copy, so the clock is read once per 64 KiB moved.
        int opsPerClockRead = Math.max(1, 65536 / bs);
        SplittableRandom random = new SplittableRandom(0x9E3779B97F4A7C15L * (thread + 1));
        long next = blocks * thread / threads;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(bs, 4096);
            for (long off = 0; off < bs; off += 8) {
                segment.set(ValueLayout.JAVA_LONG_UNALIGNED, off, random.nextLong());
            }
            BenchFile.Buffer buf = BenchFile.Buffer.of(segment);
            go.await();
            long start = System.nanoTime();
            long deadline = start + duration.toNanos();
            long ops = 0;
            long now;
            do {
                for (int k = 0; k < opsPerClockRead; k++) {
                    long block;
                    if (w.random()) {
                        block = random.nextLong(blocks);
                    } else {
                        block = next;
                        next = next + 1 == blocks ? 0 : next + 1;
                    }
                    if (w.write()) {
                        file.write(block * bs, buf);
                    } else {
                        file.read(block * bs, buf);
                    }
                }
                ops += opsPerClockRead;
                now = System.nanoTime();
            } while (now < deadline);
            return (double) ops * bs * 1e9 / (now - start);
        }
    }
}
