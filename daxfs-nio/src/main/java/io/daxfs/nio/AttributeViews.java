package io.daxfs.nio;

import io.daxfs.types.FileExtents;
import io.daxfs.types.FileStat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.LinkOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The attribute views of a daxfs path, by class and by name: basic, posix (which is also owner),
 * unix (the POSIX view plus ino, dev, rdev, nlink, uid, gid, mode and ctime, as the default
 * provider names them), user (extended attributes in the {@code user.} namespace) and daxfs
 * ({@link DaxFileAttributeView}). Each view reads and writes through the path each time: a view
 * holds no state.
 */
final class AttributeViews {
    private static final List<String> BASIC = List.of("lastModifiedTime", "lastAccessTime", "creationTime", "size",
            "isRegularFile", "isDirectory", "isSymbolicLink", "isOther", "fileKey");
    private static final List<String> POSIX_MORE = List.of("owner", "group", "permissions");
    private static final List<String> UNIX_MORE = List.of("ino", "dev", "rdev", "nlink", "uid", "gid", "mode", "ctime");

    private final DaxPath path;
    private final boolean follow;

    AttributeViews(DaxPath path, LinkOption... options) {
        this.path = path;
        this.follow = !Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS);
    }

    FileStat stat() throws IOException {
        String p = path.corePath();
        return path.getFileSystem().with(path, fs -> follow ? fs.stat(p) : fs.lstat(p));
    }

    /** Reports an attribute change to the watches on the file's directory. */
    private void modified() {
        path.getFileSystem().changed(path, java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY);
    }

    FileAttributes attributes() throws IOException {
        return new FileAttributes(path.getFileSystem(), stat());
    }

    @SuppressWarnings("unchecked")
    <V extends FileAttributeView> V view(Class<V> type) {
        if (type == BasicFileAttributeView.class || type == PosixFileAttributeView.class || type == FileOwnerAttributeView.class) {
            return (V) posix();
        }
        if (type == UserDefinedFileAttributeView.class) {
            return (V) new User();
        }
        if (type == DaxFileAttributeView.class) {
            return (V) new Dax();
        }
        return null;
    }

    /** basic, posix and owner in one: reads follow links as the options say; changes go to the file the path leads to. */
    PosixView posix() {
        String p = path.corePath();
        return new PosixView(path.getFileSystem(), path, this::stat,
                () -> path.getFileSystem().with(path, fs -> fs.stat(p)), this::modified);
    }

    /** Extended attributes of the {@code user.} namespace, named without the prefix. */
    final class User implements UserDefinedFileAttributeView {
        @Override
        public String name() {
            return "user";
        }

        private LinkOption[] options() {
            return follow ? new LinkOption[0] : new LinkOption[]{LinkOption.NOFOLLOW_LINKS};
        }

        @Override
        public List<String> list() throws IOException {
            String p = path.corePath();
            List<String> all = path.getFileSystem().with(path, fs -> fs.listxattr(p, options()));
            List<String> out = new ArrayList<>();
            for (String n : all) {
                if (n.startsWith("user.")) {
                    out.add(n.substring(5));
                }
            }
            return out;
        }

        @Override
        public int size(String name) throws IOException {
            return value(name).length;
        }

        private byte[] value(String name) throws IOException {
            String p = path.corePath();
            return path.getFileSystem().with(path, fs -> fs.getxattr(p, "user." + name, options()));
        }

        @Override
        public int read(String name, ByteBuffer dst) throws IOException {
            byte[] v = value(name);
            if (dst.remaining() < v.length) {
                throw new java.nio.file.FileSystemException(path.toString(), null,
                        "ERANGE: attribute '" + name + "' has " + v.length + " bytes, the buffer " + dst.remaining());
            }
            dst.put(v);
            return v.length;
        }

        @Override
        public int write(String name, ByteBuffer src) throws IOException {
            byte[] v = new byte[src.remaining()];
            src.get(v);
            String p = path.corePath();
            path.getFileSystem().with(path, fs -> {
                fs.setxattr(p, "user." + name, v, 0, options());
                return null;
            });
            modified();
            return v.length;
        }

        @Override
        public void delete(String name) throws IOException {
            String p = path.corePath();
            path.getFileSystem().with(path, fs -> {
                fs.removexattr(p, "user." + name, options());
                return null;
            });
            modified();
        }
    }

    final class Dax implements DaxFileAttributeView {
        @Override
        public long ino() throws IOException {
            return stat().ino();
        }

        @Override
        public long allocatedBytes() throws IOException {
            return stat().blocks() * 512;
        }

        @Override
        public long extents() throws IOException {
            return fileExtents(stat()).extents();
        }

        @Override
        public long hugeAlignedBytes() throws IOException {
            return fileExtents(stat()).hugeAlignedBytes();
        }
    }

    /** The extents of the file whose stat is {@code st}: read through a read-only open of it; zeros if not regular. */
    FileExtents fileExtents(FileStat st) throws IOException {
        if (st.type() != io.daxfs.types.FileType.REGULAR) {
            return new FileExtents(0, 0, 0);
        }
        String p = path.corePath();
        return path.getFileSystem().with(path, fs -> {
            try (io.daxfs.api.DaxFile f = fs.open(p, java.nio.file.StandardOpenOption.READ)) {
                return f.extents();
            }
        });
    }

    // ---------------------------------------------------------------- by name

    /** {@code Files.readAttributes(path, "view:a,b")}: the named attributes of one view, "*" for all. */
    Map<String, Object> read(String attributes) throws IOException {
        int colon = attributes.indexOf(':');
        String view = colon < 0 ? "basic" : attributes.substring(0, colon);
        String names = colon < 0 ? attributes : attributes.substring(colon + 1);
        Map<String, Object> out = new LinkedHashMap<>();
        if (view.equals("user")) {
            User u = new User();
            List<String> wanted = names.equals("*") ? u.list() : List.of(names.split(","));
            for (String n : wanted) {
                out.put(n, u.value(n));
            }
            return out;
        }
        List<String> known = switch (view) {
            case "basic" -> BASIC;
            case "posix" -> concat(BASIC, POSIX_MORE);
            case "owner" -> List.of("owner");
            case "unix" -> concat(concat(BASIC, POSIX_MORE), UNIX_MORE);
            case "daxfs" -> List.of("ino", "allocatedBytes", "extents", "hugeAlignedBytes");
            default -> throw new UnsupportedOperationException("view '" + view + "' is not available");
        };
        FileAttributes a = attributes();
        FileStat st = a.stat();
        List<String> wanted = new java.util.ArrayList<>();
        for (String n : names.split(",")) {
            for (String x : n.equals("*") ? known : List.of(n)) {
                if (!known.contains(x)) {
                    throw new IllegalArgumentException("'" + x + "' is not an attribute of view '" + view + "'");
                }
                wanted.add(x);
            }
        }
        // Read once, and only when asked for: it opens the file.
        FileExtents extents = wanted.contains("extents") || wanted.contains("hugeAlignedBytes") ? fileExtents(st) : null;
        for (String x : wanted) {
            out.put(x, switch (x) {
                case "lastModifiedTime" -> a.lastModifiedTime();
                case "lastAccessTime" -> a.lastAccessTime();
                case "creationTime" -> a.creationTime();
                case "size" -> a.size();
                case "isRegularFile" -> a.isRegularFile();
                case "isDirectory" -> a.isDirectory();
                case "isSymbolicLink" -> a.isSymbolicLink();
                case "isOther" -> a.isOther();
                case "fileKey" -> a.fileKey();
                case "owner" -> a.owner();
                case "group" -> a.group();
                case "permissions" -> a.permissions();
                case "ino" -> st.ino();
                case "dev" -> (long) path.getFileSystem().image().hashCode();
                case "rdev" -> st.rdev();
                case "nlink" -> st.nlink();
                case "uid" -> st.uid();
                case "gid" -> st.gid();
                case "mode" -> st.mode();
                case "ctime" -> FileAttributes.time(st.ctimeNs());
                case "allocatedBytes" -> st.blocks() * 512;
                case "extents" -> extents.extents();
                case "hugeAlignedBytes" -> extents.hugeAlignedBytes();
                default -> throw new IllegalStateException(x);
            });
        }
        return out;
    }

    /** {@code Files.setAttribute(path, "view:name", value)}. */
    void set(String attribute, Object value) throws IOException {
        int colon = attribute.indexOf(':');
        String view = colon < 0 ? "basic" : attribute.substring(0, colon);
        String name = colon < 0 ? attribute : attribute.substring(colon + 1);
        PosixView posix = posix();
        switch (view + ":" + name) {
            case "basic:lastModifiedTime", "posix:lastModifiedTime", "unix:lastModifiedTime" ->
                    posix.setTimes((FileTime) value, null, null);
            case "basic:lastAccessTime", "posix:lastAccessTime", "unix:lastAccessTime" ->
                    posix.setTimes(null, (FileTime) value, null);
            case "basic:creationTime", "posix:creationTime", "unix:creationTime" -> posix.setTimes(null, null, (FileTime) value);
            case "posix:permissions", "unix:permissions" -> {
                @SuppressWarnings("unchecked")
                Set<PosixFilePermission> perms = (Set<PosixFilePermission>) value;
                posix.setPermissions(perms);
            }
            case "posix:owner", "owner:owner", "unix:owner" -> posix.setOwner((UserPrincipal) value);
            case "posix:group", "unix:group" -> posix.setGroup((GroupPrincipal) value);
            case "unix:mode" -> posix.setMode((Integer) value);
            case "unix:uid" -> posix.setUid((Integer) value);
            case "unix:gid" -> posix.setGid((Integer) value);
            default -> {
                if (view.equals("user")) {
                    ByteBuffer b = value instanceof byte[] bytes ? ByteBuffer.wrap(bytes) : (ByteBuffer) value;
                    new User().write(name, b);
                    return;
                }
                if (!DaxFileStore.VIEWS.contains(view)) {
                    throw new UnsupportedOperationException("view '" + view + "' is not available");
                }
                throw new IllegalArgumentException("'" + name + "' of view '" + view + "' cannot be set");
            }
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
