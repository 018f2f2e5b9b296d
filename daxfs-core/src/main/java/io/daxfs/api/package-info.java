/**
 * The public facade of daxfs: format, mount, check and close a file system, and open, read,
 * write and map its files. The top layer of daxfs-core; together with {@link io.daxfs.types} it
 * is all the module exports.
 *
 * <ul>
 * <li>{@link io.daxfs.api.DaxFileSystem}: a mounted file system, by path (format, mount, fsck,
 *     the namespace operations, sync, statistics).</li>
 * <li>{@link io.daxfs.api.DaxInodes}: the same file system by inode number (the *at calls), for
 *     front ends such as FUSE.</li>
 * <li>{@link io.daxfs.api.DaxFile}: an open regular file (read, write, fallocate, truncate,
 *     fsync, map).</li>
 * <li>{@link io.daxfs.api.DaxMapping}: a mapped range of a file, loaded and stored in place;
 *     {@link io.daxfs.api.DaxPin}: pages pinned for an I/O.</li>
 * </ul>
 *
 * <p>The classes here assemble and delegate; they hold no file system logic. Members that hand out
 * internals are package-private (tests reach them through a test-only bridge), so no public
 * signature names a type outside {@code api} and {@code types}.
 *
 * <p>May use: types, fs, dax, fsck, mm, device, lock.
 */
package io.daxfs.api;
