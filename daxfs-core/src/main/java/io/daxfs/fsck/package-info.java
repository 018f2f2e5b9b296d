/**
 * The consistency checker: an independent reading of the on-device format that trusts only the
 * codecs of {@code media} and the journal reader, never the file system's own in-memory state.
 * {@link io.daxfs.fsck.Fsck} runs the passes ({@link io.daxfs.fsck.Checker}: superblock, bitmaps,
 * inode table, directory tree, orphan list, allocation) over a view of the device with the
 * committed journal overlaid ({@link io.daxfs.fsck.MetaView}), and, when asked to repair, plans
 * new block images ({@link io.daxfs.fsck.RepairPlanner}) and writes them through the journal
 * ({@link io.daxfs.fsck.RepairWriter}).
 *
 * <p>May use: types, device, media, journal. Not alloc or fs: a checker that shared their code
 * would share their bugs.
 */
package io.daxfs.fsck;
