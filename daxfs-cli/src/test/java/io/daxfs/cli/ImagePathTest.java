package io.daxfs.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagePathTest {
    @TempDir
    Path dir;

    @Test
    void splitsImageAndPath() {
        ImagePath p = ImagePath.parse("demo.img:/a/b");
        assertEquals(Path.of("demo.img"), p.image());
        assertEquals("/a/b", p.path());
        assertEquals("demo.img:/a/b", p.toString());
    }

    @Test
    void normalisesThePathInside() {
        assertEquals("/a/b", ImagePath.parse("x.img://a/./b/").path());
        assertEquals("/", ImagePath.parse("x.img:/").path());
        assertEquals("/", ImagePath.parse("x.img:///").path());
        assertEquals("/a/../b", ImagePath.parse("x.img:/a/../b").path(), "'..' is the file system's business");
    }

    @Test
    void imageAloneMeansTheRoot() {
        ImagePath p = ImagePath.parse("demo.img");
        assertEquals(Path.of("demo.img"), p.image());
        assertTrue(p.isRoot());
    }

    @Test
    void colonsWithoutSlashStayInTheImageName() {
        ImagePath p = ImagePath.parse("backup-12:00.img:/x");
        assertEquals(Path.of("backup-12:00.img"), p.image());
        assertEquals("/x", p.path());
    }

    @Test
    void missingImageSplitsAtTheFirstSeparator() {
        // Nothing exists, so the error will name "a" as the missing image.
        ImagePath p = ImagePath.parse("a:/b:/c");
        assertEquals(Path.of("a"), p.image());
        assertEquals("/b:/c", p.path());
    }

    @Test
    void pathInsideTheImageMayContainTheSeparator() throws IOException {
        Path image = Files.createFile(dir.resolve("demo.img"));
        ImagePath p = ImagePath.parse(image + ":/odd:/name");
        assertEquals(image, p.image());
        assertEquals("/odd:/name", p.path());
    }

    @Test
    void imageNameMayContainTheSeparator() throws IOException {
        Path image = Files.createFile(Files.createDirectory(dir.resolve("d:")).resolve("demo.img"));
        ImagePath p = ImagePath.parse(image + ":/x");
        assertEquals(image, p.image());
        assertEquals("/x", p.path());
    }

    @Test
    void directoriesAreNotImages() throws IOException {
        Files.createDirectory(dir.resolve("a"));
        Path image = Files.createFile(Files.createDirectory(dir.resolve("a:")).resolve("b.img"));
        ImagePath p = ImagePath.parse(dir.resolve("a") + ":/b.img:/c");
        assertEquals(image, p.image());
        assertEquals("/c", p.path());
    }

    @Test
    void anExistingFileNamedLikeAnImagePathIsAnImage() throws IOException {
        Path image = Files.createFile(Files.createDirectory(dir.resolve("d:")).resolve("demo.img"));
        ImagePath p = ImagePath.parse(image.toString());
        assertEquals(image, p.image());
        assertTrue(p.isRoot());
    }

    @Test
    void resolveAndName() {
        ImagePath root = ImagePath.parse("x.img:/");
        assertEquals("", root.name());
        ImagePath child = root.resolve("a").resolve("b");
        assertEquals("/a/b", child.path());
        assertEquals("b", child.name());
    }

    @Test
    void rejectsEmptyArgument() {
        assertThrows(IllegalArgumentException.class, () -> ImagePath.parse(""));
        assertThrows(IllegalArgumentException.class, () -> ImagePath.parseEither(""));
    }

    @Test
    void cpArgumentWithoutSeparatorIsHostPath() {
        assertEquals(Optional.empty(), ImagePath.parseEither("notes.txt"));
        assertEquals(Optional.empty(), ImagePath.parseEither("/tmp/a:b"));
    }

    @Test
    void cpArgumentNamingAnExistingImageIsAnImagePath() throws IOException {
        Path image = Files.createFile(dir.resolve("demo.img"));
        assertEquals(Optional.of(new ImagePath(image, "/x")), ImagePath.parseEither(image + ":/x"));
    }

    @Test
    void cpArgumentForAMissingImageIsAnImagePath() {
        // So that a typo reports a missing image instead of writing to a strange host path.
        Path missing = dir.resolve("dmeo.img");
        assertEquals(Optional.of(new ImagePath(missing, "/x")), ImagePath.parseEither(missing + ":/x"));
    }

    @Test
    void cpArgumentInsideAnExistingHostDirectoryIsAHostPath() throws IOException {
        Path colonDir = Files.createDirectory(dir.resolve("out:"));
        assertEquals(Optional.empty(), ImagePath.parseEither(colonDir + "/new-file"));
        Path existing = Files.createFile(colonDir.resolve("old-file"));
        assertEquals(Optional.empty(), ImagePath.parseEither(existing.toString()));
    }
}
