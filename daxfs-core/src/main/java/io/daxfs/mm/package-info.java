/**
 * Memory management of the software MMU, below the DAX layer and independent of the file
 * system: what a mapping's windows are and who holds device pages.
 *
 * <ul>
 * <li>{@link io.daxfs.mm.PageTable}: the entries of one mapping, one per 2 MiB of file space
 *     or per 4 KiB page, read through epochs: removing entries publishes a new epoch and closes
 *     the old one's Arena (the TLB shootdown); a private mapping's
 *     {@link io.daxfs.mm.PrivateCopies} hold its copy-on-write pages, in
 *     {@link io.daxfs.mm.NativePages}.</li>
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
