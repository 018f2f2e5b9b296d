package io.daxfs.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.types.DaxMapMode;
import io.daxfs.api.DaxMapping;

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
 * Truncate to 0 of a fully mapped 1 GiB file: written whole through one mapping (every page
 * faulted for writing, as 2 MiB windows or, with NO_HUGE_PAGES, 4 KiB ones), then truncated
 * while the mapping stays. Only the truncate is timed. Goal: daxfs within 50 ms.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class TruncateBench {
    @Param({"daxfs-2m", "daxfs-4k", "kernel"})
    public String target;

    @Param({"1073741824"})
    public long size;

    private Fixture.Dax dax;
    private DaxFile file;
    private DaxMapping mapping;
    private Path kernelPath;
    private FileChannel channel;
    private Arena arena;
    private int serial;

    @Setup(Level.Trial)
    public void trial() throws IOException {
        if (target.startsWith("daxfs")) {
            dax = Fixture.dax(size);
        }
    }

    @Setup(Level.Invocation)
    public void mapAndTouch() throws IOException {
        if (dax != null) {
            file = dax.create("/trunc-" + serial, size, true);
            mapping = Fixture.Dax.map(file, size, DaxMapMode.READ_WRITE, target.endsWith("2m"));
            Fixture.touch(mapping, size);
        } else {
            kernelPath = Fixture.kernelFile();
            channel = Fixture.openNew(kernelPath);
            arena = Arena.ofShared();
            MemorySegment raw = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            Fixture.touch(raw, size);
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
    public void drop() throws IOException {
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
