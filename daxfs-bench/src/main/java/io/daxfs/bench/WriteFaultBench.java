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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The 4 KiB allocating write-fault rate: a fresh sparse 256 MiB file, one store per page, each
 * store a fault that allocates (and zeroes) a page. Reported as time per fault (invert for the
 * rate); goal: daxfs at least 1.5x the kernel's rate.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class WriteFaultBench {
    static final long SIZE = 256L << 20;
    static final int PAGES = (int) (SIZE / Fixture.PAGE);

    @Param({"daxfs", "kernel"})
    public String target;

    private Fixture.Dax dax;
    private DaxFile file;
    private DaxMapping mapping;
    private Path kernelPath;
    private FileChannel channel;
    private Arena arena;
    private MemorySegment raw;
    private int serial;

    @Setup(Level.Trial)
    public void trial() throws IOException {
        if (target.equals("daxfs")) {
            dax = Fixture.dax(SIZE);
        }
    }

    @Setup(Level.Invocation)
    public void fresh() throws IOException {
        if (dax != null) {
            file = dax.create("/faults-" + serial, SIZE, false);
            mapping = Fixture.Dax.map(file, SIZE, DaxMapMode.READ_WRITE, false);
        } else {
            kernelPath = Fixture.kernelFile();
            channel = Fixture.openNew(kernelPath);
            arena = Arena.ofShared();
            raw = channel.map(FileChannel.MapMode.READ_WRITE, 0, SIZE, arena);
        }
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public void fault4k() {
        if (mapping != null) {
            Fixture.touch(mapping, SIZE);
        } else {
            Fixture.touch(raw, SIZE);
        }
    }

    @TearDown(Level.Invocation)
    public void drop() throws IOException {
        if (dax != null) {
            mapping.close();
            file.close();
            dax.fs().unlink("/faults-" + serial++);
            mapping = null;
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
