package io.daxfs.cli.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FormatOptions;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Compares file I/O through the daxfs API with java.nio FileChannel on the same machine in the
 * same run: a file of the same size for each, every {@link Workload} measured on daxfs and then
 * on the FileChannel, each after its own warm-up, so that a drift of the machine during the run
 * touches both alike. Usable from code as well as from `daxfs bench io`.
 */
public final class IoBench {
    private static final int FILL_CHUNK = 1 << 20;

    /**
     * What to measure.
     *
     * @param fileSize    size of each test file; a positive multiple of 1 MiB
     * @param warmup      time each workload runs unmeasured first (JIT, caches, page tables)
     * @param duration    time each workload is measured
     * @param threads     threads issuing I/O concurrently
     * @param dir         directory for the FileChannel file and, unless {@code memoryImage}, the daxfs image
     * @param memoryImage put the daxfs image in process memory instead of an image file in {@code dir}
     */
    public record Options(long fileSize, Duration warmup, Duration duration, int threads, Path dir, boolean memoryImage) {
        public Options {
            if (fileSize <= 0 || fileSize % FILL_CHUNK != 0) {
                throw new IllegalArgumentException("file size must be a positive multiple of 1 MiB: " + fileSize);
            }
            if (warmup.isNegative() || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("durations must be positive");
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1: " + threads);
            }
        }
    }

    /** Throughput of one workload in MB/s (10^6 bytes per second) through each path. */
    public record Result(Workload workload, double daxfsMBps, double fileChannelMBps) {
        /** daxfs over FileChannel: above 1 means daxfs was faster. */
        public double ratio() {
            return daxfsMBps / fileChannelMBps;
        }
    }

    private IoBench() {
    }

    /** Runs every workload; {@code onResult} sees each result as soon as it is measured. */
    public static List<Result> run(Options o, Consumer<Result> onResult) throws IOException {
        List<Result> results = new ArrayList<>();
        Path channelPath = Files.createTempFile(o.dir(), "daxfs-bench-", ".dat");
        Path imagePath = o.memoryImage() ? null : Files.createTempFile(o.dir(), "daxfs-bench-", ".img");
        try {
            long imageSize = imageSizeFor(o.fileSize());
            DaxFileSystem fs = imagePath == null
                    ? DaxFileSystem.formatMemory(imageSize)
                    : DaxFileSystem.format(imagePath, imageSize);
            try (fs;
                 DaxFile daxFile = fs.open("/bench", CREATE, READ, WRITE);
                 FileChannel channel = FileChannel.open(channelPath, READ, WRITE)) {
                BenchFile dax = BenchFile.of(daxFile);
                BenchFile nio = BenchFile.of(channel);
                fill(dax, nio, o.fileSize());
                for (Workload w : Workload.values()) {
                    double daxRate = measure(dax, w, o);
                    double nioRate = measure(nio, w, o);
                    Result r = new Result(w, daxRate / 1e6, nioRate / 1e6);
                    results.add(r);
                    onResult.accept(r);
                }
            }
        } finally {
            Files.deleteIfExists(channelPath);
            if (imagePath != null) {
                Files.deleteIfExists(imagePath);
            }
        }
        return results;
    }

    /** Room for the file plus the file system's own metadata (journal, inode table, maps) with margin. */
    static long imageSizeFor(long fileSize) {
        long size = fileSize + fileSize / 8 + (64L << 20);
        return (size + FILL_CHUNK - 1) / FILL_CHUNK * FILL_CHUNK;
    }

    private static double measure(BenchFile f, Workload w, Options o) throws IOException {
        if (!o.warmup().isZero()) {
            ThroughputMeter.measure(f, w, o.fileSize(), o.threads(), o.warmup());
        }
        return ThroughputMeter.measure(f, w, o.fileSize(), o.threads(), o.duration());
    }

    /** Writes both files whole, so reads hit data and writes overwrite allocated blocks. */
    private static void fill(BenchFile dax, BenchFile nio, long size) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(FILL_CHUNK, 4096);
            for (long i = 0; i < FILL_CHUNK; i++) {
                chunk.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
            }
            BenchFile.Buffer buf = BenchFile.Buffer.of(chunk);
            for (long pos = 0; pos < size; pos += FILL_CHUNK) {
                dax.write(pos, buf);
                nio.write(pos, buf);
            }
        }
    }
}
