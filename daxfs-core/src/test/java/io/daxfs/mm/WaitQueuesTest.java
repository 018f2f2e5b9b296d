package io.daxfs.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The wait queue rules on their own, each interleaving forced with latches. A thread that
 * should have been woken and was not shows up as a timeout (the hang guard), never as a sleep.
 */
class WaitQueuesTest {
    private static final long HANG_GUARD_SECONDS = 30;
    private static final int HASH = 7;

    private final WaitQueues queues = new WaitQueues(64);
    private final Object owner = new Object();

    /** A test thread; {@link #result} fails instead of hanging when it never finishes. */
    private record Actor<T>(Thread thread, CompletableFuture<T> done) {
        static <T> Actor<T> start(String name, Callable<T> body) {
            CompletableFuture<T> done = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().name(name).daemon().start(() -> {
                try {
                    done.complete(body.call());
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            });
            return new Actor<>(t, done);
        }

        T result() throws InterruptedException, ExecutionException {
            try {
                return done.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError(thread.getName() + " never woke (" + thread.getState() + "): a lost wakeup");
            }
        }

        boolean finished() {
            return done.isDone();
        }
    }

    private static void open(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(HANG_GUARD_SECONDS, TimeUnit.SECONDS), "the other side never got there");
    }

    /** Starts a thread that queues on the key and sleeps; returns once it is queued, so arrival order is fixed. */
    private Actor<String> sleeper(String name, Object who, long key, boolean exclusive) throws InterruptedException {
        CountDownLatch queued = new CountDownLatch(1);
        Actor<String> a = Actor.start(name, () -> {
            WaitQueues.Waiter me = queues.enqueue(who, HASH, key, exclusive);
            queued.countDown();
            me.await();
            return name;
        });
        open(queued);
        return a;
    }

    // ---- no lost wakeup ----

    /**
     * Runs a waiter against a release (store, then wake) that lands after the waiter's enqueue:
     * before its check when {@code checkFirst} is false, between its check and its park when
     * true. Returns whether the waiter went to sleep; either way it must end.
     */
    private boolean raceReleaseAfterEnqueue(boolean checkFirst) throws Exception {
        Flag released = new Flag();
        CountDownLatch queued = new CountDownLatch(1);
        CountDownLatch releaseDone = new CountDownLatch(1);
        Actor<Boolean> waiter = Actor.start("W", () -> {
            WaitQueues.Waiter me = queues.enqueue(owner, HASH, 1, true);
            boolean held = checkFirst && !released.value;
            queued.countDown();
            open(releaseDone);
            if (!checkFirst) {
                held = !released.value;
            }
            if (!held) {
                me.abandon();
                return false;
            }
            me.await();
            return true;
        });
        open(queued);
        released.value = true;
        assertEquals(1, queues.wakeOne(owner, HASH, 1), "the releaser reads the queue after its store and finds the waiter");
        releaseDone.countDown();
        boolean slept = waiter.result();
        assertEquals(0, queues.waitingTotal());
        return slept;
    }

    @Test
    void aReleaseBetweenTheWaitersCheckAndItsParkStillWakesIt() throws Exception {
        assertTrue(raceReleaseAfterEnqueue(true), "the waiter parked on a wakeup that came before the park");
    }

    @Test
    void aReleaseBetweenTheEnqueueAndTheCheckIsSeenByTheCheck() throws Exception {
        assertFalse(raceReleaseAfterEnqueue(false), "the check after the enqueue saw the store");
    }

    /** The state a waiter waits on, written by the releaser before it wakes. */
    private static final class Flag {
        volatile boolean value;
    }

    // ---- exclusive and non-exclusive ----

    @Test
    void wakeOneWakesEveryNonExclusiveWaiterAndTheFirstExclusiveOneWakeAllWakesThemAll() throws Exception {
        Actor<String> e1 = sleeper("E1", owner, 5, true);
        Actor<String> n1 = sleeper("N1", owner, 5, false);
        Actor<String> e2 = sleeper("E2", owner, 5, true);
        Actor<String> n2 = sleeper("N2", owner, 5, false);
        Actor<String> e3 = sleeper("E3", owner, 5, true);

        assertEquals(3, queues.wakeOne(owner, HASH, 5));
        assertEquals("E1", e1.result());
        assertEquals("N1", n1.result());
        assertEquals("N2", n2.result());
        assertFalse(e2.finished());
        assertFalse(e3.finished());
        assertEquals(2, queues.waiting(owner, HASH, 5));

        assertEquals(2, queues.wakeAll(owner, HASH, 5), "every exclusive waiter left, not just the first");
        assertEquals("E2", e2.result());
        assertEquals("E3", e3.result());
        assertEquals(0, queues.wakeOne(owner, HASH, 5));
        assertEquals(5, queues.wakeups());
    }

    // ---- collisions ----

    @Test
    void keysSharingAQueueAreNotWokenByEachOthersWakes() throws Exception {
        long key = 5;
        long neighbour = key + 1;
        while (queues.queueOf(HASH, neighbour) != queues.queueOf(HASH, key)) {
            neighbour++;
        }
        Object otherOwner = new Object(); // same hash, same key, other identity
        Actor<String> mine = sleeper("K", owner, key, false);
        Actor<String> next = sleeper("X", owner, neighbour, false);
        Actor<String> other = sleeper("O", otherOwner, key, false);

        assertEquals(1, queues.wakeAll(owner, HASH, key));
        assertEquals("K", mine.result());
        assertFalse(next.finished());
        assertFalse(other.finished());
        assertEquals(1, queues.waiting(owner, HASH, neighbour), "same queue, other key: still asleep");
        assertEquals(1, queues.waiting(otherOwner, HASH, key), "same hash and key, other owner: still asleep");

        assertEquals(1, queues.wakeAll(owner, HASH, neighbour));
        assertEquals("X", next.result());
        assertEquals(1, queues.wakeAll(otherOwner, HASH, key));
        assertEquals("O", other.result());
    }

    @Test
    void theQueueCountIsAPowerOfTwo() {
        // queueOf takes the top bits of the mixed hash, which only covers a power of two.
        assertThrows(IllegalArgumentException.class, () -> new WaitQueues(48));
        assertThrows(IllegalArgumentException.class, () -> new WaitQueues(0));
    }

    // ---- abandon ----

    @Test
    void abandoningAReceivedExclusiveWakeupHandsItToTheNextWaiter() throws Exception {
        WaitQueues.Waiter first = queues.enqueue(owner, HASH, 5, true); // this thread, which will not sleep
        Actor<String> second = sleeper("S", owner, 5, true);
        assertEquals(1, queues.wakeOne(owner, HASH, 5), "the first exclusive waiter gets the wakeup");
        assertFalse(second.finished());

        first.abandon();
        assertEquals("S", second.result());
        assertEquals(2, queues.wakeups(), "the hand-on is a wakeup too");
    }

    @Test
    void anAbandonedWaitBeforeAnyWakeupLeavesTheQueueAndAbsorbsNone() throws Exception {
        WaitQueues.Waiter first = queues.enqueue(owner, HASH, 5, true);
        Actor<String> second = sleeper("S", owner, 5, true);
        first.abandon();
        assertEquals(1, queues.waiting(owner, HASH, 5));
        assertEquals(1, queues.wakeOne(owner, HASH, 5), "the wakeup goes past the cancelled waiter");
        assertEquals("S", second.result());
    }

    @Test
    void abandoningANonExclusiveWakeupHandsNothingOn() throws Exception {
        WaitQueues.Waiter reader = queues.enqueue(owner, HASH, 5, false);
        assertEquals(1, queues.wakeOne(owner, HASH, 5));
        Actor<String> late = sleeper("L", owner, 5, true);
        reader.abandon();
        assertEquals(1, queues.waiting(owner, HASH, 5), "a non-exclusive wakeup was never the only one");
        assertEquals(1, queues.wakeups());
        queues.wakeOne(owner, HASH, 5);
        late.result();
    }
}
