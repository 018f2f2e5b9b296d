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
 * First touch: one store to every page of a new 1 GiB file, mapped, the mapping made but never
 * touched. File creation, preallocation, mapping and unmapping are per-invocation setup, not
 * timed. daxfs: 4 KiB faults (NO_HUGE_PAGES) on a hole; 2 MiB faults on a hole (each allocates
 * a 2 MiB-aligned run) and on a preallocated file. Kernel: a new tmpfs file (each fault
 * allocates and zeroes a page), and one written whole first (faults only map the page).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class FirstTouchBench {
    @Param({"daxfs-4k", "daxfs-2m-hole", "daxfs-2m-prealloc", "kernel", "kernel-prealloc"})
    public String target;

    @Param({"1073741824"})
    public long size;

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
        if (target.startsWith("daxfs")) {
            dax = Fixture.dax(size);
        }
    }

    @Setup(Level.Invocation)
    public void fresh() throws IOException {
        if (dax != null) {
            file = dax.create("/touch-" + serial, size, target.endsWith("prealloc"));
            mapping = Fixture.Dax.map(file, size, DaxMapMode.READ_WRITE, !target.endsWith("4k"));
        } else {
            kernelPath = Fixture.kernelFile();
            channel = Fixture.openNew(kernelPath);
            if (target.endsWith("prealloc")) {
                Fixture.writeZeros(channel, size);
            }
            arena = Arena.ofShared();
            raw = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
        }
    }

    @Benchmark
    public void touchEveryPage() {
        if (mapping != null) {
            Fixture.touch(mapping, size);
        } else {
            Fixture.touch(raw, size);
        }
    }

    @TearDown(Level.Invocation)
    public void drop() throws IOException {
        if (dax != null) {
            mapping.close();
            file.close();
            dax.fs().unlink("/touch-" + serial++);
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
