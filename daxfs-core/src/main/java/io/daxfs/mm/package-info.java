/**
 * Memory management of the software MMU, below the DAX layer and independent of the file
 * system: what a mapping's windows are and who holds device pages.
 *
 * <ul>
 * <li>{@link io.daxfs.mm.PageTable}: the windows of one mapping, one slot per 2 MiB of file
 *     space (a 2 MiB window, or 4 KiB windows), each slot revocable by closing its Arena (the TLB
 *     shootdown); a private mapping's {@link io.daxfs.mm.PrivateCopies} hold its copy-on-write
 *     pages.</li>
 * <li>{@link io.daxfs.mm.ReverseMap}: the page tables of every mapping of one file, for "unmap
 *     this range everywhere".</li>
 * <li>{@link io.daxfs.mm.PageRefs}: zero-based reference counts and mapcounts per device page
 *     and per 2 MiB folio; a page is busy while pinned, and a block is reused only at count 0.</li>
 * <li>{@link io.daxfs.mm.ZeroPage}, the shared read-only zero page, and
 *     {@link io.daxfs.mm.WaitQueues}, lock-free hashed wait queues.</li>
 * </ul>
 *
 * <p>May use: types, lock.
 */
package io.daxfs.mm;
