/**
 * The {@code java.nio.file} provider of daxfs: {@link io.daxfs.nio.DaxFileSystemProvider} (scheme
 * {@code daxfs}, registered as a service), the file system ({@link io.daxfs.nio.DaxNioFileSystem},
 * one mounted image), paths ({@link io.daxfs.nio.DaxPath}), and inside: channels, directory
 * streams, the file store, attribute views and byte-range locks. Each operation is one call of
 * the core's public API; JDK exception types come from the core's errno ({@code Errors}).
 *
 * <p>Watch services are fed by the file system's own changes ({@code Watches}), not by polling.
 *
 * <p>Directory streams are {@link java.nio.file.SecureDirectoryStream}s: relative operations go
 * by the directory's inode number, held while the stream is open.
 *
 * <p>Not built yet: {@code FileChannel.map} (both forms throw UnsupportedOperationException).
 *
 * <p>May use: the public API of {@code io.daxfs.core} ({@code io.daxfs.api}, {@code io.daxfs.types}) and the JDK.
 */
package io.daxfs.nio;
