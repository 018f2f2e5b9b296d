package io.daxfs.fuse.lowlevel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.ADDRESS;

/**
 * FUSE INTERRUPT for long operations: while {@link FuseRequest#interruptible} runs an
 * operation, an INTERRUPT the kernel sends for its request (the caller got a signal) interrupts
 * the worker thread, and the file system's long loops stop at their next step with EINTR (a
 * partial result where the call allows one: copy_file_range's short count, fallocate's blocks
 * allocated so far).
 *
 * <p>libfuse calls the registered callback on the thread that read the INTERRUPT, holding the
 * request's lock; re-registering (with no callback, when the operation ends) takes that lock,
 * so no callback can run after it returns. A token, not a pointer to a Java object, travels as
 * the callback's data.
 */
final class Interrupts {
    private static final ConcurrentHashMap<Long, Thread> WORKERS = new ConcurrentHashMap<>();
    private static final AtomicLong TOKENS = new AtomicLong(1);
    /** The C callback: {@code void (*)(fuse_req_t req, void *data)}, for the life of the JVM. */
    static final MemorySegment CALLBACK;

    static {
        try {
            CALLBACK = LibFuse.LINKER.upcallStub(MethodHandles.lookup().findStatic(Interrupts.class, "interrupted",
                    MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class)),
                    FunctionDescriptor.ofVoid(ADDRESS, ADDRESS), Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Interrupts() {
    }

    /** A token naming the calling thread, for {@link #CALLBACK}'s data. */
    static long register() {
        long token = TOKENS.getAndIncrement();
        WORKERS.put(token, Thread.currentThread());
        return token;
    }

    static void unregister(long token) {
        WORKERS.remove(token);
    }

    /** The upcall: interrupts the worker serving the interrupted request. Must not throw into C. */
    @SuppressWarnings("unused")
    private static void interrupted(MemorySegment req, MemorySegment data) {
        try {
            Thread t = WORKERS.get(data.address());
            if (t != null) {
                t.interrupt();
            }
        } catch (Throwable ignored) {
            // nothing may unwind into libfuse
        }
    }
}
