package io.daxfs.testutil;

import io.daxfs.device.Device;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * An image file mapped as a device (as {@link io.daxfs.device.ImageFileDevice} maps it, with
 * {@link FileChannel#map}), whose pages can be made to fault for real: a media error as the
 * host produces it.
 *
 * <p>{@link #poison} maps a small scratch file over the range ({@code mmap} with MAP_FIXED, a
 * shared mapping) and then truncates that file to nothing, so every load or store there finds
 * no page behind it and the kernel raises SIGBUS, which the JDK turns into an
 * {@link InternalError} from the memory-segment access: exactly what a host file system that
 * ran full, or a poisoned line of persistent memory, does to the real device. {@link #heal}
 * maps the image file back over the range (MAP_FIXED again, at the same file offset), so the
 * bytes stored there before the poison are visible again and the image can be unmounted,
 * checked and mounted. Stores that faulted never reached the image.
 *
 * <p>A failed write-back cannot be provoked this way (msync over a truncated file succeeds), so
 * {@link #failPersists} makes persists of a range throw what {@code MemorySegment.force} throws
 * for a failed msync: an {@link UncheckedIOException}. {@link #onNextPersist} runs an action at
 * the start of the next persist, to poison a range in the middle of an operation (a commit
 * persists ordered data, then writes the journal ring).
 *
 * <p>{@link #close()} unmaps; the image stays for fsck and remounting. The native calls are made
 * here through the FFM linker (the device layer's own binding is package-private).
 */
@SuppressWarnings("restricted")
public final class PoisonableDevice implements Device {
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int O_CREAT = 0x40;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int MAP_FIXED = 0x10;
    private static final long PAGE = 4096;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FTRUNCATE = downcall("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO_OPTION);
    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO_OPTION);

    private final Path path;
    private final int fd;
    private final Arena arena;
    private final MemorySegment segment;
    /** Poisoned ranges, {offset, length}, until healed. Guarded by this. */
    private final List<long[]> poisoned = new ArrayList<>();
    private volatile long[] failingPersists;
    private final AtomicReference<Runnable> onNextPersist = new AtomicReference<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private PoisonableDevice(Path path, int fd, Arena arena, MemorySegment segment) {
        this.path = path;
        this.fd = fd;
        this.arena = arena;
        this.segment = segment;
    }

    /** Creates a sparse image file of {@code size} bytes (replacing any) and maps it. */
    public static PoisonableDevice create(Path image, long size) throws IOException {
        Files.write(image, new byte[0]);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(size);
        }
        return open(image);
    }

    /** Maps an existing image file read-write. */
    public static PoisonableDevice open(Path image) throws IOException {
        long size = Files.size(image);
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            int fd = open(image, O_RDWR | O_CLOEXEC, 0);
            return new PoisonableDevice(image, fd, arena, seg);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The image file. */
    public Path path() {
        return path;
    }

    /**
     * Makes every access to {@code [offset, offset + length)} (whole pages) fault with SIGBUS
     * from now on, until {@link #heal}.
     */
    public synchronized void poison(long offset, long length) {
        checkPages(offset, length);
        Path scratch = path.resolveSibling(path.getFileName() + ".poison");
        try {
            int sfd = open(scratch, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            try {
                ftruncate(sfd, length);
                mapFixed(offset, length, sfd, 0);
                ftruncate(sfd, 0); // the pages behind the mapping are gone: any access is SIGBUS
            } finally {
                close(sfd);
                Files.deleteIfExists(scratch);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        poisoned.add(new long[] {offset, length});
    }

    /** Maps the image back over every poisoned range: they read what the image holds again. */
    public synchronized void heal() {
        if (closed.get()) {
            poisoned.clear(); // unmapped already: the image never held the poison
            return;
        }
        for (long[] r : poisoned) {
            mapFixed(r[0], r[1], fd, r[0]);
        }
        poisoned.clear();
        failingPersists = null;
    }

    /**
     * From now on a persist overlapping {@code [offset, offset + length)} throws
     * {@link UncheckedIOException}, as {@code force} does for a failed msync (write-back EIO),
     * until {@link #heal}.
     */
    public void failPersists(long offset, long length) {
        failingPersists = new long[] {offset, length};
    }

    /** Runs {@code action} once, at the start of the next persist (by any thread). */
    public void onNextPersist(Runnable action) {
        onNextPersist.set(action);
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public long size() {
        return segment.byteSize();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public void persist(long offset, long length) {
        Runnable action = onNextPersist.getAndSet(null);
        if (action != null) {
            action.run();
        }
        long[] f = failingPersists;
        if (f != null && offset < f[0] + f[1] && f[0] < offset + length) {
            throw new UncheckedIOException(new IOException("msync: Input/output error (injected write-back failure)"));
        }
        if (length > 0) {
            segment.asSlice(offset, length).force();
        }
    }

    @Override
    public void fence() {
        // persist is synchronous
    }

    @Override
    public boolean isSynchronous() {
        return false;
    }

    @Override
    public String describe() {
        return "poisonable image " + path;
    }

    @Override
    public synchronized void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close(); // unmaps the whole range, the replaced pieces included
            close(fd);
        }
    }

    // ---------------------------------------------------------------- native calls

    private void mapFixed(long offset, long length, int fileFd, long fileOffset) {
        long want = segment.address() + offset;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            long got = (long) MMAP.invokeExact(state, want, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                    fileFd, fileOffset);
            if (got != want) {
                throw new IllegalStateException("mmap(MAP_FIXED) at " + offset + " failed: errno " + (int) ERRNO.get(state, 0L));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private void checkPages(long offset, long length) {
        if (offset < 0 || length <= 0 || offset % PAGE != 0 || length % PAGE != 0 || offset + length > size()) {
            throw new IllegalArgumentException("not whole pages of the device: [" + offset + ", +" + length + ")");
        }
    }

    private static int open(Path p, int flags, int mode) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            int fd = (int) OPEN.invokeExact(state, a.allocateFrom(p.toString()), flags, mode);
            if (fd < 0) {
                throw new IOException(p + ": open failed: errno " + (int) ERRNO.get(state, 0L));
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void ftruncate(int fd, long length) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            int rc = (int) FTRUNCATE.invokeExact(state, fd, length);
            if (rc != 0) {
                throw new IOException("ftruncate failed: errno " + (int) ERRNO.get(state, 0L));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment fn = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(fn, fd, options);
    }
}
