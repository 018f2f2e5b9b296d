/**
 * The FUSE front end: serves a mounted daxfs on a directory of the host, so that any program can
 * use it. {@link io.daxfs.fuse.DaxFuse} is the one public entry point (mount, serve, unmount);
 * the rest is package-private: {@code DaxFuseOperations} routes each FUSE operation to
 * {@code NamespaceOps}, {@code AttributeOps}, {@code XattrOps}, {@code FileOps} or
 * {@code DirectoryOps}, which call the file system by inode number ({@link io.daxfs.api.DaxInodes}); {@code Handles} and
 * {@code OpenDirs} are the open-file and open-directory tables. docs/FUSE.md describes the whole.
 *
 * <p>Extended attributes (user., trusted., security.) and POSIX ACLs are served: the kernel
 * checks permissions by mode and ACL and caches ACLs (FUSE_CAP_POSIX_ACL), and passes the umask
 * on unapplied (FUSE_CAP_DONT_MASK), so that the core can apply it or inherit a parent's default
 * ACL instead; keeping mode and ACL in step is the core's. Every write(2) then costs one
 * getxattr of security.capability more (docs/FUSE.md, Cost of xattrs on writes).
 *
 * <p>Page cache coherence: the kernel keeps file pages across opens (keep_cache), so a write that
 * bypassed the cache (O_DIRECT, asynchronous ones included) is answered only after the kernel
 * dropped its range, a notification sent by the session's notifier thread
 * ({@code lowlevel.CacheNotifier}), which holds no daxfs lock; the worker waits for it at most
 * 100 ms (docs/FUSE.md, O_DIRECT and the page cache).
 *
 * <p>May use: the public API of daxfs-core ({@code io.daxfs.api}, {@code io.daxfs.types}) and the
 * binding ({@code io.daxfs.fuse.lowlevel}). The module system enforces it.
 */
package io.daxfs.fuse;
