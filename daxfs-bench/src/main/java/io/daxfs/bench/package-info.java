/**
 * JMH benchmarks of mapped access through {@code DaxMapping}, each measured beside what a user
 * would otherwise use, a raw {@code MemorySegment} over a kernel mapping of a tmpfs file
 * ({@code FileChannel.map(..., Arena)}), in the same run. {@link io.daxfs.bench.Fixture} builds
 * both sides the same way. The build only compiles and packages; run them from the shaded jar
 * (see the README's bench section for the commands). {@link io.daxfs.bench.Report} runs JMH with
 * the same arguments and then prints the ratios and goals below.
 *
 * <h2>What each measures, and its goal</h2>
 * <ul>
 * <li>{@link io.daxfs.bench.ReadBench}: 8-byte reads of a 1 GiB file, with one reader thread
 *     ({@code ReadBench.OneReader}) and with two ({@code ReadBench.TwoReaders}); every daxfs
 *     benchmark ({@code ...Dax}) has a raw partner ({@code ...Raw}) with the same loop, random
 *     offsets taken by mask. Goals, as daxfs reads/s over raw reads/s, for one and for two
 *     readers: sequential through {@code window()} (the page's segment fetched once per page,
 *     against a slice of the raw segment per page) at least 0.97x; random through
 *     {@code window()} (a window, or a slice, per read) at least 0.9x; sequential
 *     {@code getLong} at least 0.8x; random {@code getLong} at least 0.85x.</li>
 * <li>{@link io.daxfs.bench.SegmentReadBench}: 8-byte reads through the segment
 *     {@code FileChannel.map(READ_ONLY, 0, size, arena)} returns for a 512 MiB file on a daxfs
 *     path (through the {@code daxfs} provider), against the same on a tmpfs file, sequential
 *     and random (by mask), one and two readers, the daxfs file contiguous or fragmented into
 *     4 KiB extents. Goal: at least 0.97x for each.</li>
 * <li>{@link io.daxfs.bench.TruncateBench}: truncate to 0 of a fully mapped 8 GiB file while two
 *     threads read it through the mapping, the truncate alone timed (SingleShotTime); the daxfs
 *     device in process memory; a tmpfs file under the same readers for reference. Goal: at
 *     most 10 ms.</li>
 * <li>{@link io.daxfs.bench.MsyncStallBench}: the stall an msync of 4 KiB causes readers of a
 *     mapped 8 GiB file whose pages are all dirty: JMH thread groups of two readers (batches of
 *     random getLongs) and a writer that stores and msyncs, against the same without msync;
 *     SampleTime, the readers' p99 batch latency. Goal: at most 100 µs p99 with msync.</li>
 * <li>{@link io.daxfs.bench.FirstTouchBench}: one store to every page of a new mapped 1 GiB file
 *     (4 KiB and 2 MiB faults, hole and preallocated), against tmpfs. No goal.</li>
 * <li>{@link io.daxfs.bench.WriteFaultBench}: the 4 KiB allocating write-fault rate. Goal: at
 *     least 1.5x the kernel's.</li>
 * </ul>
 * Files are powers of two in size where readers pick random offsets (a mask, not a modulo,
 * keeps the division out of the measured loop). {@code daxfs bench map} in the CLI is the
 * quick, one-run version of the read and fault comparisons; these are the careful numbers.
 *
 * <p>May use: the public API of daxfs-core ({@code io.daxfs.api}, {@code io.daxfs.types}), the
 * provider of daxfs-nio ({@code io.daxfs.nio}) and JMH.
 * The module system enforces it.
 */
package io.daxfs.bench;
