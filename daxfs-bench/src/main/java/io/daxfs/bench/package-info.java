/**
 * JMH benchmarks of mapped access: reads through {@code DaxMapping} (getLong, windows; sequential
 * and random) against a raw segment over a tmpfs mapping, first touch, write faults and
 * truncate of a mapped file. {@link io.daxfs.bench.Fixture} builds both sides the same way.
 * Run them with {@code java -jar daxfs-bench/target/daxfs-bench.jar}; the build only compiles.
 *
 * <p>May use: the public API of daxfs-core ({@code io.daxfs.api}, {@code io.daxfs.types}) and JMH.
 * The module system enforces it.
 */
package io.daxfs.bench;
