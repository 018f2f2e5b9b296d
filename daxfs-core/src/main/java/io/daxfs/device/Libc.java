package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few Linux libc calls the device layer makes through the FFM linker: the core module ships no
 * native code, and the JDK has no API for mapping a character device or for executable memory.
 *
 * <p>Every call captures {@code errno} atomically with the call (the linker's captured call state),
 * so a failure is reported with the errno of that very call, never one clobbered by the JVM in
 * between. Failures become {@link DaxException}s carrying the matching {@link Errno}. The constants
 * below have the same values on x86-64 and AArch64 Linux.
 */
@SuppressWarnings("restricted") // native access is this class's whole purpose
final class Libc {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int PROT_EXEC = 4;
    static final int MAP_SHARED = 1;
    static final int MAP_PRIVATE = 2;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;

    private static final long MAP_FAILED = -1L;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    // open(2) is variadic; declaring the mode argument as variadic keeps the call ABI-correct
    // (on x86-64 the caller must then tell the callee how many vector registers carry arguments).
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO_OPTION);
    /** mmap with the address as a segment: the call keeps the segment's arena from closing while it runs. */
    private static final MethodHandle MMAP_OVER = downcall("mmap",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO_OPTION);
    private static final MethodHandle MUNMAP = downcall("munmap",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO_OPTION);
    private static final MethodHandle MPROTECT = downcall("mprotect",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), ERRNO_OPTION);
    // posix_fallocate reports its error as the return value, not in errno.
    private static final MethodHandle POSIX_FALLOCATE = downcall("posix_fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FALLOCATE = downcall("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO_OPTION);
    private static final MethodHandle MEMFD_CREATE = downcall("memfd_create",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle FTRUNCATE = downcall("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO_OPTION);
    private static final int MFD_CLOEXEC = 1;
    private static final MethodHandle FSTAT = downcall("fstat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), ERRNO_OPTION);
    /** struct stat is 144 bytes on x86-64 and 128 on arm64; st_blocks is at 64 on both. */
    private static final long STAT_SIZE = 144;
    private static final long ST_BLOCKS = 64;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int FALLOC_FL_PUNCH_HOLE = 2;


    private Libc() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment fn = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(fn, fd, options);
    }

    /** Opens {@code path} with open(2); returns the file descriptor. */
    static int open(Path path, int flags) throws DaxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            int fd = (int) OPEN.invokeExact(state, a.allocateFrom(path.toString()), flags, 0);
            if (fd < 0) {
                throw failure(state, path + ": open");
            }
            return fd;
        } catch (DaxException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t); // invokeExact declares Throwable; a downcall throws nothing else
        }
    }

    /**
     * memfd_create(2) and ftruncate(2): an anonymous file of {@code size} bytes in memory
     * (reading as zeros, its pages allocated when touched); returns its descriptor.
     */
    static int memfd(String name, long size) throws DaxException {
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            fd = (int) MEMFD_CREATE.invokeExact(state, a.allocateFrom(name), MFD_CLOEXEC);
            if (fd < 0) {
                throw failure(state, "memfd_create");
            }
            int rc = (int) FTRUNCATE.invokeExact(state, fd, size);
            if (rc != 0) {
                DaxException e = failure(state, "sizing a memory file to " + size + " bytes");
                close(fd);
                throw e;
            }
            return fd;
        } catch (DaxException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Closes {@code fd}. The result is ignored on purpose: the descriptors closed here were only
     * used to create a mapping, which holds its own reference to the file, and Linux releases the
     * descriptor even when close reports an error.
     */
    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** mmap(2) at an address of the kernel's choice; returns the address of the mapping. */
    static long mmap(long length, int prot, int flags, int fd, String what) throws DaxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            long addr = (long) MMAP.invokeExact(state, 0L, length, prot, flags, fd, 0L);
            if (addr == MAP_FAILED) {
                throw failure(state, what + ": mmap of " + length + " bytes");
            }
            return addr;
        } catch (DaxException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * mmap(2) with MAP_FIXED over {@code at}, a native segment of the caller's: the mapping of
     * {@code [offset, offset + at.byteSize())} of {@code fd} (-1 with MAP_ANONYMOUS) replaces what
     * is mapped there. Passing the segment, not its address, is what makes this safe against the
     * segment's arena closing: the JDK keeps the arena open for the length of the call (a close
     * meanwhile fails or waits), and a call on a closed arena throws IllegalStateException
     * without mapping anything, so this never lands on address space given back meanwhile.
     */
    static void mmapOver(MemorySegment at, int prot, int flags, int fd, long offset, String what) throws DaxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            long addr = (long) MMAP_OVER.invokeExact(state, at, at.byteSize(), prot, flags | MAP_FIXED, fd, offset);
            if (addr == MAP_FAILED) {
                throw failure(state, what + ": mmap of " + at.byteSize() + " bytes");
            }
        } catch (DaxException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * munmap(2). It fails only for arguments that never came from {@link #mmap}, which is a bug
     * here, so failure is an {@link IllegalStateException} rather than a checked error.
     */
    static void munmap(long address, long length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            int rc = (int) MUNMAP.invokeExact(state, address, length);
            if (rc != 0) {
                throw new IllegalStateException("munmap(0x" + Long.toHexString(address) + ", " + length
                        + ") failed: errno " + (int) ERRNO.get(state, 0L));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** mprotect(2). */
    static void mprotect(long address, long length, int prot, String what) throws DaxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            int rc = (int) MPROTECT.invokeExact(state, address, length, prot);
            if (rc != 0) {
                throw failure(state, what + ": mprotect");
            }
        } catch (DaxException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * posix_fallocate(3): reserves the blocks of {@code [offset, offset + length)} of the file
     * open as {@code fd}, growing it to cover them, so that later stores there cannot fail for
     * lack of space. Where the file system has no fallocate, the C library reserves them by
     * writing a byte into each block.
     */
    static void fallocate(int fd, long offset, long length, String what) throws DaxException {
        int rc;
        try {
            rc = (int) POSIX_FALLOCATE.invokeExact(fd, offset, length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (rc != 0) {
            throw failure(rc, what + ": posix_fallocate of " + length + " bytes");
        }
    }

    /**
     * fallocate(2) with PUNCH_HOLE | KEEP_SIZE: gives the blocks of {@code [offset, offset +
     * length)} of the file open as {@code fd} back to its file system; the range reads as zeros
     * afterwards (in every mapping of it too) and the file keeps its size.
     */
    static void punchHole(int fd, long offset, long length, String what) throws DaxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            int rc = (int) FALLOCATE.invokeExact(state, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
            if (rc != 0) {
                throw failure(state, what + ": punching a hole of " + length + " bytes at " + offset);
            }
        } catch (DaxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** fstat(2)'s st_blocks: the 512-byte units the host really holds of the file open as {@code fd}. */
    static long allocatedBytes(int fd, String what) throws DaxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            MemorySegment st = a.allocate(STAT_SIZE, 8);
            int rc = (int) FSTAT.invokeExact(state, fd, st);
            if (rc != 0) {
                throw failure(state, what + ": fstat");
            }
            return st.get(JAVA_LONG, ST_BLOCKS) * 512;
        } catch (DaxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static DaxException failure(MemorySegment state, String what) {
        return failure((int) ERRNO.get(state, 0L), what);
    }

    private static DaxException failure(int code, String what) {
        Errno errno = Errno.ofCode(code);
        String reason = errno == null ? "errno " + code : errno.description();
        return new DaxException(errno == null ? Errno.EIO : errno, what + ": " + reason);
    }
}
