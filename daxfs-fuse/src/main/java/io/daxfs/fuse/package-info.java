/**
 * The FUSE front end: serves a mounted daxfs on a directory of the host, so that any program can
 * use it. {@link io.daxfs.fuse.DaxFuse} is the one public entry point (mount, serve, unmount);
 * the rest is package-private: {@code DaxFuseOperations} routes each FUSE operation to
 * {@code NamespaceOps}, {@code AttributeOps}, {@code FileOps} or {@code DirectoryOps}, which call
 * the file system by inode number ({@link io.daxfs.api.DaxInodes}); {@code Handles} and
 * {@code OpenDirs} are the open-file and open-directory tables. docs/FUSE.md describes the whole.
 *
 * <p>May use: the public API of daxfs-core ({@code io.daxfs.api}, {@code io.daxfs.types}) and the
 * binding ({@code io.daxfs.fuse.lowlevel}). The module system enforces it.
 */
package io.daxfs.fuse;
