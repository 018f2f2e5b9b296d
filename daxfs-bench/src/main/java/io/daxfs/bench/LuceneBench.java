package io.daxfs.bench;

import io.daxfs.nio.DaxFileSystemProvider;

import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.MMapDirectory;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Apache Lucene indexing and searching on daxfs against the same on tmpfs: the "Lucene
 * indexing and a query loop on daxfs vs /dev/shm". A macro benchmark, so not JMH: each round
 * indexes {@code --docs} small documents (an id and three words drawn from 2^10 by a seeded
 * generator) through {@link MMapDirectory} into a fresh directory, commits, then runs a query
 * loop (term and two-term conjunction queries, words picked by mask) on a new reader. One
 * untimed round per target comes first (the first round indexed at a third of the speed of
 * later ones while Lucene was being compiled, and it went to whichever target ran first); then
 * {@code --rounds} timed pairs in one JVM, alternating which target goes first. The medians are
 * reported, with daxfs over tmpfs and the lowest and highest ratio of one pair. Hit counts are
 * checked to be equal on both.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp daxfs-bench/target/daxfs-bench.jar io.daxfs.bench.LuceneBench [--docs N] [--queries N] [--rounds N]</pre>
 */
public final class LuceneBench {
    private static final int WORDS = 1 << 10;

    private LuceneBench() {
    }

    public static void main(String[] args) throws Exception {
        int docs = 1_000_000;
        int queries = 200_000;
        int rounds = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--docs" -> docs = Integer.parseInt(args[++i]);
                case "--queries" -> queries = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be at least 1: " + rounds);
        }
        long expected = check(tmpfsRound(docs, queries), daxfsRound(docs, queries), -1); // warm-up, not timed
        List<double[]> tmpfs = new ArrayList<>();
        List<double[]> daxfs = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            double[] k;
            double[] d;
            if (round % 2 == 0) {
                k = tmpfsRound(docs, queries);
                d = daxfsRound(docs, queries);
            } else {
                d = daxfsRound(docs, queries);
                k = tmpfsRound(docs, queries);
            }
            check(k, d, expected);
            tmpfs.add(k);
            daxfs.add(d);
            System.out.printf(Locale.ROOT, "round %d (%s first): index tmpfs %.0f docs/s, daxfs %.0f docs/s; query tmpfs %.0f q/s, daxfs %.0f q/s%n",
                    round + 1, round % 2 == 0 ? "tmpfs" : "daxfs", k[0], d[0], k[1], d[1]);
        }
        System.out.printf(Locale.ROOT, "%nLucene %s, %,d documents, %,d queries, MMapDirectory on both; medians of %d rounds after a warm-up:%n",
                org.apache.lucene.util.Version.LATEST, docs, queries, rounds);
        System.out.printf(Locale.ROOT, "%-8s %14s %14s %11s %13s%n", "phase", "tmpfs", "daxfs", "daxfs/tmpfs", "round ratios");
        row("index", "d/s", tmpfs, daxfs, 0);
        row("query", "q/s", tmpfs, daxfs, 1);
    }

    /** The hit count both rounds found, failing when they differ from each other or from {@code expected} (-1: any). */
    private static long check(double[] tmpfs, double[] daxfs, long expected) {
        if ((long) tmpfs[2] != (long) daxfs[2] || (expected >= 0 && (long) tmpfs[2] != expected)) {
            throw new IllegalStateException("hit counts differ: tmpfs " + (long) tmpfs[2] + ", daxfs " + (long) daxfs[2]
                    + (expected >= 0 ? ", before " + expected : ""));
        }
        return (long) tmpfs[2];
    }

    private static void row(String phase, String unit, List<double[]> tmpfs, List<double[]> daxfs, int k) {
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (int i = 0; i < tmpfs.size(); i++) {
            double r = daxfs.get(i)[k] / tmpfs.get(i)[k];
            lo = Math.min(lo, r);
            hi = Math.max(hi, r);
        }
        double t = median(tmpfs, k);
        double d = median(daxfs, k);
        System.out.printf(Locale.ROOT, "%-8s %10.0f %s %10.0f %s %11.2f %8.2f-%.2f%n", phase, t, unit, d, unit, d / t, lo, hi);
    }

    private static double median(List<double[]> rounds, int k) {
        return rounds.stream().map(r -> r[k]).sorted().toList().get(rounds.size() / 2);
    }

    private static double[] tmpfsRound(int docs, int queries) throws IOException {
        Path dir = Files.createTempDirectory(Fixture.DIR, "daxfs-lucene-");
        try {
            return round(dir, docs, queries);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static double[] daxfsRound(int docs, int queries) throws IOException {
        Path image = Fixture.kernelFile();
        long size = Math.max(256L << 20, (long) docs * 600) + (1 << 20) - 1 & -(1L << 20); // whole MiB
        try (FileSystem fs = FileSystems.newFileSystem(DaxFileSystemProvider.uriOf(image),
                Map.of("create", "true", "size", size))) {
            return round(fs.getPath("/index"), docs, queries);
        } finally {
            Files.deleteIfExists(image);
        }
    }

    /** Indexes, commits and searches in {@code dir}: docs/s, queries/s, and the total hit count. */
    private static double[] round(Path dir, int docs, int queries) throws IOException {
        long t0 = System.nanoTime();
        try (Directory d = new MMapDirectory(dir);
             IndexWriter w = new IndexWriter(d, new IndexWriterConfig(new StandardAnalyzer()).setRAMBufferSizeMB(64))) {
            for (int i = 0; i < docs; i++) {
                SplittableRandom r = new SplittableRandom(i * 0x9E3779B97F4A7C15L);
                Document doc = new Document();
                doc.add(new StringField("id", Integer.toString(i), Field.Store.YES));
                doc.add(new TextField("body", "w" + r.nextInt(WORDS) + " w" + r.nextInt(WORDS) + " w" + r.nextInt(WORDS),
                        Field.Store.NO));
                w.addDocument(doc);
            }
            w.commit();
        }
        double indexRate = docs / ((System.nanoTime() - t0) / 1e9);
        try (Directory d = new MMapDirectory(dir); DirectoryReader reader = DirectoryReader.open(d)) {
            IndexSearcher s = new IndexSearcher(reader);
            s.setQueryCache(null); // every query is run, not answered from a cache
            long hits = 0;
            for (int i = 0; i < queries / 10; i++) { // warm-up, not timed
                hits += s.count(query(i));
            }
            hits = 0;
            long q0 = System.nanoTime();
            for (int i = 0; i < queries; i++) {
                hits += s.count(query(i));
            }
            double queryRate = queries / ((System.nanoTime() - q0) / 1e9);
            return new double[]{indexRate, queryRate, hits};
        }
    }

    /** Query i: a term query, or (every other one) a conjunction of two terms; words by mask. */
    private static Query query(int i) {
        long x = (i + 1) * 0x9E3779B97F4A7C15L;
        int a = (int) (x >>> 20) & (WORDS - 1);
        int b = (int) (x >>> 40) & (WORDS - 1);
        TermQuery ta = new TermQuery(new Term("body", "w" + a));
        if ((i & 1) == 0) {
            return ta;
        }
        return new BooleanQuery.Builder()
                .add(ta, BooleanClause.Occur.MUST)
                .add(new TermQuery(new Term("body", "w" + b)), BooleanClause.Occur.MUST).build();
    }
}
