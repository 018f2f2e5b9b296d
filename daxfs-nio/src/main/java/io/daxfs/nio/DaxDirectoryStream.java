package io.daxfs.nio;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxInodes;
import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.ClosedDirectoryStreamException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An open directory, by inode number: its entries, read a page at a time by readdir cookie (an
 * entry neither added nor removed meanwhile is seen exactly once; "." and ".." are not listed),
 * and, as a {@link SecureDirectoryStream}, the operations relative to it. A relative path is
 * resolved from the directory's inode, not from its path, so they keep working on the same
 * directory after it is renamed; the inode number is held ({@link DaxInodes#holdNumber}) until
 * the stream closes, so it never comes to name another file. One iterator per stream.
 */
final class DaxDirectoryStream implements SecureDirectoryStream<Path> {
    private static final int PAGE = 256;
    private static final int MAX_LINKS = 40;

    private final DaxNioFileSystem fs;
    private final DaxPath dir;
    private final long ino;
    private final Filter<? super Path> filter;
    private volatile boolean closed;
    private boolean iterated;

    private DaxDirectoryStream(DaxNioFileSystem fs, DaxPath dir, long ino, Filter<? super Path> filter) {
        this.fs = fs;
        this.dir = dir;
        this.ino = ino;
        this.filter = filter;
    }

    /** Opens directory inode {@code ino}, reached as {@code dir}: NotDirectoryException if it is not one. */
    static DaxDirectoryStream open(DaxNioFileSystem fs, DaxPath dir, long ino, Filter<? super Path> filter) throws IOException {
        fs.with(dir, c -> {
            hold(c.inodes(), ino);
            try {
                if (c.inodes().getattr(ino).type() != FileType.DIRECTORY) {
                    throw new NotDirectoryException(dir.toString());
                }
            } catch (IOException | RuntimeException e) {
                release(c.inodes(), ino);
                throw e;
            }
            return null;
        });
        return new DaxDirectoryStream(fs, dir, ino, filter);
    }

    /** Keeps {@code ino} from naming another file while the stream is open (the root is never freed). */
    private static void hold(DaxInodes inodes, long ino) {
        if (ino != DaxInodes.ROOT) {
            inodes.holdNumber(ino);
        }
    }

    private static void release(DaxInodes inodes, long ino) {
        if (ino != DaxInodes.ROOT) {
            inodes.releaseNumber(ino);
        }
    }

    private interface InodeCall<T> {
        T call(DaxInodes inodes) throws DaxException, IOException;
    }

    /** Runs {@code call} with the inode API; errors name {@code about} (from this directory when relative). */
    private <T> T with(DaxPath about, InodeCall<T> call) throws IOException {
        if (closed) {
            throw new ClosedDirectoryStreamException();
        }
        return fs.with(about.isAbsolute() ? about : dir.resolve(about), c -> call.call(c.inodes()));
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
                    Path p = dir.resolve(page.pollFirst().name());
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
                    long from = cookie;
                    List<DirEntry> entries = fs.with(dir, c -> c.inodes().readdir(ino, from, PAGE));
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
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            fs.with(c -> {
                release(c.inodes(), ino);
                return null;
            });
        } catch (IOException | RuntimeException unmounted) {
            // the file system is closed: the hold went with it
        }
    }

    // ---------------------------------------------------------------- relative operations

    private static DaxPath daxPath(Path p) {
        if (!(p instanceof DaxPath d)) {
            throw new ProviderMismatchException("not a daxfs path: " + p);
        }
        return d;
    }

    /** The inode {@code path} names, from this directory when relative; links followed but the last unless {@code followLast}. */
    private long resolve(DaxInodes inodes, DaxPath path, boolean followLast) throws DaxException, IOException {
        Deque<String> names = new ArrayDeque<>(List.of(path.names()));
        long cur = path.isAbsolute() ? DaxInodes.ROOT : ino;
        int links = 0;
        while (!names.isEmpty()) {
            String n = names.pollFirst();
            if (n.isEmpty()) {
                continue;
            }
            FileStat st = inodes.lookup(cur, n);
            if (st.type() == FileType.SYMLINK && (followLast || !names.isEmpty())) {
                if (++links > MAX_LINKS) {
                    throw new FileSystemException(path.toString(), null, "ELOOP: too many levels of symbolic links");
                }
                String target = inodes.readlink(st.ino());
                if (target.startsWith("/")) {
                    cur = DaxInodes.ROOT;
                }
                String[] parts = target.split("/");
                for (int i = parts.length - 1; i >= 0; i--) {
                    names.addFirst(parts[i]);
                }
                continue;
            }
            cur = st.ino();
        }
        return cur;
    }

    /** The directory holding the last name of {@code path} (relative: from this one), and that name. */
    private record Entry(long dir, String name) {
    }

    private Entry entry(DaxInodes inodes, DaxPath path) throws DaxException, IOException {
        DaxPath parent = path.getParent();
        DaxPath name = path.getFileName();
        if (name == null) {
            throw new FileSystemException(path.toString(), null, "EINVAL: names no entry");
        }
        long d = parent == null ? (path.isAbsolute() ? DaxInodes.ROOT : ino) : resolve(inodes, parent, true);
        return new Entry(d, name.toString());
    }

    private static boolean exists(DaxInodes inodes, Entry e) throws DaxException {
        try {
            inodes.lookup(e.dir(), e.name());
            return true;
        } catch (DaxException x) {
            if (x.errno() == io.daxfs.types.Errno.ENOENT) {
                return false;
            }
            throw x;
        }
    }

    @Override
    public SecureDirectoryStream<Path> newDirectoryStream(Path path, LinkOption... options) throws IOException {
        DaxPath p = daxPath(path);
        boolean follow = !Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS);
        long target = with(p, in -> resolve(in, p, follow));
        return open(fs, p.isAbsolute() ? p : dir.resolve(p), target, null);
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        DaxPath p = daxPath(path);
        boolean write = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
        if (write && fs.isReadOnly()) {
            throw new java.nio.file.ReadOnlyFileSystemException();
        }
        boolean create = options.contains(StandardOpenOption.CREATE) || options.contains(StandardOpenOption.CREATE_NEW);
        OpenOption[] opts = options.toArray(OpenOption[]::new);
        int mode = DaxFileSystemProvider.modeOf(attrs, 0666);
        Entry[] where = new Entry[1];
        boolean[] created = new boolean[1];
        DaxFile file = with(p, in -> {
            Entry e = entry(in, p);
            where[0] = e;
            if (create) {
                created[0] = fs.watches().any() && !exists(in, e);
                Principals.Process me = Principals.self();
                return in.create(e.dir(), e.name(), mode, me.uid(), me.gid(),
                        options.contains(StandardOpenOption.CREATE_NEW), opts).file();
            }
            return in.open(resolve(in, p, !options.contains(LinkOption.NOFOLLOW_LINKS)), opts);
        });
        DaxPath shown = p.isAbsolute() ? p : dir.resolve(p);
        Entry e = where[0];
        if (created[0]) {
            fs.changedIn(e.dir(), StandardWatchEventKinds.ENTRY_CREATE, e.name());
        }
        Runnable onClose = options.contains(StandardOpenOption.DELETE_ON_CLOSE) ? () -> {
            try {
                fs.with(shown, c -> {
                    c.inodes().unlink(e.dir(), e.name());
                    return null;
                });
                fs.changedIn(e.dir(), StandardWatchEventKinds.ENTRY_DELETE, e.name());
            } catch (IOException | RuntimeException gone) {
                // deleted already, or the file system is closed
            }
        } : () -> { };
        boolean append = options.contains(StandardOpenOption.APPEND);
        return new DaxFileChannel(fs, file, shown.toString(), options.contains(StandardOpenOption.READ) || !write, write,
                append, onClose, () -> fs.changedIn(e.dir(), StandardWatchEventKinds.ENTRY_MODIFY, e.name()));
    }

    @Override
    public void deleteFile(Path path) throws IOException {
        DaxPath p = daxPath(path);
        with(p, in -> {
            Entry e = entry(in, p);
            if (in.lookup(e.dir(), e.name()).type() == FileType.DIRECTORY) {
                throw new FileSystemException(p.toString(), null, "EISDIR: a directory (deleteDirectory removes it)");
            }
            in.unlink(e.dir(), e.name());
            fs.changedIn(e.dir(), StandardWatchEventKinds.ENTRY_DELETE, e.name());
            return null;
        });
    }

    @Override
    public void deleteDirectory(Path path) throws IOException {
        DaxPath p = daxPath(path);
        with(p, in -> {
            Entry e = entry(in, p);
            in.rmdir(e.dir(), e.name());
            fs.changedIn(e.dir(), StandardWatchEventKinds.ENTRY_DELETE, e.name());
            return null;
        });
    }

    /** Renames {@code srcpath} (from this directory) to {@code targetpath} (from {@code targetdir}), atomically, replacing it. */
    @Override
    public void move(Path srcpath, SecureDirectoryStream<Path> targetdir, Path targetpath) throws IOException {
        DaxPath src = daxPath(srcpath);
        DaxPath dst = daxPath(targetpath);
        if (!(targetdir instanceof DaxDirectoryStream t) || t.fs != fs) {
            throw new ProviderMismatchException("the target directory is not a directory stream of this daxfs file system");
        }
        with(src, in -> {
            Entry from = entry(in, src);
            Entry to = t.entry(in, dst);
            in.rename(from.dir(), from.name(), to.dir(), to.name());
            fs.changedIn(from.dir(), StandardWatchEventKinds.ENTRY_DELETE, from.name());
            fs.changedIn(to.dir(), StandardWatchEventKinds.ENTRY_CREATE, to.name());
            return null;
        });
    }

    /** The directory's own view; a change of it is not reported to watches (its parent is not known here). */
    @Override
    public <V extends FileAttributeView> V getFileAttributeView(Class<V> type) {
        return view(type, dir, () -> ino, () -> { });
    }

    @Override
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        DaxPath p = daxPath(path);
        boolean follow = !Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS);
        return view(type, p, () -> with(p, in -> resolve(in, p, follow)), () -> {
            try {
                Entry e = with(p, in -> entry(in, p));
                fs.changedIn(e.dir(), StandardWatchEventKinds.ENTRY_MODIFY, e.name());
            } catch (IOException | RuntimeException gone) {
                // removed meanwhile: nothing to report
            }
        });
    }

    private interface InodeOf {
        long ino() throws IOException;
    }

    /** The basic, POSIX and owner view of the inode {@code target} gives, read and changed by number. */
    @SuppressWarnings("unchecked")
    private <V extends FileAttributeView> V view(Class<V> type, DaxPath about, InodeOf target, Runnable changed) {
        if (type == BasicFileAttributeView.class || type == PosixFileAttributeView.class || type == FileOwnerAttributeView.class) {
            PosixView.Status status = () -> {
                long n = target.ino();
                return with(about, in -> in.getattr(n));
            };
            return (V) new PosixView(fs, about.isAbsolute() ? about : dir.resolve(about), status, status, changed);
        }
        return null;
    }
}
