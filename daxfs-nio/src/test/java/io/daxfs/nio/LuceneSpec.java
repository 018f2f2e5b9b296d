package io.daxfs.nio;

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
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.store.NIOFSDirectory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Apache Lucene, a real client of {@code java.nio.file}, on a daxfs path: it indexes 100,000
 * small documents, commits, and after the image is unmounted and mounted again, searches with
 * hit counts that must be exact; once through {@link NIOFSDirectory} (reads through the
 * channel) and once through {@link MMapDirectory} (every index file read through segments from
 * {@code FileChannel.map}: the file's device memory).
 */
class LuceneSpec {
    static final int DOCS = 100_000;
    static final int WORDS = 1000;

    @TempDir
    Path host;

    /** Document i's words: three, drawn from a seeded generator. */
    static int[] words(int i) {
        SplittableRandom r = new SplittableRandom(i * 0x9E3779B97F4A7C15L);
        return new int[]{r.nextInt(WORDS), r.nextInt(WORDS), r.nextInt(WORDS)};
    }

    static boolean has(int[] w, int word) {
        return w[0] == word || w[1] == word || w[2] == word;
    }

    static Directory directory(String kind, Path path) throws IOException {
        return kind.equals("mmap") ? new MMapDirectory(path) : new NIOFSDirectory(path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "mmap"})
    void indexCommitRemountAndSearchWithExactHitCounts(String kind) throws Exception {
        Path image = host.resolve("lucene.img");
        try (FileSystem fs = FileSystems.newFileSystem(DaxFileSystemProvider.uriOf(image), Map.of("create", "true", "size", 256L << 20));
             Directory dir = directory(kind, fs.getPath("/index"));
             IndexWriter w = new IndexWriter(dir, new IndexWriterConfig(new StandardAnalyzer()))) {
            for (int i = 0; i < DOCS; i++) {
                int[] ws = words(i);
                Document d = new Document();
                d.add(new StringField("id", Integer.toString(i), Field.Store.YES));
                d.add(new TextField("body", "w" + ws[0] + " w" + ws[1] + " w" + ws[2], Field.Store.NO));
                w.addDocument(d);
            }
            w.commit();
        }
        int a = 7;
        int b = 123;
        int withA = 0;
        int withBoth = 0;
        for (int i = 0; i < DOCS; i++) {
            int[] ws = words(i);
            withA += has(ws, a) ? 1 : 0;
            withBoth += has(ws, a) && has(ws, b) ? 1 : 0;
        }
        try (FileSystem fs = FileSystems.newFileSystem(DaxFileSystemProvider.uriOf(image), Map.of());
             Directory dir = directory(kind, fs.getPath("/index"));
             DirectoryReader reader = DirectoryReader.open(dir)) {
            assertEquals(DOCS, reader.numDocs());
            IndexSearcher s = new IndexSearcher(reader);
            assertEquals(withA, s.count(new TermQuery(new Term("body", "w" + a))));
            BooleanQuery both = new BooleanQuery.Builder()
                    .add(new TermQuery(new Term("body", "w" + a)), BooleanClause.Occur.MUST)
                    .add(new TermQuery(new Term("body", "w" + b)), BooleanClause.Occur.MUST).build();
            assertEquals(withBoth, s.count(both));
            assertEquals(1, s.count(new TermQuery(new Term("id", "54321"))));
        }
    }
}
