package io.daxfs.nio;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DaxException;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchEvent;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One mounted daxfs image as a {@link FileSystem}: its paths, its store, its user lookup, and the
 * byte-range locks of its channels. {@link #close} unmounts; every later use throws
 * {@link ClosedFileSystemException}.
 *
 * <p>Operations hold the read side of {@link #life} while they use the mounted file system, and
 * close takes the write side, so an unmount never pulls the core out from under a running
 * operation, and an operation that starts after close sees the file system closed.
 */
public final class DaxNioFileSystem extends FileSystem {
    /** Symbolic links a path resolution follows at most (as the core does). */
    private static final int MAX_LINKS = 40;

    private final DaxFileSystemProvider provider;
    private final DaxFileSystem core;
    private final Path image;
    private final ReentrantReadWriteLock life = new ReentrantReadWriteLock();
    private volatile boolean open = true;
    private final DaxPath root;
    private final FileLocks locks = new FileLocks();
    private final Watches watches = new Watches();

    DaxNioFileSystem(DaxFileSystemProvider provider, DaxFileSystem core, Path image) {
        this.provider = provider;
        this.core = core;
        this.image = image;
        this.root = new DaxPath(this, true, new String[0]);
    }

    /** A core call that may fail with the core's error. */
    interface CoreCall<T> {
        T call(DaxFileSystem fs) throws DaxException, IOException;
    }

    /** Runs {@code call} on the mounted file system: ClosedFileSystemException once it is closed. */
    <T> T with(CoreCall<T> call) throws IOException {
        return run(image.toString(), call);
    }

    /** As {@link #with(CoreCall)}, naming {@code path} in the exception the core's error becomes. */
    <T> T with(DaxPath path, CoreCall<T> call) throws IOException {
        return run(path.toString(), call);
    }

    private <T> T run(String file, CoreCall<T> call) throws IOException {
        life.readLock().lock();
        try {
            if (!open) {
                throw new ClosedFileSystemException();
            }
            return call.call(core);
        } catch (DaxException e) {
            throw Errors.of(e, file);
        } finally {
            life.readLock().unlock();
        }
    }

    void checkOpen() {
        if (!open) {
            throw new ClosedFileSystemException();
        }
    }

    DaxFileSystem core() {
        return core;
    }

    Path image() {
        return image;
    }

    FileLocks locks() {
        return locks;
    }

    @Override
    public DaxFileSystemProvider provider() {
        return provider;
    }

    /** Unmounts the image (its data is made durable first). Later use throws ClosedFileSystemException. */
    @Override
    public void close() throws IOException {
        life.writeLock().lock();
        try {
            if (!open) {
                return;
            }
            open = false;
            provider.forget(this);
            core.close();
        } catch (DaxException e) {
            throw Errors.of(e, image.toString());
        } finally {
            life.writeLock().unlock();
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isReadOnly() {
        return core.isReadOnly();
    }

    @Override
    public String getSeparator() {
        return "/";
    }

    @Override
    public Iterable<Path> getRootDirectories() {
        checkOpen();
        return List.of(root);
    }

    @Override
    public Iterable<FileStore> getFileStores() {
        checkOpen();
        return List.of(new DaxFileStore(this));
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return DaxFileStore.VIEWS;
    }

    @Override
    public DaxPath getPath(String first, String... more) {
        return DaxPath.parse(this, first, more);
    }

    /** glob and regex with the JDK's own syntax: the default file system's matcher applied to the path string. */
    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        PathMatcher m = FileSystems.getDefault().getPathMatcher(syntaxAndPattern);
        return p -> m.matches(Path.of(p.toString()));
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        return Principals.LOOKUP;
    }

    /** A watch service fed by this file system's own changes (see {@link Watches}). */
    @Override
    public WatchService newWatchService() {
        checkOpen();
        return watches.new Service(this);
    }

    Watches watches() {
        return watches;
    }

    /**
     * Reports a change of {@code p} to the watches on its directory. Costs a stat of the
     * directory, and only while some directory of this file system is watched.
     */
    void changed(DaxPath p, WatchEvent.Kind<Path> kind) {
        if (!watches.any()) {
            return;
        }
        DaxPath abs = p.toAbsolutePath();
        DaxPath dir = abs.getParent();
        if (dir == null) {
            return;
        }
        try {
            String at = dir.corePath();
            long ino = with(dir, c -> c.stat(at).ino());
            changedIn(ino, kind, abs.getFileName().toString());
        } catch (IOException | RuntimeException gone) {
            // the directory went away meanwhile: nobody can be watching it
        }
    }

    /** Reports a change of entry {@code name} of directory inode {@code dirIno} to the watches on it. */
    void changedIn(long dirIno, WatchEvent.Kind<Path> kind, String name) {
        if (watches.any()) {
            watches.report(dirIno, kind, getPath(name));
        }
    }

    URI uriOf(String absolutePath) {
        try {
            return new URI(DaxFileSystemProvider.SCHEME, image.toUri() + "!" + absolutePath, null);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("no URI for " + absolutePath, e);
        }
    }

    /**
     * {@code p} with every link resolved (the last one only when {@code followLast}) and "." and
     * ".." gone, as the file system resolves them: ".." of a link's target goes up from where the
     * link points, not from the link.
     */
    DaxPath realPath(DaxPath p, boolean followLast) throws IOException {
        Deque<String> todo = new ArrayDeque<>(List.of(p.toAbsolutePath().names()));
        Deque<String> done = new ArrayDeque<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String n = todo.pollFirst();
            if (n.isEmpty() || n.equals(".")) {
                continue;
            }
            if (n.equals("..")) {
                done.pollLast();
                continue;
            }
            done.addLast(n);
            String at = "/" + String.join("/", done);
            FileStat st = with(p, fs -> fs.lstat(at));
            if (st.type() == FileType.SYMLINK && (followLast || !todo.isEmpty())) {
                if (++links > MAX_LINKS) {
                    throw new FileSystemException(p.toString(), null, "ELOOP: too many levels of symbolic links");
                }
                String target = with(p, fs -> fs.readlink(at));
                done.pollLast();
                if (target.startsWith("/")) {
                    done.clear();
                }
                List<String> parts = List.of(target.split("/"));
                for (int i = parts.size() - 1; i >= 0; i--) {
                    todo.addFirst(parts.get(i));
                }
            }
        }
        return new DaxPath(this, true, done.toArray(String[]::new));
    }

    DaxPath root() {
        return root;
    }
}
