/**
 * The file system proper: a mounted {@link io.daxfs.fs.Volume}, inodes and their cache, block
 * maps ({@link io.daxfs.fs.ExtentMap}, changed by {@link io.daxfs.fs.FileBlocks}), directories,
 * the namespace operations, the orphan list, open files and the file data paths (read, write,
 * fallocate, truncate, fsync).
 *
 * <p>It knows nothing of mappings. The DAX layer above registers itself as the
 * {@link io.daxfs.fs.DaxCallbacks} the file system calls to break layouts, invalidate zero-page
 * entries and write back mapped data, and it asks for blocks through
 * {@link io.daxfs.fs.DaxBlocks}, whose answer is an {@link io.daxfs.fs.Iomap}. The per-inode
 * locks (directory, life, I/O, invalidate, block map, attributes) live on
 * {@link io.daxfs.fs.Inode}; docs/LOCKING.md gives their order and each path's sequence.
 *
 * <p>May use: types, device, media, journal, alloc, lock.
 */
package io.daxfs.fs;
