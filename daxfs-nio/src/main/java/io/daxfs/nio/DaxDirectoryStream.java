package io.daxfs.nio;

import io.daxfs.types.DirEntry;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The entries of one directory, read a page at a time by readdir cookie (a directory of any size
 * streams in bounded memory; an entry that is neither added nor removed meanwhile is seen exactly
 * once). "." and ".." are not listed. One iterator per stream; after {@link #close} the
 * iterator ends.
 */
final class DaxDirectoryStream implements DirectoryStream<Path> {
    private static final int PAGE = 256;

    private final DaxPath dir;
    private final Filter<? super Path> filter;
    private volatile boolean closed;
    private boolean iterated;

    DaxDirectoryStream(DaxPath dir, Filter<? super Path> filter) {
        this.dir = dir;
        this.filter = filter;
    }

    @Override
    public synchronized Iterator<Path> iterator() {
        if (closed) {
            throw new IllegalStateException("directory stream is closed");
        }
        if (iterated) {
            throw new IllegalStateException("a directory stream has one iterator");
        }
        iterated = true;
        return new Iterator<>() {
            private final Deque<DirEntry> page = new ArrayDeque<>();
            private long cookie;
            private boolean end;
            private Path next;

            @Override
            public boolean hasNext() {
                while (next == null && !closed) {
                    if (page.isEmpty()) {
                        if (end) {
                            return false;
                        }
                        fill();
                        continue;
                    }
                    DirEntry e = page.pollFirst();
                    Path p = dir.resolve(e.name());
                    try {
                        if (filter == null || filter.accept(p)) {
                            next = p;
                        }
                    } catch (IOException x) {
                        throw new DirectoryIteratorException(x);
                    }
                }
                return next != null;
            }

            private void fill() {
                try {
                    String at = dir.corePath();
                    long from = cookie;
                    var entries = dir.getFileSystem().with(dir, fs -> fs.readdir(at, from, PAGE));
                    if (entries.isEmpty()) {
                        end = true;
                        return;
                    }
                    page.addAll(entries);
                    cookie = entries.getLast().cookie();
                } catch (IOException x) {
                    throw new DirectoryIteratorException(x);
                }
            }

            @Override
            public Path next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Path p = next;
                next = null;
                return p;
            }
        };
    }

    @Override
    public void close() {
        closed = true;
    }
}
