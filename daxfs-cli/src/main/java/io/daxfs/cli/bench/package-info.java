/**
 * {@code daxfs bench}: quick side-by-side measurements of daxfs against what users would
 * otherwise use, reported as ratios from one run: {@code io} (DaxFile against a FileChannel on
 * tmpfs), {@code map} (DaxMapping against a kernel mapping of tmpfs), {@code fuse} (a daxfs mount
 * against a bindfs mount of /dev/shm), {@code sync} (write and fsync or fdatasync per op against
 * FileChannel force). Two more measure daxfs against goals of its own: {@code stall} (small-file
 * latency during a huge fallocate) and {@code alloc} (allocation rate on a fragmented device).
 * The careful, forked numbers are the JMH benchmarks of the daxfs-bench module.
 *
 * <p>May use: what {@code io.daxfs.cli} may use, and {@code io.daxfs.cli}.
 */
package io.daxfs.cli.bench;
