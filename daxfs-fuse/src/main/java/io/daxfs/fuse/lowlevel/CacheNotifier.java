package io.daxfs.fuse.lowlevel;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Tells the kernel to drop cached pages ({@code fuse_lowlevel_notify_inval_inode}) from a thread
 * of its own, the session's notifier. A worker that needs a range dropped before it replies
 * calls {@link #invalidate}, which queues the range and waits for the notifier, at most
 * {@link #WAIT_NANOS}.
 *
 * <p>Why a thread of its own: the kernel drops a page only after taking its page lock, and a
 * page is locked while a read of it waits for its reply (or while a buffered write or a
 * write-back of it waits for its own). Sent from a worker, the notification could wait for a
 * request that only a worker can answer, with every worker busy; libfuse warns against
 * notifying from the path of a related operation for that reason. The notifier answers no
 * request and holds no daxfs lock, so what it waits for is always served by the workers. A
 * worker that waits for it does so with a bound: should the notification wait for that very
 * worker (all workers waiting, or a buffered fallback write holding the pages of its own range),
 * the wait ends after {@link #WAIT_NANOS}, the worker replies, and the notification completes
 * later. Such timeouts are counted ({@link #timeouts()}).
 *
 * <p>Invariants: the queue holds at most one entry per inode (ranges of one inode are merged
 * into the smallest range covering them, so a burst of writes to one file costs one
 * notification) and at most {@link #CAPACITY} entries; every entry taken by the notifier is
 * completed (its latch released) whatever the kernel answered; after {@link #stop}, no native
 * call is started by this class. ENOENT from the kernel (it no longer has the inode, so it
 * caches nothing of it) is success.
 */
public final class CacheNotifier {
    /** How long a worker waits for its notification before it replies anyway. */
    static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Inodes with a notification queued, at most. */
    static final int CAPACITY = 1024;
    private static final int ENOENT = 2, ENOSYS = 38;

    /** Sends one notification: 0 or -errno (libfuse's convention). */
    interface Sender {
        int invalInode(long ino, long off, long len);
    }

    /** A queued range of one inode; {@code done} opens once the kernel was told. */
    private static final class Entry {
        long lo;
        long hi;
        final CountDownLatch done = new CountDownLatch(1);

        Entry(long lo, long hi) {
            this.lo = lo;
            this.hi = hi;
        }
    }

    private final Sender sender;
    private final Consumer<String> log;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition room = lock.newCondition();
    /** Guarded by lock: inode -> its queued range, oldest first. */
    private final LinkedHashMap<Long, Entry> queue = new LinkedHashMap<>();
    /** Guarded by lock. */
    private boolean stopping;
    private final Thread thread;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong timeouts = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    /** Set when the kernel does not know the notification (ENOSYS): nothing is sent any more. */
    private volatile boolean unsupported;

    CacheNotifier(Sender sender, Consumer<String> log) {
        this.sender = sender;
        this.log = log;
        this.thread = new Thread(this::run, "daxfs-fuse-notifier");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Has the kernel drop its cached pages of {@code [off, off + len)} of {@code ino}, and waits
     * until it has (at most {@link #WAIT_NANOS}). Returns whether it was done in that time.
     */
    public boolean invalidate(long ino, long off, long len) {
        if (len <= 0 || unsupported) {
            return true;
        }
        long deadline = System.nanoTime() + WAIT_NANOS;
        Entry e;
        lock.lock();
        try {
            e = queue.get(ino);
            while (e == null && queue.size() >= CAPACITY && !stopping) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                room.awaitNanos(left);
                e = queue.get(ino);
            }
            if (stopping) {
                return true; // the session is over: nothing is cached any more
            }
            if (e != null) {
                e.lo = Math.min(e.lo, off);
                e.hi = Math.max(e.hi, off + len);
            } else if (queue.size() < CAPACITY) {
                e = new Entry(off, off + len);
                queue.put(ino, e);
                work.signal();
            } else {
                dropped.incrementAndGet();
                timeouts.incrementAndGet();
                return false;
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
        try {
            if (e.done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return true;
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        long n = timeouts.incrementAndGet();
        if (Long.bitCount(n) == 1) {
            log.accept("daxfs-fuse: a write replied before the kernel dropped its cached pages (waited "
                    + TimeUnit.NANOSECONDS.toMillis(WAIT_NANOS) + " ms; " + n + " times so far)");
        }
        return false;
    }

    private void run() {
        while (true) {
            long ino;
            Entry e;
            lock.lock();
            try {
                while (queue.isEmpty() && !stopping) {
                    work.awaitUninterruptibly();
                }
                if (stopping) {
                    // Nothing is cached once the session ends; release whoever still waits.
                    for (Entry left : queue.values()) {
                        left.done.countDown();
                    }
                    queue.clear();
                    room.signalAll();
                    return;
                }
                Iterator<Map.Entry<Long, Entry>> it = queue.entrySet().iterator();
                Map.Entry<Long, Entry> first = it.next();
                it.remove();
                ino = first.getKey();
                e = first.getValue();
                room.signal();
            } finally {
                lock.unlock();
            }
            try {
                send(ino, e.lo, e.hi - e.lo);
            } catch (RuntimeException | Error t) {
                log.accept("daxfs-fuse: dropping cached pages of inode " + ino + " failed with " + t);
            } finally {
                e.done.countDown();
            }
        }
    }

    /** One notification; holds no lock (the kernel may wait for page locks while it runs). */
    private void send(long ino, long off, long len) {
        if (unsupported) {
            return;
        }
        int rc = sender.invalInode(ino, off, len);
        sent.incrementAndGet();
        if (rc == 0 || rc == -ENOENT) {
            return; // ENOENT: the kernel has forgotten the inode, so it caches none of its pages
        }
        if (rc == -ENOSYS) {
            unsupported = true;
            log.accept("daxfs-fuse: the kernel cannot drop cached pages on request (ENOSYS); "
                    + "O_DIRECT writes may leave older data cached");
            return;
        }
        log.accept("daxfs-fuse: dropping cached pages of inode " + ino + " failed: errno " + -rc);
    }

    /** Notifications sent (whatever the kernel answered). */
    public long sent() {
        return sent.get();
    }

    /** Waits that ended before the notification was sent (the write replied anyway). */
    public long timeouts() {
        return timeouts.get();
    }

    /**
     * Ends the notifier: queued notifications are not sent (the session is ending; waiting
     * workers are released), and none starts after this returns true. Waits at most
     * {@code millis} for a notification in progress; false if one is still in the kernel.
     */
    boolean stop(long millis) {
        lock.lock();
        try {
            stopping = true;
            work.signalAll();
            room.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(millis);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }

    /** Waits for the notifier thread to end, however long (after the connection was aborted). */
    void awaitStopped() {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException ie) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
