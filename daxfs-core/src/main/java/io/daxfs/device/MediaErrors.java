package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxFaultException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Tells media errors apart from other failures, and words them.
 *
 * <p>A media error is a device access the medium could not serve. A load or store to a page of
 * the device segment that has nothing behind it raises SIGBUS: a poisoned line of persistent
 * memory, or a page of an image file that the host cannot back (its file system is full, or the
 * file shrank under the mapping). The JDK reports a SIGBUS inside a memory-segment access as an
 * {@link InternalError} ("a fault occurred in an unsafe memory access operation"), not as a
 * crash. A write-back the host could not do comes out of {@link Device#persist} as an
 * {@link UncheckedIOException}. Either way the device no longer holds what the code above
 * believes it wrote, so the operation fails with EIO and nothing more may be committed.
 *
 * <p>The InternalError is not always thrown by the faulting access itself: interpreted code
 * throws it there, but compiled code skips the faulting access (a load reads garbage, a store is
 * lost), runs on, and throws it at the thread's next safepoint poll: a loop back-edge, a return,
 * a call into the VM; a loop of stores runs on for hundreds of iterations first. So a catch
 * meant for media errors encloses the whole operation, and where the code after a device access
 * would act on its result (record bytes as written, seal a commit), it first calls
 * {@link #raisePending}, which makes the JVM throw a deferred fault right there.
 *
 * <p>Every {@link InternalError} counts as a media error: the JDK throws that class for a
 * faulting memory access and for little else, and a wrong guess only turns a broken JVM's error
 * into EIO. The JVM running out of memory or stack is not a media error and is never swallowed.
 */
public final class MediaErrors {
    private MediaErrors() {
    }

    /** Never locked: {@link #raisePending} asks whether this thread holds it. */
    private static final Object NOBODY = new Object();

    /**
     * Throws, here, the InternalError of a device access by this thread that compiled code
     * deferred (see above); does nothing otherwise. It is a call into the VM (a native method the
     * JIT does not inline), and the thread's return from the VM runs the pending handshake that
     * throws the error. About 25 ns: called once per operation, not per access.
     */
    public static void raisePending() {
        if (Thread.holdsLock(NOBODY)) {
            throw new AssertionError("nobody locks it");
        }
    }

    /** True when {@code t} reports a device access the medium could not serve. */
    public static boolean isMediaError(Throwable t) {
        return t instanceof InternalError
                || t instanceof UncheckedIOException && !(t instanceof DaxFaultException)
                || t instanceof IOException && !(t instanceof DaxException);
    }

    /**
     * The one-line EIO that operation {@code op} fails with after media error {@code t} on
     * {@code device}.
     */
    public static DaxException eio(String op, Device device, Throwable t) {
        return new DaxException(Errno.EIO, op + ": " + describe(device, t) + "; the file system is now read-only", t);
    }

    /** "media error on DEVICE (cause)", for messages and logs. */
    public static String describe(Device device, Throwable t) {
        return "media error on " + device.describe() + " (" + cause(t) + ")";
    }

    /**
     * The media error behind {@code t}: {@code t} itself, or the cause of an exception that
     * reported one (a commit's EIO); null when there is none.
     */
    public static Throwable find(Throwable t) {
        if (isMediaError(t)) {
            return t;
        }
        return t instanceof DaxException && t.getCause() != null && isMediaError(t.getCause()) ? t.getCause() : null;
    }

    private static String cause(Throwable t) {
        Throwable c = t instanceof UncheckedIOException && t.getCause() != null ? t.getCause() : t;
        String m = c.getMessage();
        return m == null ? c.getClass().getName() : c.getClass().getSimpleName() + ": " + m;
    }
}
