/**
 * Metadata transactions: a physical redo log of 4 KiB block images with compound transactions,
 * so that every metadata change reaches the device atomically.
 *
 * <ul>
 * <li>{@link io.daxfs.journal.Journal}: handles (one per change, shared lock), commit (collect
 *     the images of every {@link io.daxfs.journal.DirtySource}, write them to the ring, persist,
 *     write and persist the commit block, copy home), checkpoint, replay at mount.</li>
 * <li>{@link io.daxfs.journal.CommitBuilder}: the images of one transaction being collected.</li>
 * <li>{@link io.daxfs.journal.JournalScan}: reads a log without writing, for mount validation,
 *     read-only mounts and fsck.</li>
 * </ul>
 *
 * <p>The home locations always hold the last committed state and never anything newer;
 * docs/DESIGN.md gives the argument, docs/LOCKING.md the commit and transaction locks.
 *
 * <p>May use: types, device, media, lock.
 */
package io.daxfs.journal;
