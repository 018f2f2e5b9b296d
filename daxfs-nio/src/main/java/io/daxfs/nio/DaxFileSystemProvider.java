package io.daxfs.nio;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DaxException;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.MountOptions;
import io.daxfs.types.RenameOption;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.spi.FileSystemProvider;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code daxfs} scheme of {@code java.nio.file}. A file system is an image mounted by
 * {@link #newFileSystem(Path, Map)} or {@link #newFileSystem(URI, Map)}; its URI, and every
 * path's, has the zip provider's form: {@code daxfs:<image URI>!<absolute path>}, e.g.
 * {@code daxfs:file:///data/pm.img!/dir/file}.
 *
 * <p>Environment keys when opening: {@code create} ("true": format the image if it does not
 * exist; needs {@code size}), {@code size} (bytes, a number or a string), {@code inodes} (with
 * create: the inode count, else one per 16 KiB), {@code readOnly},
 * {@code commitIntervalMs}, {@code cacheBudget} (bytes) and {@code atime} ("relatime",
 * "noatime", "strictatime"), the core's mount options, and {@code prefault} ("true": touch every
 * page of the image at mount, as MAP_POPULATE would, so that no access later takes a page fault
 * of the host; the first write to a block the host never mapped costs about 15 µs on tmpfs. A
 * sparse image then takes its whole size in memory). A mounted image is registered under its
 * absolute path until its file system is closed, so {@link Path#of(URI)} finds it.
 */
public final class DaxFileSystemProvider extends FileSystemProvider {
    static final String SCHEME = "daxfs";
    private static final int COPY_CHUNK = 1 << 20;

    /** Every mounted image, whichever instance of the provider mounted it (the JDK's installed one, or one made by hand). */
    private static final Map<Path, DaxNioFileSystem> open = new ConcurrentHashMap<>();

    /** Called by the service loader. */
    public DaxFileSystemProvider() {
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    // ---------------------------------------------------------------- file systems

    /**
     * The URI of the file system on {@code image}: {@code daxfs:<image URI>}, what
     * {@link java.nio.file.FileSystems#newFileSystem(URI, Map)} takes. (The Path form of that
     * method asks every installed provider in turn, and the JDK's zip provider claims any file
     * first, so a daxfs image is opened by URI, or by this provider's own newFileSystem.)
     */
    public static URI uriOf(Path image) {
        return URI.create(SCHEME + ":" + image.toAbsolutePath().normalize().toUri());
    }

    @Override
    public DaxNioFileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException {
        return newFileSystem(imageOf(uri), env);
    }

    @Override
    public DaxNioFileSystem newFileSystem(Path image, Map<String, ?> env) throws IOException {
        Path key = image.toAbsolutePath().normalize();
        synchronized (open) {
            if (open.containsKey(key)) {
                throw new FileSystemAlreadyExistsException(key.toString());
            }
            DaxFileSystem core;
            try {
                MountOptions options = mountOptions(env);
                if (Files.notExists(key) && Boolean.parseBoolean(String.valueOf(env.get("create")))) {
                    Object size = env.get("size");
                    if (size == null) {
                        throw new IllegalArgumentException("creating " + key + " needs a \"size\" in the environment");
                    }
                    io.daxfs.types.FormatOptions format = io.daxfs.types.FormatOptions.DEFAULT;
                    Object inodes = env.get("inodes");
                    if (inodes != null) {
                        format = format.withInodes(Long.parseLong(inodes.toString()));
                    }
                    DaxFileSystem.format(key, Long.parseLong(size.toString()), format).close();
                }
                if (Files.notExists(key)) {
                    throw new java.nio.file.NoSuchFileException(key.toString());
                }
                core = DaxFileSystem.mount(key, options);
                if (Boolean.parseBoolean(String.valueOf(env.get("prefault")))) {
                    core.prefault();
                }
            } catch (DaxException e) {
                throw Errors.of(e, key.toString());
            }
            DaxNioFileSystem fs = new DaxNioFileSystem(this, core, key);
            open.put(key, fs);
            return fs;
        }
    }

    private static MountOptions mountOptions(Map<String, ?> env) {
        MountOptions o = MountOptions.DEFAULT;
        Object v;
        if ((v = env.get("readOnly")) != null) {
            o = o.withReadOnly(Boolean.parseBoolean(v.toString()));
        }
        if ((v = env.get("commitIntervalMs")) != null) {
            o = o.withCommitIntervalMs(Long.parseLong(v.toString()));
        }
        if ((v = env.get("cacheBudget")) != null) {
            o = o.withCacheBudget(Long.parseLong(v.toString()));
        }
        if ((v = env.get("atime")) != null) {
            o = o.withAtime(MountOptions.Atime.valueOf(v.toString().toUpperCase(java.util.Locale.ROOT)));
        }
        return o;
    }

    void forget(DaxNioFileSystem fs) {
        open.remove(fs.image(), fs);
    }

    @Override
    public DaxNioFileSystem getFileSystem(URI uri) {
        DaxNioFileSystem fs = open.get(imageOf(uri).toAbsolutePath().normalize());
        if (fs == null) {
            throw new FileSystemNotFoundException(uri.toString());
        }
        return fs;
    }

    @Override
    public DaxPath getPath(URI uri) {
        DaxNioFileSystem fs = getFileSystem(uri);
        String ssp = uri.getSchemeSpecificPart();
        int bang = ssp.indexOf("!/");
        return fs.getPath(bang < 0 ? "/" : ssp.substring(bang + 1));
    }

    private static Path imageOf(URI uri) {
        if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("not a daxfs URI: " + uri);
        }
        String ssp = uri.getSchemeSpecificPart();
        int bang = ssp.indexOf("!/");
        String image = bang < 0 ? ssp : ssp.substring(0, bang);
        return Path.of(URI.create(image));
    }

    private static DaxPath daxPath(Path p) {
        if (!(p instanceof DaxPath d)) {
            throw new ProviderMismatchException("not a daxfs path: " + p);
        }
        return d;
    }

    // ---------------------------------------------------------------- files and directories

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        return newFileChannel(path, options, attrs);
    }

    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        DaxPath p = daxPath(path);
        DaxNioFileSystem fs = p.getFileSystem();
        boolean append = options.contains(StandardOpenOption.APPEND);
        boolean write = options.contains(StandardOpenOption.WRITE) || append;
        boolean read = options.contains(StandardOpenOption.READ) || !write;
        if (append && options.contains(StandardOpenOption.READ)) {
            throw new IllegalArgumentException("READ and APPEND together");
        }
        if (append && options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            throw new IllegalArgumentException("APPEND and TRUNCATE_EXISTING together");
        }
        for (OpenOption o : options) {
            if (!(o instanceof StandardOpenOption) && o != LinkOption.NOFOLLOW_LINKS) {
                throw new UnsupportedOperationException("open option " + o + " is not supported");
            }
        }
        if (write && fs.isReadOnly()) {
            throw new ReadOnlyFileSystemException();
        }
        int mode = modeOf(attrs, 0666);
        String at = p.corePath();
        OpenOption[] opts = options.toArray(OpenOption[]::new);
        boolean creating = (options.contains(StandardOpenOption.CREATE) || options.contains(StandardOpenOption.CREATE_NEW))
                && fs.watches().any() && !fs.with(p, c -> c.exists(at));
        DaxFile file = fs.with(p, c -> {
            try {
                return c.open(at, mode, opts);
            } catch (DaxException e) {
                if (e.errno() == io.daxfs.types.Errno.EISDIR && !write) {
                    return null; // open(dir, O_RDONLY) succeeds on Linux: programs fsync directories
                }
                throw e;
            }
        });
        if (file == null) {
            return new DirectoryChannel(fs, p);
        }
        if (creating) {
            fs.changed(p, StandardWatchEventKinds.ENTRY_CREATE);
        } else if (write && options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            fs.changed(p, StandardWatchEventKinds.ENTRY_MODIFY);
        }
        Runnable onClose = options.contains(StandardOpenOption.DELETE_ON_CLOSE) ? () -> {
            try {
                fs.with(p, c -> {
                    c.unlink(at);
                    return null;
                });
                fs.changed(p, StandardWatchEventKinds.ENTRY_DELETE);
            } catch (IOException | RuntimeException gone) {
                // deleted already, or the file system is closed: nothing to delete
            }
        } : () -> { };
        return new DaxFileChannel(fs, file, p.toString(), read, write, append, onClose,
                () -> fs.changed(p, StandardWatchEventKinds.ENTRY_MODIFY));
    }

    /** The permission bits a "posix:permissions" attribute gives, else {@code dflt}; any other attribute is refused. */
    static int modeOf(FileAttribute<?>[] attrs, int dflt) {
        int mode = dflt;
        for (FileAttribute<?> a : attrs) {
            if (!a.name().equals("posix:permissions") && !a.name().equals("unix:permissions")) {
                throw new UnsupportedOperationException("initial attribute '" + a.name() + "' is not supported");
            }
            @SuppressWarnings("unchecked")
            Set<PosixFilePermission> perms = (Set<PosixFilePermission>) a.value();
            mode = FileAttributes.mode(perms);
        }
        return mode;
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
        DaxPath p = daxPath(dir);
        String at = p.corePath();
        FileStat st = p.getFileSystem().with(p, c -> c.stat(at));
        if (st.type() != FileType.DIRECTORY) {
            throw new NotDirectoryException(p.toString());
        }
        return DaxDirectoryStream.open(p.getFileSystem(), p, st.ino(), filter);
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        DaxPath p = daxPath(dir);
        checkWritable(p);
        int mode = modeOf(attrs, 0777);
        String at = p.corePath();
        p.getFileSystem().with(p, c -> {
            c.mkdir(at, mode);
            return null;
        });
        p.getFileSystem().changed(p, StandardWatchEventKinds.ENTRY_CREATE);
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        DaxPath p = daxPath(link);
        checkWritable(p);
        if (attrs.length > 0) {
            throw new UnsupportedOperationException("a symbolic link takes no initial attributes");
        }
        String t = target.toString();
        String at = p.corePath();
        p.getFileSystem().with(p, c -> {
            c.symlink(t, at);
            return null;
        });
        p.getFileSystem().changed(p, StandardWatchEventKinds.ENTRY_CREATE);
    }

    @Override
    public void createLink(Path link, Path existing) throws IOException {
        DaxPath p = daxPath(link);
        DaxPath e = daxPath(existing);
        if (e.getFileSystem() != p.getFileSystem()) {
            throw new java.nio.file.FileSystemException(e.toString(), p.toString(), "EXDEV: a link across file systems");
        }
        checkWritable(p);
        String from = e.corePath();
        String at = p.corePath();
        p.getFileSystem().with(p, c -> {
            c.link(from, at);
            return null;
        });
        p.getFileSystem().changed(p, StandardWatchEventKinds.ENTRY_CREATE);
    }

    @Override
    public void delete(Path path) throws IOException {
        DaxPath p = daxPath(path);
        checkWritable(p);
        String at = p.corePath();
        p.getFileSystem().with(p, c -> {
            if (c.lstat(at).type() == FileType.DIRECTORY) {
                c.rmdir(at);
            } else {
                c.unlink(at);
            }
            return null;
        });
        p.getFileSystem().changed(p, StandardWatchEventKinds.ENTRY_DELETE);
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
        DaxPath p = daxPath(link);
        String at = p.corePath();
        String target = p.getFileSystem().with(p, c -> {
            if (c.lstat(at).type() != FileType.SYMLINK) {
                return null;
            }
            return c.readlink(at);
        });
        if (target == null) {
            throw new NotLinkException(p.toString());
        }
        return p.getFileSystem().getPath(target);
    }

    private static void checkWritable(DaxPath p) {
        if (p.getFileSystem().isReadOnly()) {
            p.getFileSystem().checkOpen();
            throw new ReadOnlyFileSystemException();
        }
    }

    // ---------------------------------------------------------------- copy and move

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
        Set<CopyOption> o = new HashSet<>(Arrays.asList(options));
        if (o.contains(StandardCopyOption.ATOMIC_MOVE)) {
            throw new UnsupportedOperationException("ATOMIC_MOVE is an option of move, not of copy");
        }
        copy(daxPath(source), daxPath(target), o);
    }

    private void copy(DaxPath src, DaxPath dst, Set<CopyOption> o) throws IOException {
        boolean follow = !o.contains(LinkOption.NOFOLLOW_LINKS);
        String from = src.corePath();
        FileStat st = src.getFileSystem().with(src, c -> follow ? c.stat(from) : c.lstat(from));
        boolean exists = exists(dst);
        if (exists && isSameFile(src, dst)) {
            return;
        }
        checkWritable(dst);
        String to = dst.corePath();
        if (exists) {
            if (!o.contains(StandardCopyOption.REPLACE_EXISTING)) {
                throw new FileAlreadyExistsException(dst.toString());
            }
            delete(dst);
        }
        DaxNioFileSystem dfs = dst.getFileSystem();
        if (st.type() != FileType.REGULAR) {
            dfs.changed(dst, StandardWatchEventKinds.ENTRY_CREATE); // a regular file's channel reports its own
        }
        switch (st.type()) {
            case DIRECTORY -> dfs.with(dst, c -> {
                c.mkdir(to, st.permissions());
                return null;
            });
            case SYMLINK -> {
                String t = src.getFileSystem().with(src, c -> c.readlink(from));
                dfs.with(dst, c -> {
                    c.symlink(t, to);
                    return null;
                });
            }
            case REGULAR -> copyBytes(src, dst, st);
            default -> dfs.with(dst, c -> {
                c.mknod(to, st.mode(), st.rdev());
                return null;
            });
        }
        if (o.contains(StandardCopyOption.COPY_ATTRIBUTES) && st.type() != FileType.SYMLINK) {
            dfs.with(dst, c -> {
                c.chmod(to, st.permissions());
                c.utimes(to, st.atimeNs(), st.mtimeNs());
                return null;
            });
        }
    }

    private static void copyBytes(DaxPath src, DaxPath dst, FileStat st) throws IOException {
        try (FileChannel in = src.getFileSystem().provider().newFileChannel(src, Set.of(StandardOpenOption.READ));
             FileChannel out = dst.getFileSystem().provider().newFileChannel(dst,
                     Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW),
                     java.nio.file.attribute.PosixFilePermissions.asFileAttribute(FileAttributes.permissions(st.mode())))) {
            ByteBuffer buf = ByteBuffer.allocateDirect(COPY_CHUNK);
            long pos = 0;
            while (in.read(buf.clear(), pos) > 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    pos += out.write(buf, pos);
                }
            }
        }
    }

    private boolean exists(DaxPath p) throws IOException {
        String at = p.corePath();
        return p.getFileSystem().with(p, c -> c.exists(at));
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        DaxPath src = daxPath(source);
        DaxPath dst = daxPath(target);
        Set<CopyOption> o = new HashSet<>(Arrays.asList(options));
        if (src.getFileSystem() != dst.getFileSystem()) {
            if (o.contains(StandardCopyOption.ATOMIC_MOVE)) {
                throw new AtomicMoveNotSupportedException(src.toString(), dst.toString(), "another daxfs file system");
            }
            o.add(StandardCopyOption.COPY_ATTRIBUTES);
            o.add(LinkOption.NOFOLLOW_LINKS);
            copy(src, dst, o);
            delete(src);
            return;
        }
        checkWritable(dst);
        String from = src.corePath();
        String to = dst.corePath();
        boolean replace = o.contains(StandardCopyOption.REPLACE_EXISTING) || o.contains(StandardCopyOption.ATOMIC_MOVE);
        src.getFileSystem().with(src, c -> {
            if (replace) {
                c.rename(from, to);
            } else {
                c.rename(from, to, RenameOption.NOREPLACE);
            }
            return null;
        });
        src.getFileSystem().changed(src, StandardWatchEventKinds.ENTRY_DELETE);
        dst.getFileSystem().changed(dst, StandardWatchEventKinds.ENTRY_CREATE);
    }

    @Override
    public boolean isSameFile(Path path, Path path2) throws IOException {
        if (path.equals(path2)) {
            return true;
        }
        if (!(path instanceof DaxPath a) || !(path2 instanceof DaxPath b) || a.getFileSystem() != b.getFileSystem()) {
            return false;
        }
        String pa = a.corePath();
        String pb = b.corePath();
        long ia = a.getFileSystem().with(a, c -> c.stat(pa).ino());
        long ib = b.getFileSystem().with(b, c -> c.stat(pb).ino());
        return ia == ib;
    }

    @Override
    public boolean isHidden(Path path) {
        DaxPath p = daxPath(path);
        DaxPath name = p.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    @Override
    public FileStore getFileStore(Path path) throws IOException {
        DaxPath p = daxPath(path);
        String at = p.corePath();
        p.getFileSystem().with(p, c -> c.stat(at));
        return new DaxFileStore(p.getFileSystem());
    }

    /** Checks access as the JVM's user (uid and groups) with the file's mode and ACL. */
    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        DaxPath p = daxPath(path);
        String at = p.corePath();
        int want = 0;
        for (AccessMode m : modes) {
            want |= switch (m) {
                case READ -> 4;
                case WRITE -> 2;
                case EXECUTE -> 1;
            };
        }
        if ((want & 2) != 0 && p.getFileSystem().isReadOnly()) {
            p.getFileSystem().with(p, c -> c.stat(at));
            throw new AccessDeniedException(p.toString(), null, "read-only file system");
        }
        int bits = want;
        Principals.Process me = Principals.self();
        p.getFileSystem().with(p, c -> {
            c.stat(at);
            if (bits != 0) {
                c.checkAccess(at, me.uid(), me.gids(), bits);
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- attributes

    @Override
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        return new AttributeViews(daxPath(path), options).view(type);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options) throws IOException {
        if (type != BasicFileAttributes.class && type != PosixFileAttributes.class) {
            throw new UnsupportedOperationException("attributes " + type.getName() + " are not supported");
        }
        return (A) new AttributeViews(daxPath(path), options).attributes();
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
        return new AttributeViews(daxPath(path), options).read(attributes);
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        DaxPath p = daxPath(path);
        checkWritable(p);
        new AttributeViews(p, options).set(attribute, value);
    }

    /** The file systems open now (for tests and tools). */
    List<DaxNioFileSystem> openFileSystems() {
        return List.copyOf(open.values());
    }
}
