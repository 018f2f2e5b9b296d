package io.daxfs.dax;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A named test thread running one task. Entry locks belong to the thread that grabs them, so
 * each scripted actor (the holder, the waiters) is one worker. {@link #result} fails, with
 * the worker's stack, if it does not finish in time, instead of hanging the build.
 */
final class Worker<T> {
    private final FutureTask<T> task;
    private final Thread thread;

    private Worker(String name, Callable<T> body) {
        this.task = new FutureTask<>(body);
        this.thread = new Thread(task, name);
        this.thread.setDaemon(true);
    }

    static <T> Worker<T> start(String name, Callable<T> body) {
        Worker<T> w = new Worker<>(name, body);
        w.thread.start();
        return w;
    }

    /** The task's result; rethrows its failure; fails if it runs longer than the timeout. */
    T result() {
        try {
            return task.get(ScriptedHooks.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            AssertionError err = new AssertionError("worker " + thread.getName() + " did not finish (state "
                    + thread.getState() + "): a lost wakeup or a deadlock");
            err.setStackTrace(thread.getStackTrace());
            throw err;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error r) {
                throw r;
            }
            throw new AssertionError(e.getCause());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    boolean isDone() {
        return task.isDone();
    }

    Thread thread() {
        return thread;
    }

    /** Waits for the thread itself to end (after {@link #result}), so the lock checker sees it dead. */
    void join() throws InterruptedException {
        if (!thread.join(java.time.Duration.ofSeconds(ScriptedHooks.TIMEOUT_SECONDS))) {
            throw new AssertionError("worker " + thread.getName() + " did not end");
        }
    }

    /** For task bodies: waits for a latch the test opens, failing after the timeout. */
    static void await(CountDownLatch latch) {
        try {
            if (!latch.await(ScriptedHooks.TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("the test never opened the latch");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
