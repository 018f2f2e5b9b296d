/**
 * Free space: data blocks ({@link io.daxfs.alloc.BlockAllocator}) in allocation groups
 * ({@link io.daxfs.alloc.AllocationGroup}, each with its own lock and a free-space index by
 * start, length and aligned 2 MiB pieces, {@link io.daxfs.alloc.FreeRuns}), and inode numbers
 * ({@link io.daxfs.alloc.InodeAllocator}), each over an in-memory copy of its on-device bitmap
 * ({@link io.daxfs.alloc.BitmapImage}, changed a 64-bit word at a time) that the journal writes.
 * On a sparse image, released blocks go back to the host first ({@link io.daxfs.alloc.Discarder}). A freed block or inode number is
 * reused only after the transaction that freed it is checkpointed, and a block only when no page
 * reference holds it any more.
 *
 * <p>May use: types, device, media, journal, lock.
 */
package io.daxfs.alloc;
