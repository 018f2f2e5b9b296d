/**
 * The DAX core: direct access to file data through mappings, the Linux fs-DAX model rebuilt in
 * user space.
 *
 * <ul>
 * <li>{@link io.daxfs.dax.DaxLayer}: the DAX state of one mounted file system; it registers with
 *     the volume as its {@link io.daxfs.fs.DaxCallbacks}.</li>
 * <li>Per file, an {@link io.daxfs.dax.AddressSpace}: the {@link io.daxfs.dax.EntryIndex} (a
 *     multi-order radix tree from page to {@link io.daxfs.dax.Entry} word, 4 KiB and 2 MiB
 *     entries, DIRTY and TOWRITE marks) and the reverse map of its page tables.</li>
 * <li>Per mapping, a {@link io.daxfs.dax.Vma}: fault, pin, msync, close.</li>
 * <li>Per segment ({@code FileChannel.map}), a {@link io.daxfs.dax.StitchedMapping}: the file's
 *     blocks faulted in, held, and mapped by the host kernel into one run of address space.</li>
 * <li>{@link io.daxfs.dax.EntryLocks} and the hashed {@link io.daxfs.dax.WaitTable}: the
 *     per-entry lock, with explicit wake-one and wake-all rules.</li>
 * <li>The paths: {@link io.daxfs.dax.Faults} (4 KiB and 2 MiB software page faults, fallbacks,
 *     downgrades, copy-on-write), {@link io.daxfs.dax.LayoutBreak} (unmap, busy scan, delete
 *     before blocks are freed or moved), {@link io.daxfs.dax.Writeback} (fsync and msync of
 *     mapped stores).</li>
 * <li>{@link io.daxfs.dax.DaxHooks}: points where tests stop a thread to force an interleaving.</li>
 * </ul>
 *
 * <p>docs/RACES.md lists the rules this package keeps and the races they prevent, each with the
 * test that forces it; docs/LOCKING.md the lock sequence of every path.
 *
 * <p>May use: types, device, alloc, fs, mm, lock.
 */
package io.daxfs.dax;
