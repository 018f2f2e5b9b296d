/**
 * Free space: data blocks as extents with 2 MiB-aligned placement
 * ({@link io.daxfs.alloc.BlockAllocator}) and inode numbers
 * ({@link io.daxfs.alloc.InodeAllocator}), each over an in-memory copy of its on-device bitmap
 * ({@link io.daxfs.alloc.BitmapImage}) that the journal writes. A freed block or inode number is
 * reused only after the transaction that freed it is checkpointed, and a block only when no page
 * reference holds it any more.
 *
 * <p>May use: types, device, media, journal, lock.
 */
package io.daxfs.alloc;
