package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Writes CPU cache lines back to memory from user space, for mappings the JDK does not know as
 * mapped files.
 *
 * <p>Why this exists: the JDK writes caches back ({@code Unsafe.writebackMemory}: CLWB or
 * CLFLUSHOPT, then SFENCE) only inside {@code MappedMemorySegment.force} on a segment that
 * {@code FileChannel.map} created with MAP_SYNC, and {@code FileChannel.map} cannot map a
 * character device. The kernel offers nothing either: msync(MS_SYNC) on a device-DAX mapping ends
 * in {@code vfs_fsync_range}, which returns EINVAL because the device-DAX file has no fsync
 * operation, and even where msync succeeds it writes back page-cache pages, not CPU caches.
 *
 * <p>So this class emits a 26-byte x86-64 leaf function into a private anonymous page, makes the
 * page read+execute (never writable and executable at once), and calls it through an FFM downcall
 * handle. The function, with {@code rdi} = start and {@code rsi} = length:
 * <pre>
 *   add  rsi, rdi        ; end
 *   and  rdi, -64        ; first cache line
 * 1: cmp  rdi, rsi
 *   jae  2f
 *   clwb [rdi]           ; or clflushopt [rdi], or clflush [rdi]
 *   add  rdi, 64
 *   jmp  1b
 * 2: sfence               ; the write-backs complete before the function returns
 *   ret
 * </pre>
 * The instruction is the best the CPU lists in {@code /proc/cpuinfo}: CLWB (writes back and may
 * keep the line cached), else CLFLUSHOPT, else CLFLUSH (both evict). The page is made executable
 * with mprotect, which removes write permission and so shoots down every CPU's TLB entry for it;
 * no CPU can have fetched instructions from it before, because it was not executable.
 *
 * <p>Guarantee: when {@link #writeBack} returns, every cache line overlapping the range has been
 * written back from all CPU caches (the instructions act on the coherence domain, not just the
 * calling CPU) and the write-backs are ordered before any later store. Stores by other threads
 * are covered when they happen-before the call. Available on Linux x86-64 only.
 */
final class CacheWriteback {
    /** A cache-line write-back instruction and its encoding with operand {@code [rdi]}. */
    enum Instruction {
        CLWB("clwb", 0x66, 0x0F, 0xAE, 0x37),
        CLFLUSHOPT("clflushopt", 0x66, 0x0F, 0xAE, 0x3F),
        CLFLUSH("clflush", 0x0F, 0xAE, 0x3F);

        final String cpuFlag;
        final byte[] encoding;

        Instruction(String cpuFlag, int... bytes) {
            this.cpuFlag = cpuFlag;
            this.encoding = new byte[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                encoding[i] = (byte) bytes[i];
            }
        }
    }

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG);

    private final Instruction instruction;
    private final MethodHandle stub;

    private CacheWriteback(Instruction instruction, MethodHandle stub) {
        this.instruction = instruction;
        this.stub = stub;
    }

    /** Built once on first use; the code page lives as long as the process. */
    private static final class Best {
        static final CacheWriteback INSTANCE;
        static final DaxException UNAVAILABLE;

        static {
            CacheWriteback wb = null;
            DaxException why = null;
            try {
                checkPlatform();
                wb = build(choose(cpuFlags(Path.of("/proc/cpuinfo"))));
            } catch (DaxException e) {
                why = e;
            }
            INSTANCE = wb;
            UNAVAILABLE = why;
        }
    }

    /** The write-back for this CPU, or EOPNOTSUPP saying why there is none. */
    static CacheWriteback forThisCpu() throws DaxException {
        if (Best.INSTANCE == null) {
            throw new DaxException(Errno.EOPNOTSUPP, Best.UNAVAILABLE.detail(), Best.UNAVAILABLE);
        }
        return Best.INSTANCE;
    }

    /** The best write-back instruction among the CPU's flags, or null when it has none. */
    static Instruction choose(Set<String> cpuFlags) {
        for (Instruction i : Instruction.values()) {
            if (cpuFlags.contains(i.cpuFlag)) {
                return i;
            }
        }
        return null;
    }

    /** The flags of the first processor listed in a {@code /proc/cpuinfo}-format file. */
    static Set<String> cpuFlags(Path cpuinfo) throws DaxException {
        try (var lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("flags") && l.indexOf(':') > 0)
                    .findFirst()
                    .map(l -> Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                            .collect(Collectors.toUnmodifiableSet()))
                    .orElse(Set.of());
        } catch (IOException e) {
            throw new DaxException(Errno.EOPNOTSUPP, cpuinfo + ": cannot read CPU flags: " + e.getMessage(), e);
        }
    }

    /** Emits and links the write-back function using {@code instruction}. */
    @SuppressWarnings("restricted") // sizing the code page and linking to generated code
    static CacheWriteback build(Instruction instruction) throws DaxException {
        checkPlatform();
        if (instruction == null) {
            throw new DaxException(Errno.EOPNOTSUPP, "the CPU lists none of clwb, clflushopt, clflush");
        }
        byte[] code = assemble(instruction);
        long page = Libc.mmap(4096, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1,
                "cache write-back code page");
        MemorySegment text = MemorySegment.ofAddress(page).reinterpret(4096);
        MemorySegment.copy(code, 0, text, JAVA_BYTE, 0, code.length);
        try {
            Libc.mprotect(page, 4096, Libc.PROT_READ | Libc.PROT_EXEC, "cache write-back code page");
        } catch (DaxException e) {
            Libc.munmap(page, 4096);
            throw new DaxException(Errno.EOPNOTSUPP,
                    "cannot make generated code executable (" + e.detail() + "); a W^X policy forbids it", e);
        }
        // critical: a leaf function of a few instructions needs no thread-state transition.
        MethodHandle stub = Linker.nativeLinker().downcallHandle(text, SIGNATURE, Linker.Option.critical(false));
        return new CacheWriteback(instruction, stub);
    }

    private static void checkPlatform() throws DaxException {
        String os = System.getProperty("os.name");
        String arch = System.getProperty("os.arch");
        if (!os.equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new DaxException(Errno.EOPNOTSUPP, "no user-space cache write-back on " + os + "/" + arch);
        }
    }

    /** Machine code of the function shown in the class comment. */
    static byte[] assemble(Instruction instruction) {
        byte[] flush = instruction.encoding;
        byte[] head = {0x48, 0x01, (byte) 0xFE, 0x48, (byte) 0x83, (byte) 0xE7, (byte) 0xC0}; // add rsi,rdi; and rdi,-64
        byte[] cmp = {0x48, 0x39, (byte) 0xF7};                                              // cmp rdi,rsi
        byte[] next = {0x48, (byte) 0x83, (byte) 0xC7, 0x40};                                 // add rdi,64
        byte[] tail = {0x0F, (byte) 0xAE, (byte) 0xF8, (byte) 0xC3};                          // sfence; ret
        int loop = head.length;
        int jae = loop + cmp.length;
        int body = jae + 2;
        int jmp = body + flush.length + next.length;
        int done = jmp + 2;
        byte[] out = new byte[done + tail.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(cmp, 0, out, loop, cmp.length);
        out[jae] = 0x73; // jae rel8, relative to the next instruction
        out[jae + 1] = (byte) (done - body);
        System.arraycopy(flush, 0, out, body, flush.length);
        System.arraycopy(next, 0, out, body + flush.length, next.length);
        out[jmp] = (byte) 0xEB; // jmp rel8
        out[jmp + 1] = (byte) (loop - done);
        System.arraycopy(tail, 0, out, done, tail.length);
        return out;
    }

    Instruction instruction() {
        return instruction;
    }

    /**
     * Writes back every cache line overlapping {@code range} and fences. The range's memory
     * session stays acquired for the call, so a concurrent close of its arena fails instead of
     * unmapping memory under the flush.
     */
    void writeBack(MemorySegment range) {
        try {
            stub.invokeExact(range, range.byteSize());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
