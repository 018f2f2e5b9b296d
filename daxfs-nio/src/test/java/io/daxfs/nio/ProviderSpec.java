package io.daxfs.nio;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessMode;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.ProviderMismatchException;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.DELETE_ON_CLOSE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daxfs provider against the {@code java.nio.file} contract, through {@code Files} and the JDK's own entry points. */
class ProviderSpec {
    @TempDir
    Path host;

    Path image;
    FileSystem fs;

    @BeforeEach
    void open() throws IOException {
        image = host.resolve("pm.img");
        fs = FileSystems.newFileSystem(DaxFileSystemProvider.uriOf(image), Map.of("create", "true", "size", 64L << 20));
    }

    @AfterEach
    void close() throws IOException {
        fs.close();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Nested
    class Opening {
        @Test
        void theProviderIsFoundByItsSchemeAndTheImageByItsUri() throws IOException {
            assertEquals("daxfs", fs.provider().getScheme());
            Files.write(fs.getPath("/a.txt"), utf8("hello"));
            URI uri = fs.getPath("/a.txt").toUri();
            assertEquals("daxfs", uri.getScheme());
            assertTrue(uri.toString().endsWith("pm.img!/a.txt"), uri.toString());
            Path back = Path.of(uri);
            assertEquals(fs.getPath("/a.txt"), back);
            assertArrayEquals(utf8("hello"), Files.readAllBytes(back));
            assertSame(fs, FileSystems.getFileSystem(URI.create("daxfs:" + image.toUri())));
        }

        @Test
        void aMountedImageCannotBeOpenedTwice() {
            assertThrows(FileSystemAlreadyExistsException.class, () -> fs.provider().newFileSystem(image, Map.of()));
            assertThrows(FileSystemAlreadyExistsException.class,
                    () -> FileSystems.newFileSystem(URI.create("daxfs:" + image.toUri()), Map.of()));
        }

        @Test
        void closingUnmountsAndLaterUseIsClosedFileSystemException() throws IOException {
            Path p = fs.getPath("/kept");
            Files.write(p, utf8("durable"));
            fs.close();
            assertFalse(fs.isOpen());
            assertThrows(ClosedFileSystemException.class, () -> Files.readAllBytes(p));
            assertThrows(ClosedFileSystemException.class, () -> Files.size(p));
            assertThrows(FileSystemNotFoundException.class, () -> Path.of(p.toUri()));
            fs.close(); // a second close does nothing
            fs = FileSystems.newFileSystem(URI.create("daxfs:" + image.toUri()), Map.of());
            assertArrayEquals(utf8("durable"), Files.readAllBytes(fs.getPath("/kept")));
        }

        @Test
        void aMissingImageWithoutCreateIsNoSuchFile() {
            assertThrows(NoSuchFileException.class, () -> FileSystems.newFileSystem(DaxFileSystemProvider.uriOf(host.resolve("none.img")), Map.of()));
        }

        @Test
        void aReadOnlyFileSystemRefusesChanges() throws IOException {
            Files.write(fs.getPath("/f"), utf8("x"));
            fs.close();
            fs = FileSystems.newFileSystem(DaxFileSystemProvider.uriOf(image), Map.of("readOnly", "true"));
            assertTrue(fs.isReadOnly());
            assertArrayEquals(utf8("x"), Files.readAllBytes(fs.getPath("/f")));
            assertThrows(ReadOnlyFileSystemException.class, () -> Files.write(fs.getPath("/g"), utf8("y")));
            assertThrows(ReadOnlyFileSystemException.class, () -> Files.delete(fs.getPath("/f")));
            assertThrows(ReadOnlyFileSystemException.class, () -> Files.createDirectory(fs.getPath("/d")));
        }
    }

    @Nested
    class Paths {
        @Test
        void resolveRelativizeAndNormalizeFollowThePathContract() {
            Path a = fs.getPath("/x/y");
            assertEquals(fs.getPath("/x/y/z"), a.resolve("z"));
            assertEquals(fs.getPath("/q"), a.resolve("/q"));
            assertEquals(fs.getPath("/x/w"), a.resolveSibling("w"));
            assertEquals(fs.getPath("../../p/q"), a.relativize(fs.getPath("/p/q")));
            assertEquals(fs.getPath("/p/q"), a.resolve(a.relativize(fs.getPath("/p/q"))).normalize());
            assertEquals(fs.getPath(""), a.relativize(a));
            assertEquals(fs.getPath("/a/c"), fs.getPath("/a/./b/../c").normalize());
            assertEquals(fs.getPath("/"), fs.getPath("/..").normalize());
            assertEquals(fs.getPath("../a"), fs.getPath("../a").normalize());
            assertEquals(fs.getPath("/a/b"), fs.getPath("//a///b/"));
            assertThrows(IllegalArgumentException.class, () -> a.relativize(fs.getPath("rel")));
        }

        @Test
        void namesRootsParentsAndIteration() {
            Path p = fs.getPath("/a/b/c");
            assertEquals(3, p.getNameCount());
            assertEquals(fs.getPath("b"), p.getName(1));
            assertEquals(fs.getPath("c"), p.getFileName());
            assertEquals(fs.getPath("/a/b"), p.getParent());
            assertEquals(fs.getPath("/"), p.getRoot());
            assertNull(fs.getPath("/").getFileName());
            assertNull(fs.getPath("/").getParent());
            assertNull(fs.getPath("a").getParent());
            assertEquals(fs.getPath("b/c"), p.subpath(1, 3));
            List<String> names = new ArrayList<>();
            p.forEach(n -> names.add(n.toString()));
            assertEquals(List.of("a", "b", "c"), names);
            assertTrue(p.startsWith("/a/b"));
            assertFalse(p.startsWith("/a/bc"));
            assertFalse(p.startsWith("a"));
            assertTrue(p.endsWith("b/c"));
            assertFalse(p.endsWith("/b/c"));
            assertTrue(fs.getPath("/a").compareTo(fs.getPath("/b")) < 0);
            assertEquals(1, fs.getPath("").getNameCount());
            assertThrows(ProviderMismatchException.class, () -> p.resolve(Path.of("x")));
        }

        @Test
        void realPathsResolveEveryLink() throws IOException {
            Files.createDirectories(fs.getPath("/real/dir"));
            Files.createSymbolicLink(fs.getPath("/link"), fs.getPath("real/dir"));
            Files.createSymbolicLink(fs.getPath("/real/dir/up"), fs.getPath(".."));
            Files.write(fs.getPath("/real/f"), utf8("f"));
            assertEquals(fs.getPath("/real/f"), fs.getPath("/link/up/f").toRealPath());
            assertEquals(fs.getPath("/link"), fs.getPath("/link").toRealPath(LinkOption.NOFOLLOW_LINKS));
            assertThrows(NoSuchFileException.class, () -> fs.getPath("/link/none").toRealPath());
        }

        @Test
        void globAndRegexMatchers() {
            PathMatcher glob = fs.getPathMatcher("glob:/logs/**/*.{log,txt}");
            assertTrue(glob.matches(fs.getPath("/logs/a/b/x.log")));
            assertFalse(glob.matches(fs.getPath("/logs/x.bin")));
            PathMatcher regex = fs.getPathMatcher("regex:.*/[0-9]+");
            assertTrue(regex.matches(fs.getPath("/d/123")));
            assertFalse(regex.matches(fs.getPath("/d/12a")));
        }
    }

    @Nested
    class FilesAndDirectories {
        @Test
        void writeReadAndListWithAFilter() throws IOException {
            Path d = Files.createDirectory(fs.getPath("/d"));
            for (int i = 0; i < 600; i++) {
                Files.write(d.resolve("f" + i + (i % 2 == 0 ? ".even" : ".odd")), utf8("n" + i));
            }
            List<String> even = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(d, "*.even")) {
                s.forEach(p -> even.add(p.getFileName().toString()));
                assertThrows(IllegalStateException.class, s::iterator);
            }
            assertEquals(300, even.size());
            try (Stream<Path> all = Files.list(d)) {
                assertEquals(600, all.count());
            }
            assertArrayEquals(utf8("n7"), Files.readAllBytes(d.resolve("f7.odd")));
            try (Stream<Path> walk = Files.walk(fs.getPath("/"))) {
                assertEquals(602, walk.count(), "the root, /d and its files");
            }
        }

        @Test
        void aSecureDirectoryStreamWorksFromItsDirectoryEvenAfterARename() throws IOException {
            Path d = Files.createDirectories(fs.getPath("/d/sub"));
            Files.write(fs.getPath("/d/old"), utf8("old"));
            try (DirectoryStream<Path> plain = Files.newDirectoryStream(fs.getPath("/d"))) {
                assertInstanceOf(java.nio.file.SecureDirectoryStream.class, plain);
                @SuppressWarnings("unchecked")
                java.nio.file.SecureDirectoryStream<Path> s = (java.nio.file.SecureDirectoryStream<Path>) plain;
                Files.move(fs.getPath("/d"), fs.getPath("/moved"));
                // Relative operations follow the directory, not its old path.
                try (var ch = s.newByteChannel(fs.getPath("new"), Set.of(CREATE_NEW, WRITE))) {
                    ch.write(ByteBuffer.wrap(utf8("made")));
                }
                assertArrayEquals(utf8("made"), Files.readAllBytes(fs.getPath("/moved/new")));
                try (var ch = s.newByteChannel(fs.getPath("old"), Set.of(READ))) {
                    ByteBuffer b = ByteBuffer.allocate(3);
                    ch.read(b);
                    assertArrayEquals(utf8("old"), b.array());
                }
                BasicFileAttributes self = s.getFileAttributeView(java.nio.file.attribute.BasicFileAttributeView.class).readAttributes();
                assertTrue(self.isDirectory());
                var view = s.getFileAttributeView(fs.getPath("new"), PosixFileAttributeView.class);
                view.setTimes(FileTime.fromMillis(123_000), null, null);
                assertEquals(FileTime.fromMillis(123_000), Files.getLastModifiedTime(fs.getPath("/moved/new")));
                try (java.nio.file.SecureDirectoryStream<Path> sub = s.newDirectoryStream(fs.getPath("sub"))) {
                    s.move(fs.getPath("new"), sub, fs.getPath("inside"));
                    assertTrue(Files.exists(fs.getPath("/moved/sub/inside")));
                    sub.deleteFile(fs.getPath("inside"));
                }
                assertThrows(java.nio.file.FileSystemException.class, () -> s.deleteFile(fs.getPath("sub")));
                s.deleteDirectory(fs.getPath("sub"));
                s.deleteFile(fs.getPath("old"));
                assertThrows(NoSuchFileException.class, () -> s.deleteFile(fs.getPath("old")));
                List<Path> left = new ArrayList<>();
                s.forEach(left::add);
                assertEquals(List.of(), left);
                s.close();
                assertThrows(java.nio.file.ClosedDirectoryStreamException.class, () -> s.deleteFile(fs.getPath("x")));
            }
            assertFalse(Files.exists(d));
        }

        @Test
        void theJdkExceptionTypes() throws IOException {
            Path d = Files.createDirectory(fs.getPath("/d"));
            Path f = Files.write(d.resolve("f"), utf8("x"));
            assertThrows(FileAlreadyExistsException.class, () -> Files.createDirectory(d));
            assertThrows(FileAlreadyExistsException.class, () -> Files.newByteChannel(f, CREATE_NEW, WRITE));
            assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(d));
            assertThrows(NoSuchFileException.class, () -> Files.delete(fs.getPath("/none")));
            assertThrows(NoSuchFileException.class, () -> Files.readAllBytes(fs.getPath("/none/x")));
            assertThrows(NotDirectoryException.class, () -> Files.newDirectoryStream(f));
            assertThrows(NotLinkException.class, () -> Files.readSymbolicLink(f));
            java.nio.file.AccessDeniedException denied = assertThrows(java.nio.file.AccessDeniedException.class,
                    () -> Files.createLink(fs.getPath("/link"), d), "a hard link to a directory: EPERM, for root too");
            assertTrue(denied.getMessage().contains("EPERM"), denied.getMessage());
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
            assertThrows(java.nio.file.AccessDeniedException.class,
                    () -> fs.provider().checkAccess(f, AccessMode.EXECUTE), "no execute bit at all: EACCES, for root too");
            assertFalse(Files.deleteIfExists(fs.getPath("/none")));
            try (FileChannel dirChannel = FileChannel.open(d, READ)) {
                dirChannel.force(true); // as open(dir, O_RDONLY) and fsync: Lucene does this
                assertThrows(java.nio.file.FileSystemException.class, () -> dirChannel.read(ByteBuffer.allocate(1)));
            }
            Files.delete(f);
            Files.delete(d);
            assertFalse(Files.exists(d));
        }

        @Test
        void linksSymlinksAndSameFile() throws IOException {
            Path f = Files.write(fs.getPath("/f"), utf8("data"));
            Files.createLink(fs.getPath("/hard"), f);
            Files.createSymbolicLink(fs.getPath("/soft"), fs.getPath("f"));
            assertTrue(Files.isSameFile(f, fs.getPath("/hard")));
            assertTrue(Files.isSameFile(f, fs.getPath("/soft")));
            assertEquals(fs.getPath("f"), Files.readSymbolicLink(fs.getPath("/soft")));
            assertTrue(Files.isSymbolicLink(fs.getPath("/soft")));
            assertEquals(2, Files.getAttribute(f, "unix:nlink"));
            assertTrue(Files.isHidden(fs.getPath("/.hidden")));
            assertFalse(Files.isHidden(f));
        }

        @Test
        void copyAndMoveWithTheirOptions() throws IOException {
            Path a = Files.write(fs.getPath("/a"), new byte[300_000]);
            Files.setLastModifiedTime(a, FileTime.from(1_000_000, TimeUnit.SECONDS));
            Path b = fs.getPath("/b");
            Files.copy(a, b, StandardCopyOption.COPY_ATTRIBUTES);
            assertEquals(300_000, Files.size(b));
            assertEquals(Files.getLastModifiedTime(a), Files.getLastModifiedTime(b));
            assertThrows(FileAlreadyExistsException.class, () -> Files.copy(a, b));
            Files.write(a, utf8("new"));
            Files.copy(a, b, StandardCopyOption.REPLACE_EXISTING);
            assertArrayEquals(utf8("new"), Files.readAllBytes(b));
            Path c = fs.getPath("/c");
            Files.move(b, c);
            assertFalse(Files.exists(b));
            assertThrows(FileAlreadyExistsException.class, () -> Files.move(a, c));
            Files.move(a, c, StandardCopyOption.ATOMIC_MOVE);
            assertFalse(Files.exists(a));
            // Across providers: the JDK copies through streams.
            Path out = host.resolve("out");
            Files.copy(c, out);
            assertArrayEquals(utf8("new"), Files.readAllBytes(out));
            Path in = fs.getPath("/in");
            Files.copy(out, in);
            assertArrayEquals(utf8("new"), Files.readAllBytes(in));
        }

        @Test
        void moveToAnotherDaxfsFileSystemCopiesUnlessAtomic() throws IOException {
            try (FileSystem other = FileSystems.newFileSystem(DaxFileSystemProvider.uriOf(host.resolve("other.img")),
                    Map.of("create", true, "size", 16L << 20))) {
                Path a = Files.write(fs.getPath("/a"), utf8("moved"));
                assertThrows(AtomicMoveNotSupportedException.class,
                        () -> Files.move(a, other.getPath("/a"), StandardCopyOption.ATOMIC_MOVE));
                Files.move(a, other.getPath("/a"));
                assertFalse(Files.exists(a));
                assertArrayEquals(utf8("moved"), Files.readAllBytes(other.getPath("/a")));
            }
        }

        @Test
        void storeAndAccess() throws IOException {
            Path f = Files.write(fs.getPath("/f"), new byte[1 << 20]);
            FileStore store = Files.getFileStore(f);
            assertEquals("daxfs", store.type());
            assertTrue(store.getTotalSpace() >= 60L << 20);
            assertTrue(store.getUsableSpace() <= store.getUnallocatedSpace());
            assertTrue(store.supportsFileAttributeView("posix"));
            assertTrue(store.supportsFileAttributeView(UserDefinedFileAttributeView.class));
            fs.provider().checkAccess(f, AccessMode.READ, AccessMode.WRITE);
            assertTrue(Files.isReadable(f) && Files.isWritable(f));
            assertFalse(Files.isExecutable(f));
            assertThrows(NoSuchFileException.class, () -> fs.provider().checkAccess(fs.getPath("/none")));
        }
    }

    @Nested
    class OpenOptions {
        @Test
        void appendTruncateAndDeleteOnClose() throws IOException {
            Path f = fs.getPath("/f");
            Files.write(f, utf8("abc"));
            Files.write(f, utf8("def"), APPEND);
            assertArrayEquals(utf8("abcdef"), Files.readAllBytes(f));
            Files.write(f, utf8("x"), TRUNCATE_EXISTING, WRITE);
            assertArrayEquals(utf8("x"), Files.readAllBytes(f));
            try (var ch = Files.newByteChannel(fs.getPath("/tmp"), CREATE_NEW, WRITE, DELETE_ON_CLOSE)) {
                ch.write(ByteBuffer.wrap(utf8("gone soon")));
                assertTrue(Files.exists(fs.getPath("/tmp")));
            }
            assertFalse(Files.exists(fs.getPath("/tmp")));
            assertThrows(IllegalArgumentException.class, () -> Files.newByteChannel(f, READ, APPEND));
            assertThrows(IllegalArgumentException.class, () -> Files.newByteChannel(f, APPEND, TRUNCATE_EXISTING));
            try (var ch = Files.newByteChannel(f, READ)) {
                assertThrows(NonWritableChannelException.class, () -> ch.write(ByteBuffer.allocate(1)));
            }
        }

        @Test
        void permissionsGivenAtCreation() throws IOException {
            Path f = Files.createFile(fs.getPath("/f"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
            Path d = Files.createDirectory(fs.getPath("/d"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)));
        }
    }

    @Nested
    class Channels {
        @Test
        void positionalScatteringAndGatheringIo() throws IOException {
            try (FileChannel ch = FileChannel.open(fs.getPath("/f"), CREATE, READ, WRITE)) {
                ch.write(new ByteBuffer[]{ByteBuffer.wrap(utf8("ab")), ByteBuffer.wrap(utf8("cd"))});
                assertEquals(4, ch.position());
                ch.write(ByteBuffer.wrap(utf8("XY")), 10);
                assertEquals(12, ch.size());
                assertEquals(4, ch.position(), "a positional write leaves the position");
                ByteBuffer one = ByteBuffer.allocate(3);
                ByteBuffer two = ByteBuffer.allocate(20);
                ch.position(0);
                assertEquals(12, ch.read(new ByteBuffer[]{one, two}));
                assertArrayEquals(utf8("abc"), one.array());
                assertEquals(-1, ch.read(ByteBuffer.allocate(1)));
                ByteBuffer b = ByteBuffer.allocate(2);
                assertEquals(2, ch.read(b, 10));
                assertArrayEquals(utf8("XY"), b.array());
                ch.truncate(5);
                assertEquals(5, ch.size());
                assertEquals(5, ch.position(), "truncate pulls the position back");
                ch.truncate(100);
                assertEquals(5, ch.size(), "truncate never grows");
                ch.force(true);
                ch.force(false);
            }
        }

        @Test
        void transfersBetweenChannels() throws IOException {
            byte[] data = new byte[3 << 20];
            new java.util.Random(1).nextBytes(data);
            Files.write(fs.getPath("/src"), data);
            try (FileChannel src = FileChannel.open(fs.getPath("/src"));
                 FileChannel dst = FileChannel.open(fs.getPath("/dst"), CREATE, WRITE)) {
                assertEquals(data.length, src.transferTo(0, Long.MAX_VALUE, dst));
            }
            assertArrayEquals(data, Files.readAllBytes(fs.getPath("/dst")));
            try (FileChannel src = FileChannel.open(fs.getPath("/src"));
                 FileChannel dst = FileChannel.open(fs.getPath("/dst2"), CREATE, WRITE)) {
                assertEquals(1000, dst.transferFrom(src, 0, 1000));
            }
            assertEquals(1000, Files.size(fs.getPath("/dst2")));
        }

        @Test
        void byteRangeLocksWithinTheJvm() throws IOException {
            Path f = Files.write(fs.getPath("/f"), new byte[100]);
            try (FileChannel a = FileChannel.open(f, READ, WRITE); FileChannel b = FileChannel.open(f, READ, WRITE)) {
                FileLock l = a.lock(0, 50, false);
                assertTrue(l.isValid());
                assertThrows(OverlappingFileLockException.class, () -> b.tryLock(40, 20, true));
                assertThrows(OverlappingFileLockException.class, () -> a.lock(0, 10, false));
                FileLock other = b.tryLock(50, 50, true);
                assertNotNull(other);
                assertTrue(other.isShared());
                l.release();
                assertFalse(l.isValid());
                FileLock again = b.lock(0, 10, false);
                b.close();
                assertFalse(again.isValid(), "closing a channel releases its locks");
                assertNotNull(a.tryLock(0, 100, false));
            }
            try (FileChannel ro = FileChannel.open(f, READ)) {
                assertThrows(NonWritableChannelException.class, () -> ro.lock(0, 1, false));
            }
        }

        @Test
        void racingLockersNeverHoldOverlappingLocksAtOnce() throws Exception {
            Path f = Files.write(fs.getPath("/f"), new byte[64]);
            java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try (FileChannel ch = FileChannel.open(f, READ, WRITE)) {
                        go.await();
                        for (int i = 0; i < 2000; i++) {
                            FileLock l;
                            try {
                                l = ch.tryLock(i % 8, 32, false); // every range overlaps every other
                            } catch (OverlappingFileLockException held) {
                                continue;
                            }
                            if (inside.incrementAndGet() != 1) {
                                failure.compareAndSet(null, new AssertionError("two overlapping locks held at once"));
                            }
                            granted.incrementAndGet();
                            inside.decrementAndGet();
                            l.release();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertNull(failure.get(), () -> "failure: " + failure.get());
            assertTrue(granted.get() > 0);
        }

        @Test
        void mappingIsNotBuiltYetAndSaysWhich() throws IOException {
            try (FileChannel ch = FileChannel.open(Files.write(fs.getPath("/f"), new byte[10]), READ)) {
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                        () -> ch.map(FileChannel.MapMode.READ_ONLY, 0, 10));
                assertTrue(e.getMessage().contains("arena"), e.getMessage());
            }
        }

        @Test
        void concurrentPositionalWritersEachKeepTheirBytes() throws Exception {
            Path f = fs.getPath("/f");
            try (FileChannel ch = FileChannel.open(f, CREATE, WRITE)) {
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int id = t;
                    threads.add(Thread.ofPlatform().start(() -> {
                        try {
                            for (int i = 0; i < 200; i++) {
                                ByteBuffer b = ByteBuffer.allocate(100);
                                while (b.hasRemaining()) {
                                    b.put((byte) id);
                                }
                                ch.write(b.flip(), (long) (i * 4 + id) * 100);
                            }
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    }));
                }
                for (Thread t : threads) {
                    t.join();
                }
            }
            byte[] all = Files.readAllBytes(f);
            assertEquals(80_000, all.length);
            for (int i = 0; i < all.length; i++) {
                assertEquals((i / 100) % 4, all[i], "byte " + i);
            }
        }
    }

    @Nested
    class Attributes {
        @Test
        void basicPosixUnixAndDaxfsViews() throws IOException {
            Path f = Files.write(fs.getPath("/f"), new byte[10_000]);
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            assertTrue(a.isRegularFile());
            assertEquals(10_000, a.size());
            assertEquals(a.fileKey(), Files.readAttributes(f, BasicFileAttributes.class).fileKey());
            FileTime t = FileTime.from(1_700_000_000_123_456_789L, TimeUnit.NANOSECONDS);
            Files.setLastModifiedTime(f, t);
            assertEquals(t, Files.getLastModifiedTime(f));
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-x---"));
            PosixFileAttributes p = Files.readAttributes(f, PosixFileAttributes.class);
            assertEquals("rwxr-x---", PosixFilePermissions.toString(p.permissions()));
            assertEquals(0100750, Files.getAttribute(f, "unix:mode"));
            Map<String, Object> unix = Files.readAttributes(f, "unix:*");
            assertTrue(unix.keySet().containsAll(Set.of("ino", "nlink", "uid", "gid", "ctime", "size", "permissions")));
            assertEquals(unix.get("ino"), Files.getAttribute(f, "daxfs:ino"));
            assertTrue((Long) Files.getAttribute(f, "daxfs:allocatedBytes") >= 10_000);
            DaxFileAttributeView dax = Files.getFileAttributeView(f, DaxFileAttributeView.class);
            assertEquals(unix.get("ino"), dax.ino());
            assertTrue(dax.extents() >= 1, "10,000 bytes lie in at least one extent");
            assertEquals(0L, Files.getAttribute(f, "daxfs:hugeAlignedBytes"), "no 2 MiB piece in 10,000 bytes");
            assertEquals(0L, Files.getAttribute(f.getParent(), "daxfs:extents"), "a directory has none to tell");
            assertEquals(Set.of("ino", "allocatedBytes", "extents", "hugeAlignedBytes"), Files.readAttributes(f, "daxfs:*").keySet());
            Map<String, Object> basic = Files.readAttributes(f, "size,isDirectory");
            assertEquals(Map.of("size", 10_000L, "isDirectory", false), basic);
            assertThrows(IllegalArgumentException.class, () -> Files.readAttributes(f, "basic:nonsense"));
            assertThrows(UnsupportedOperationException.class, () -> Files.readAttributes(f, "acl:*"));
            PosixFileAttributeView view = Files.getFileAttributeView(f, PosixFileAttributeView.class);
            assertEquals(p.owner(), view.getOwner());
            view.setOwner(fs.getUserPrincipalLookupService().lookupPrincipalByName(Integer.toString(
                    (Integer) Files.getAttribute(f, "unix:uid"))));
        }

        @Test
        void userDefinedAttributesAreTheUserNamespace() throws IOException {
            Path f = Files.write(fs.getPath("/f"), utf8("x"));
            UserDefinedFileAttributeView u = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
            u.write("color", ByteBuffer.wrap(utf8("blue")));
            Files.setAttribute(f, "user:size", utf8("large"));
            assertEquals(Set.of("color", "size"), Set.copyOf(u.list()));
            assertEquals(4, u.size("color"));
            ByteBuffer b = ByteBuffer.allocate(4);
            u.read("color", b);
            assertArrayEquals(utf8("blue"), b.array());
            assertArrayEquals(utf8("large"), (byte[]) Files.getAttribute(f, "user:size"));
            u.delete("color");
            assertEquals(List.of("size"), u.list());
        }
    }

    @Nested
    class Watching {
        /** The next key's events as "KIND name xcount" strings, waiting at most a second. */
        List<String> next(java.nio.file.WatchService ws) throws InterruptedException {
            java.nio.file.WatchKey k = ws.poll(1, TimeUnit.SECONDS);
            assertNotNull(k, "a key was signalled");
            List<String> out = new ArrayList<>();
            for (java.nio.file.WatchEvent<?> e : k.pollEvents()) {
                out.add(e.kind().name() + " " + e.context() + " x" + e.count());
            }
            assertTrue(k.reset());
            return out;
        }

        @Test
        void createsModifiesAndDeletesAreReportedPerDirectoryWithoutPolling() throws Exception {
            Path d = Files.createDirectory(fs.getPath("/d"));
            try (java.nio.file.WatchService ws = fs.newWatchService()) {
                d.register(ws, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE, java.nio.file.StandardWatchEventKinds.ENTRY_DELETE,
                        java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY);
                Path f = Files.write(d.resolve("f"), utf8("one"));
                Files.write(f, utf8("two"), APPEND);
                Files.createDirectory(d.resolve("sub"));
                Files.write(fs.getPath("/elsewhere"), utf8("not watched"));
                Files.move(f, d.resolve("g"));
                Files.delete(d.resolve("sub"));
                // A create, then its write; the append repeats the last event, which counts it twice.
                assertEquals(List.of("ENTRY_CREATE f x1", "ENTRY_MODIFY f x2", "ENTRY_CREATE sub x1", "ENTRY_DELETE f x1",
                        "ENTRY_CREATE g x1", "ENTRY_DELETE sub x1"), next(ws));
                assertNull(ws.poll());
                Files.setLastModifiedTime(d.resolve("g"), FileTime.fromMillis(0));
                assertEquals(List.of("ENTRY_MODIFY g x1"), next(ws));
                // A renamed directory keeps its watch: it is watched by inode.
                Files.move(d, fs.getPath("/e"));
                Files.write(fs.getPath("/e/h"), utf8("h"));
                assertEquals(List.of("ENTRY_CREATE h x1", "ENTRY_MODIFY h x1"), next(ws), "a create, then its write");
            }
        }

        @Test
        void changesThroughASecureDirectoryStreamAreReportedToo() throws Exception {
            Path d = Files.createDirectory(fs.getPath("/d"));
            Files.createDirectory(d.resolve("sub"));
            Files.createDirectory(d.resolve("empty"));
            try (java.nio.file.WatchService ws = fs.newWatchService();
                 var s = (java.nio.file.SecureDirectoryStream<Path>) Files.newDirectoryStream(d)) {
                d.register(ws, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE, java.nio.file.StandardWatchEventKinds.ENTRY_DELETE,
                        java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY);
                try (var ch = s.newByteChannel(fs.getPath("f"), Set.of(CREATE_NEW, WRITE))) {
                    ch.write(ByteBuffer.wrap(utf8("x")));
                }
                s.getFileAttributeView(fs.getPath("f"), PosixFileAttributeView.class).setTimes(FileTime.fromMillis(5), null, null);
                try (var sub = s.newDirectoryStream(fs.getPath("sub"))) {
                    s.move(fs.getPath("f"), sub, fs.getPath("g"));
                }
                s.deleteDirectory(fs.getPath("empty"));
                assertEquals(List.of("ENTRY_CREATE f x1", "ENTRY_MODIFY f x2", "ENTRY_DELETE f x1", "ENTRY_DELETE empty x1"),
                        next(ws), "the write and the times are one repeated MODIFY; the move leaves d");
            }
        }

        @Test
        void aFullKeyOverflowsAndAClosedServiceWakesItsWaiters() throws Exception {
            Path d = Files.createDirectory(fs.getPath("/d"));
            java.nio.file.WatchService ws = fs.newWatchService();
            d.register(ws, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE);
            for (int i = 0; i < Watches.MAX_EVENTS + 10; i++) {
                Files.createFile(d.resolve("f" + i));
            }
            List<String> events = next(ws);
            assertEquals(Watches.MAX_EVENTS + 1, events.size());
            assertEquals("OVERFLOW null x10", events.getLast());
            Thread waiter = Thread.ofPlatform().start(() -> assertThrows(java.nio.file.ClosedWatchServiceException.class, ws::take));
            Thread.sleep(50); // let it block in take (if it has not yet, take sees the service closed at once)
            ws.close();
            waiter.join(5000);
            assertFalse(waiter.isAlive());
            assertThrows(java.nio.file.ClosedWatchServiceException.class, ws::poll);
        }
    }

    /** {@code FileChannel.map(mode, position, size, arena)}: the file's device memory, with the JDK's rules. */
    @Nested
    class Mapping {
        static final long MIB = 1 << 20;

        @Test
        void aReadWriteSegmentIsTheFileBothWays() throws Exception {
            Path f = fs.getPath("/f");
            byte[] data = new byte[(int) (3 * MIB)];
            new java.util.SplittableRandom(1).nextBytes(data);
            Files.write(f, data);
            try (FileChannel ch = FileChannel.open(f, READ, WRITE); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment s = ch.map(FileChannel.MapMode.READ_WRITE, 0, data.length, arena);
                assertArrayEquals(data, s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                s.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, MIB + 3, 0x0102030405060708L);
                ch.write(ByteBuffer.wrap(new byte[]{9, 9, 9}), 2 * MIB);
                assertEquals(9, s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 2 * MIB + 1), "a write shows in the segment");
                ch.force(false);
            }
            byte[] after = Files.readAllBytes(f);
            assertEquals(0x0102030405060708L, java.lang.foreign.MemorySegment.ofArray(after)
                    .get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, MIB + 3), "a store is in the file");
        }

        @Test
        void aShortFileIsGrownByAWritableChannelOnly() throws Exception {
            Path f = Files.write(fs.getPath("/f"), new byte[100]);
            try (FileChannel ro = FileChannel.open(f, READ); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment s = ro.map(FileChannel.MapMode.READ_ONLY, 0, 100, arena);
                assertTrue(s.isReadOnly());
                IOException e = assertThrows(IOException.class, () -> ro.map(FileChannel.MapMode.READ_ONLY, 0, 10_000, arena));
                assertTrue(e.getMessage().contains("cannot extend"), e.getMessage());
            }
            try (FileChannel rw = FileChannel.open(f, READ, WRITE); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment s = rw.map(FileChannel.MapMode.READ_WRITE, 4000, 10_000, arena);
                assertEquals(10_000, s.byteSize());
                assertEquals(14_000, Files.size(f));
                s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 9_999, (byte) 5);
            }
            assertEquals(5, Files.readAllBytes(f)[13_999]);
        }

        @Test
        void modesAndArgumentsAreCheckedAsTheJdkDoes() throws Exception {
            Path f = Files.write(fs.getPath("/f"), new byte[8192]);
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                try (FileChannel ro = FileChannel.open(f, READ)) {
                    assertThrows(NonWritableChannelException.class, () -> ro.map(FileChannel.MapMode.READ_WRITE, 0, 10, arena));
                    assertThrows(NonWritableChannelException.class, () -> ro.map(FileChannel.MapMode.PRIVATE, 0, 10, arena));
                    assertThrows(IllegalArgumentException.class, () -> ro.map(FileChannel.MapMode.READ_ONLY, -1, 10, arena));
                    assertThrows(IllegalArgumentException.class, () -> ro.map(FileChannel.MapMode.READ_ONLY, 0, -1, arena));
                    UnsupportedOperationException legacy = assertThrows(UnsupportedOperationException.class,
                            () -> ro.map(FileChannel.MapMode.READ_ONLY, 0, 10));
                    assertTrue(legacy.getMessage().contains("arena"), legacy.getMessage());
                    assertEquals(0, ro.map(FileChannel.MapMode.READ_ONLY, 0, 0, arena).byteSize());
                }
                try (FileChannel wo = FileChannel.open(f, WRITE)) {
                    assertThrows(java.nio.channels.NonReadableChannelException.class,
                            () -> wo.map(FileChannel.MapMode.READ_WRITE, 0, 10, arena));
                }
                FileChannel closed = FileChannel.open(f, READ);
                closed.close();
                assertThrows(java.nio.channels.ClosedChannelException.class, () -> closed.map(FileChannel.MapMode.READ_ONLY, 0, 10, arena));
            }
            java.lang.foreign.Arena gone = java.lang.foreign.Arena.ofConfined();
            gone.close();
            try (FileChannel ro = FileChannel.open(f, READ)) {
                assertThrows(IllegalStateException.class, () -> ro.map(FileChannel.MapMode.READ_ONLY, 0, 10, gone));
            }
        }

        @Test
        void aPrivateSegmentNeverChangesTheFile() throws Exception {
            Path f = Files.write(fs.getPath("/f"), new byte[]{1, 2, 3, 4});
            try (FileChannel ch = FileChannel.open(f, READ, WRITE); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment s = ch.map(FileChannel.MapMode.PRIVATE, 0, 4, arena);
                s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 7);
                assertEquals(7, s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
            }
            assertArrayEquals(new byte[]{1, 2, 3, 4}, Files.readAllBytes(f));
        }

        @Test
        void readWriteSyncIsSupported() throws Exception {
            Path f = fs.getPath("/f");
            try (FileChannel ch = FileChannel.open(f, CREATE, READ, WRITE); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment s = ch.map(jdk.nio.mapmode.ExtendedMapMode.READ_WRITE_SYNC, 0, 3 * MIB, arena);
                s.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, MIB, 77);
                ch.force(false);
            }
            assertEquals(3 * MIB, Files.size(f));
            assertEquals(77, ByteBuffer.wrap(Files.readAllBytes(f)).order(java.nio.ByteOrder.nativeOrder()).getInt((int) MIB));
        }

        @Test
        void aSegmentOutlivesATruncateOnItsOwnBlocksAndClosesWithItsArena() throws Exception {
            Path f = fs.getPath("/f");
            Files.write(f, new byte[]{42, 43, 44});
            java.lang.foreign.MemorySegment s;
            try (FileChannel ch = FileChannel.open(f, READ, WRITE); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
                s = ch.map(FileChannel.MapMode.READ_ONLY, 0, 3, arena);
                ch.truncate(0);
                assertEquals(0, Files.size(f));
                assertEquals(43, s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1), "still on its own block");
            }
            assertThrows(IllegalStateException.class, () -> s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1));
        }
    }

    @Test
    void theProviderIsAServiceOfTheModule() {
        assertTrue(java.nio.file.spi.FileSystemProvider.installedProviders().stream()
                .anyMatch(p -> p instanceof DaxFileSystemProvider), "installed providers list daxfs");
        assertInstanceOf(DaxFileSystemProvider.class, fs.provider());
    }
}
