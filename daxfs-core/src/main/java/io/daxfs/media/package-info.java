/**
 * The on-device format, as codecs without state: where everything lives
 * ({@link io.daxfs.media.Geometry}), the {@link io.daxfs.media.Superblock} (two slots, written in
 * place), {@link io.daxfs.media.InodeRecord}, {@link io.daxfs.media.Extent},
 * {@link io.daxfs.media.DirBlock} and the directory index's {@link io.daxfs.media.DirIndexNode},
 * {@link io.daxfs.media.Bitmap}, the
 * {@link io.daxfs.media.BlockHeader} of checksummed metadata blocks, CRC32C
 * ({@link io.daxfs.media.Crc}) and little-endian access ({@link io.daxfs.media.Le}).
 * docs/FORMAT.md is the byte-level description these classes implement.
 *
 * <p>Everything here reads and writes a {@link java.lang.foreign.MemorySegment} it is given; it
 * never persists, locks or allocates, so the file system, the journal replay and the independent
 * checker ({@code fsck}) share exactly one definition of each structure.
 *
 * <p>May use: types.
 */
package io.daxfs.media;
