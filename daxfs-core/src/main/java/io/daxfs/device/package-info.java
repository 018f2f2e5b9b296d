/**
 * The byte-addressable device a file system lives on, and its persistence model: one
 * {@link java.lang.foreign.MemorySegment} over the whole medium, {@code persist(range)} to make
 * stores durable, {@code fence()} to order persistence.
 *
 * <ul>
 * <li>{@link io.daxfs.device.Device}: the contract (and its persistence rules).</li>
 * <li>Backends: {@link io.daxfs.device.ImageFileDevice} (an image file, MAP_SYNC where the host
 *     file system is DAX), {@link io.daxfs.device.DevDaxDevice} ({@code /dev/daxX.Y}),
 *     {@link io.daxfs.device.MemoryDevice} (process memory, a memfd), and
 *     {@link io.daxfs.device.RecordingDevice}, which models a power failure for the crash tests
 *     (every store not yet persisted may or may not survive).</li>
 * <li>{@link io.daxfs.device.Devices} opens the right backend for a path;
 *     {@link io.daxfs.device.ImageLock} keeps two read-write mounts of one image apart;
 *     {@link io.daxfs.device.Libc} and {@link io.daxfs.device.CacheWriteback} are the few native
 *     calls (FFM) the JDK does not offer.</li>
 * <li>{@link io.daxfs.device.StitchedRange} maps device ranges into one run of address space
 *     (through {@link io.daxfs.device.Device#remapFd}), over a mapping the JDK made of the
 *     {@link io.daxfs.device.SegmentCarrier}, and budgets the kernel mappings that takes.</li>
 * <li>{@link io.daxfs.device.MediaErrors} tells a media error (an access the medium could not
 *     serve: SIGBUS on the mapping, a failed write-back) from other failures.</li>
 * </ul>
 *
 * <p>May use: types.
 */
package io.daxfs.device;
