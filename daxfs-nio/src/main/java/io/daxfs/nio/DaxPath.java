package io.daxfs.nio;

import java.io.IOException;
import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * A path on a daxfs file system: an optional root "/" and a list of names, kept as the core's
 * names are (Strings whose characters stand for the name's bytes exactly, see
 * {@code io.daxfs.types.FileNames}). Immutable; "." and ".." are names until {@link #normalize}
 * or the file system resolves them. The empty path has one empty name, as the JDK's has.
 *
 * <p>Equality and order compare the path strings, so two paths are equal exactly when they name
 * the same sequence of bytes on the same file system.
 */
public final class DaxPath implements Path {
    private final DaxNioFileSystem fs;
    private final boolean absolute;
    private final String[] names;
    private volatile String string;

    DaxPath(DaxNioFileSystem fs, boolean absolute, String[] names) {
        this.fs = fs;
        this.absolute = absolute;
        this.names = names;
    }

    /** Parses {@code first} and {@code more} joined by '/': repeated and trailing slashes collapse, NUL is refused. */
    static DaxPath parse(DaxNioFileSystem fs, String first, String... more) {
        StringBuilder sb = new StringBuilder(first);
        for (String m : more) {
            if (!m.isEmpty()) {
                if (!sb.isEmpty()) {
                    sb.append('/');
                }
                sb.append(m);
            }
        }
        String s = sb.toString();
        int nul = s.indexOf('\0');
        if (nul >= 0) {
            throw new InvalidPathException(s, "NUL character not allowed", nul);
        }
        List<String> parts = new ArrayList<>();
        for (String p : s.split("/")) {
            if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        boolean abs = s.startsWith("/");
        if (!abs && parts.isEmpty()) {
            return new DaxPath(fs, false, new String[]{""});
        }
        return new DaxPath(fs, abs, parts.toArray(String[]::new));
    }

    private boolean isEmptyPath() {
        return !absolute && names.length == 1 && names[0].isEmpty();
    }

    /** The path as the core API takes it: absolute, from the file system's root. */
    String corePath() {
        return toAbsolutePath().toString();
    }

    @Override
    public DaxNioFileSystem getFileSystem() {
        return fs;
    }

    @Override
    public boolean isAbsolute() {
        return absolute;
    }

    @Override
    public DaxPath getRoot() {
        return absolute ? new DaxPath(fs, true, new String[0]) : null;
    }

    @Override
    public DaxPath getFileName() {
        if (names.length == 0) {
            return null;
        }
        if (names.length == 1 && !absolute) {
            return this;
        }
        return new DaxPath(fs, false, new String[]{names[names.length - 1]});
    }

    @Override
    public DaxPath getParent() {
        if (names.length == 0 || names.length == 1 && !absolute) {
            return null;
        }
        return new DaxPath(fs, absolute, Arrays.copyOf(names, names.length - 1));
    }

    @Override
    public int getNameCount() {
        return names.length;
    }

    @Override
    public DaxPath getName(int index) {
        if (index < 0 || index >= names.length) {
            throw new IllegalArgumentException("name index " + index + " of a path with " + names.length + " names");
        }
        return new DaxPath(fs, false, new String[]{names[index]});
    }

    @Override
    public DaxPath subpath(int beginIndex, int endIndex) {
        if (beginIndex < 0 || beginIndex >= names.length || endIndex <= beginIndex || endIndex > names.length) {
            throw new IllegalArgumentException("subpath [" + beginIndex + ", " + endIndex + ") of " + names.length + " names");
        }
        return new DaxPath(fs, false, Arrays.copyOfRange(names, beginIndex, endIndex));
    }

    @Override
    public boolean startsWith(Path other) {
        if (!(other instanceof DaxPath o) || o.fs != fs || o.absolute != absolute || o.names.length > names.length) {
            return false;
        }
        if (o.isEmptyPath()) {
            return isEmptyPath();
        }
        for (int i = 0; i < o.names.length; i++) {
            if (!o.names[i].equals(names[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean endsWith(Path other) {
        if (!(other instanceof DaxPath o) || o.fs != fs) {
            return false;
        }
        if (o.absolute) {
            return equals(o);
        }
        if (o.isEmptyPath()) {
            return isEmptyPath();
        }
        if (o.names.length > names.length) {
            return false;
        }
        for (int i = 1; i <= o.names.length; i++) {
            if (!o.names[o.names.length - i].equals(names[names.length - i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public DaxPath normalize() {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (n.equals(".") || n.isEmpty()) {
                continue;
            }
            if (n.equals("..")) {
                if (!out.isEmpty() && !out.getLast().equals("..")) {
                    out.removeLast();
                    continue;
                }
                if (absolute) {
                    continue; // ".." of the root is the root
                }
            }
            out.add(n);
        }
        if (!absolute && out.isEmpty()) {
            return new DaxPath(fs, false, new String[]{""});
        }
        return new DaxPath(fs, absolute, out.toArray(String[]::new));
    }

    @Override
    public DaxPath resolve(Path other) {
        DaxPath o = check(other);
        if (o.absolute) {
            return o;
        }
        if (o.isEmptyPath()) {
            return this;
        }
        if (isEmptyPath()) {
            return o;
        }
        String[] joined = Arrays.copyOf(names, names.length + o.names.length);
        System.arraycopy(o.names, 0, joined, names.length, o.names.length);
        return new DaxPath(fs, absolute, joined);
    }

    @Override
    public DaxPath relativize(Path other) {
        DaxPath o = check(other);
        if (o.absolute != absolute) {
            throw new IllegalArgumentException("'" + o + "' and '" + this + "': one is absolute, the other is not");
        }
        if (equals(o)) {
            return new DaxPath(fs, false, new String[]{""});
        }
        String[] from = isEmptyPath() ? new String[0] : names;
        String[] to = o.isEmptyPath() ? new String[0] : o.names;
        int common = 0;
        while (common < from.length && common < to.length && from[common].equals(to[common])) {
            common++;
        }
        List<String> out = new ArrayList<>();
        for (int i = common; i < from.length; i++) {
            out.add("..");
        }
        out.addAll(Arrays.asList(to).subList(common, to.length));
        if (out.isEmpty()) {
            return new DaxPath(fs, false, new String[]{""});
        }
        return new DaxPath(fs, false, out.toArray(String[]::new));
    }

    @Override
    public URI toUri() {
        return fs.uriOf(toAbsolutePath().normalize().toString());
    }

    @Override
    public DaxPath toAbsolutePath() {
        if (absolute) {
            return this;
        }
        return new DaxPath(fs, true, isEmptyPath() ? new String[0] : names);
    }

    /**
     * The path of the file itself, with every symbolic link resolved (unless NOFOLLOW_LINKS, which
     * keeps a final link) and "." and ".." taken away; NoSuchFileException when it does not exist.
     */
    @Override
    public DaxPath toRealPath(LinkOption... options) throws IOException {
        boolean follow = !Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS);
        return fs.realPath(this, follow);
    }

    /** Watches this directory for the kinds given (OVERFLOW is always reported). */
    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
            throws IOException {
        Objects.requireNonNull(watcher);
        if (!(watcher instanceof Watches.Service service) || service.fileSystem() != fs) {
            throw new ProviderMismatchException("not a watch service of this daxfs file system");
        }
        if (modifiers.length > 0) {
            throw new UnsupportedOperationException("watch modifiers are not supported");
        }
        java.util.Set<WatchEvent.Kind<?>> kinds = new java.util.HashSet<>();
        for (WatchEvent.Kind<?> k : events) {
            if (k != java.nio.file.StandardWatchEventKinds.ENTRY_CREATE && k != java.nio.file.StandardWatchEventKinds.ENTRY_DELETE
                    && k != java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY && k != java.nio.file.StandardWatchEventKinds.OVERFLOW) {
                throw new UnsupportedOperationException("watch event kind " + k.name() + " is not supported");
            }
            kinds.add(k);
        }
        kinds.add(java.nio.file.StandardWatchEventKinds.OVERFLOW);
        String at = corePath();
        io.daxfs.types.FileStat st = fs.with(this, c -> c.stat(at));
        if (st.type() != io.daxfs.types.FileType.DIRECTORY) {
            throw new java.nio.file.NotDirectoryException(toString());
        }
        return fs.watches().register(service, this, st.ino(), kinds);
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>... events) throws IOException {
        return register(watcher, events, new WatchEvent.Modifier[0]);
    }

    @Override
    public Iterator<Path> iterator() {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            out.add(getName(i));
        }
        return out.iterator();
    }

    @Override
    public int compareTo(Path other) {
        return toString().compareTo(((DaxPath) other).toString());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DaxPath p && p.fs == fs && p.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        String s = string;
        if (s == null) {
            s = (absolute ? "/" : "") + String.join("/", names);
            string = s;
        }
        return s;
    }

    private DaxPath check(Path other) {
        if (!(other instanceof DaxPath o)) {
            throw new ProviderMismatchException("not a daxfs path: " + other);
        }
        if (o.fs != fs) {
            throw new ProviderMismatchException("a path of another daxfs file system: " + other);
        }
        return o;
    }

    /** The names, for walking. */
    String[] names() {
        return names.clone();
    }

    static NoSuchFileException missing(DaxPath p) {
        return new NoSuchFileException(p.toString());
    }
}
