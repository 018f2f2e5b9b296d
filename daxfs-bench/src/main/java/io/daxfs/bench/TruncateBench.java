package io.daxfs.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxMapping;
import io.daxfs.types.DaxMapMode;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of revoking a whole mapping: truncate to 0 of a fully mapped file of {@code size}
 * bytes (8 GiB by default) while {@code readers} threads (2) read it at random through that
 * mapping. Per invocation, untimed: a new file, preallocated, mapped read-write and written one
 * long per 4 KiB page (so every page is faulted in, as 2 MiB windows or, for "daxfs-4k",
 * NO_HUGE_PAGES 4 KiB ones), then the readers started. Timed: the truncate alone. The readers
 * end when their next read finds the page gone ({@link BackgroundReaders}). Goal: daxfs at most
 * 10 ms.
 *
 * <p>The daxfs device is process memory ({@link Fixture#memory}); the reference, "kernel", is a
 * tmpfs file mapped by FileChannel.map and truncated by FileChannel.truncate under the same
 * readers. An 8 GiB file needs about 9.2 GiB of free memory for daxfs (the device) and 8 GiB of
 * tmpfs for the kernel; on a smaller machine pass {@code -p size=1073741824} (a power of two).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class TruncateBench {
    @Param({"daxfs-2m", "daxfs-4k", "kernel"})
    public String target;

    @Param({"8589934592"})
    public long size;

    @Param({"2"})
    public int readers;

    private Fixture.Dax dax;
    private DaxFile file;
    private DaxMapping mapping;
    private Path kernelPath;
    private FileChannel channel;
    private Arena arena;
    private BackgroundReaders running;
    private long mask;
    private int serial;

    @Setup(Level.Trial)
    public void trial() throws IOException {
        mask = Fixture.offsetMask(size, 8);
        if (target.startsWith("daxfs")) {
            dax = Fixture.memory(size);
        }
    }

    @Setup(Level.Invocation)
    public void mapTouchAndRead() throws IOException, InterruptedException {
        if (dax != null) {
            file = dax.create("/trunc-" + serial, size, true);
            mapping = Fixture.Dax.map(file, size, DaxMapMode.READ_WRITE, target.endsWith("2m"));
            Fixture.touch(mapping, size);
            DaxMapping m = mapping;
            running = new BackgroundReaders(readers, mask, m::getLong);
        } else {
            kernelPath = Fixture.kernelFile();
            channel = Fixture.openNew(kernelPath);
            arena = Arena.ofShared();
            MemorySegment raw = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            Fixture.touch(raw, size);
            running = new BackgroundReaders(readers, mask, off -> raw.get(Fixture.LONG, off));
        }
    }

    @Benchmark
    public void truncateToZero() throws IOException {
        if (dax != null) {
            file.truncate(0);
        } else {
            channel.truncate(0);
        }
    }

    @TearDown(Level.Invocation)
    public void drop() throws IOException, InterruptedException {
        running.close();
        if (dax != null) {
            mapping.close();
            file.close();
            dax.fs().unlink("/trunc-" + serial++);
        } else {
            arena.close();
            channel.close();
            Files.delete(kernelPath);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        if (dax != null) {
            dax.close();
        }
    }
}
