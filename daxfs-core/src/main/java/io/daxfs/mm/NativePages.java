package io.daxfs.mm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * 4 KiB pages of process memory, allocated and freed one by one (the C library's
 * {@code aligned_alloc} and {@code free}). Private copies live here: a copy discarded by a layout
 * break is freed as soon as no thread can reach it any more, which an Arena cannot do without
 * a JVM handshake per Arena.
 */
@SuppressWarnings("restricted") // native allocation is this class's whole purpose
final class NativePages {
    static final long PAGE_SIZE = 1L << PageTable.PAGE_SHIFT;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle ALLOC = LINKER.downcallHandle(
            LINKER.defaultLookup().find("aligned_alloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    private NativePages() {
    }

    /** A new page's address (4 KiB-aligned), zeroed. */
    static long allocate() {
        MemorySegment p;
        try {
            p = (MemorySegment) ALLOC.invokeExact(PAGE_SIZE, PAGE_SIZE);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (p.address() == 0) {
            throw new OutOfMemoryError("no memory for a private copy of a mapped page");
        }
        p.reinterpret(PAGE_SIZE).fill((byte) 0);
        return p.address();
    }

    /** The page at {@code address}, unscoped: callers re-scope it before handing it out. */
    static MemorySegment at(long address) {
        return MemorySegment.ofAddress(address).reinterpret(PAGE_SIZE);
    }

    static void free(long address) {
        try {
            FREE.invokeExact(MemorySegment.ofAddress(address));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
