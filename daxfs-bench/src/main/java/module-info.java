/**
 * JMH benchmarks of daxfs against what users would otherwise use (a kernel tmpfs mapping), built
 * on the public API of {@code io.daxfs.core} and the {@code daxfs} provider of {@code io.daxfs.nio}. JMH's generated harness classes read the
 * benchmark state by reflection.
 */
module io.daxfs.bench {
    requires io.daxfs.core;
    requires io.daxfs.nio;
    requires org.apache.lucene.core;
    requires jmh.core;

    opens io.daxfs.bench to jmh.core;
    opens io.daxfs.bench.jmh_generated to jmh.core;
}
