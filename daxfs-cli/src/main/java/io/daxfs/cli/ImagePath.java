package io.daxfs.cli;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A path inside a daxfs image, written {@code IMAGE:/PATH} on the command line.
 *
 * <p>Host paths may contain ':' and even ':/' (a directory named "a:"), and so may paths inside an
 * image, so no purely textual split is right every time. Every image a command reads must
 * already exist, so the split is made where the left side names an existing file: the first
 * ':/' whose left side is an existing non-directory. Only when no left side exists is the first
 * ':/' used, so that the error names the missing image. The rules are spelled out to users in
 * {@link #SYNTAX_HELP}.
 *
 * @param image the image file (or device) on the host
 * @param path  the normalised absolute path inside the image: no empty or "." components, no
 *              trailing '/' except for the root itself
 */
public record ImagePath(Path image, String path) {
    private static final String SEPARATOR = ":/";

    /** The syntax as the help shows it. */
    public static final String SYNTAX_HELP = """
            IMAGE:/PATH names PATH inside the daxfs image IMAGE (an image file or a
            /dev/daxX.Y device). Host paths may contain ':/' too, so the split is at
            the first ':/' whose left side is an existing file, or at the first ':/'
            when there is none. Commands that take only image paths read an argument
            without ':/' (or one that is itself an existing file) as IMAGE:/. cp reads
            an argument as a host path when it has no ':/', or when no existing image
            explains it and it names an existing host path or a file in an existing
            host directory.""";

    /** Parses an argument of a command that takes only image paths. */
    public static ImagePath parse(String arg) {
        requireNonEmpty(arg);
        List<Integer> splits = splitPoints(arg);
        if (splits.isEmpty()) {
            return new ImagePath(hostPath(arg), "/");
        }
        for (int at : splits) {
            if (isExistingFile(arg.substring(0, at))) {
                return at(arg, at);
            }
        }
        if (isExistingFile(arg)) {
            return new ImagePath(hostPath(arg), "/");
        }
        return at(arg, splits.getFirst());
    }

    /**
     * Parses an argument that may name either a host file or an image path (cp). Empty means
     * "a host path".
     */
    public static Optional<ImagePath> parseEither(String arg) {
        requireNonEmpty(arg);
        List<Integer> splits = splitPoints(arg);
        if (splits.isEmpty()) {
            return Optional.empty();
        }
        for (int at : splits) {
            if (isExistingFile(arg.substring(0, at))) {
                return Optional.of(at(arg, at));
            }
        }
        Path host = hostPath(arg);
        Path parent = host.toAbsolutePath().getParent();
        if (Files.exists(host) || (parent != null && Files.isDirectory(parent))) {
            return Optional.empty();
        }
        return Optional.of(at(arg, splits.getFirst()));
    }

    /** The path of the named child of this directory. */
    public ImagePath resolve(String name) {
        return new ImagePath(image, normalize(path + "/" + name));
    }

    /** The last component of the path ("" for the root). */
    public String name() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    public boolean isRoot() {
        return path.equals("/");
    }

    /** The form the user typed, normalised: {@code IMAGE:/PATH}. */
    @Override
    public String toString() {
        return image + ":" + path;
    }

    /** Collapses repeated '/' and "." components and drops a trailing '/'. ".." is left to the file system. */
    static String normalize(String path) {
        StringBuilder sb = new StringBuilder();
        for (String part : path.split("/")) {
            if (!part.isEmpty() && !part.equals(".")) {
                sb.append('/').append(part);
            }
        }
        return sb.isEmpty() ? "/" : sb.toString();
    }

    private static ImagePath at(String arg, int colon) {
        return new ImagePath(hostPath(arg.substring(0, colon)), normalize(arg.substring(colon + 1)));
    }

    private static List<Integer> splitPoints(String arg) {
        List<Integer> points = new ArrayList<>();
        // A ':' at index 0 leaves no image name, so the search starts at 1.
        for (int i = arg.indexOf(SEPARATOR, 1); i >= 0; i = arg.indexOf(SEPARATOR, i + 1)) {
            points.add(i);
        }
        return points;
    }

    private static boolean isExistingFile(String candidate) {
        try {
            Path p = Path.of(candidate);
            return Files.exists(p) && !Files.isDirectory(p);
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static Path hostPath(String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("invalid host path '" + text + "': " + e.getReason());
        }
    }

    private static void requireNonEmpty(String arg) {
        if (arg.isEmpty()) {
            throw new IllegalArgumentException("empty path");
        }
    }
}
