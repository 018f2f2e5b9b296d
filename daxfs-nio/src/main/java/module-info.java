/**
 * daxfs through {@code java.nio.file}: a {@link java.nio.file.spi.FileSystemProvider} for the
 * scheme {@code daxfs}, so that {@code Files}, {@code FileChannel} and any library that takes a
 * {@link java.nio.file.Path} use a daxfs image. Built on the public API of {@code io.daxfs.core}
 * only; found by {@link java.nio.file.FileSystems#newFileSystem(java.net.URI, java.util.Map)}
 * through the service it provides.
 */
module io.daxfs.nio {
    requires transitive io.daxfs.core;
    // UnixSystem: the process's uid and groups (Principals.self), for checkAccess and creation by inode.
    requires jdk.security.auth;

    exports io.daxfs.nio;

    provides java.nio.file.spi.FileSystemProvider with io.daxfs.nio.DaxFileSystemProvider;
}
