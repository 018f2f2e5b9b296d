/**
 * The lock hierarchy of daxfs and its run-time checker. Every lock of the file system is an
 * {@link io.daxfs.lock.OrderedLock} or {@link io.daxfs.lock.OrderedRwLock} with a
 * {@link io.daxfs.lock.LockLevel}; with {@code -Ddaxfs.lockcheck=true} (every test run)
 * {@link io.daxfs.lock.LockChecker} fails a thread that takes a lock out of order, unlocks a lock
 * it does not hold, upgrades a read lock or ends holding a lock. docs/LOCKING.md is the
 * authority on the order.
 *
 * <p>May use: nothing but the JDK.
 */
package io.daxfs.lock;
