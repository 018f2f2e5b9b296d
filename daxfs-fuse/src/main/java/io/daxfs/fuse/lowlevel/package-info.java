/**
 * The binding of libfuse3's low-level (inode-number) API through the JDK's FFM API: the library
 * and its functions ({@link io.daxfs.fuse.lowlevel.LibFuse}), the C structure layouts
 * ({@link io.daxfs.fuse.lowlevel.Structs}, checked against the installed headers by a test), the
 * table of upcalls ({@link io.daxfs.fuse.lowlevel.OpsTable}, which is also where an exception
 * thrown by an operation becomes an errno reply), requests and replies
 * ({@link io.daxfs.fuse.lowlevel.FuseRequest}), and a mounted session
 * ({@link io.daxfs.fuse.lowlevel.FuseSession}). Not exported: only {@code io.daxfs.fuse} uses it.
 *
 * <p>May use: the public API of daxfs-core ({@code io.daxfs.types}) and the JDK.
 */
package io.daxfs.fuse.lowlevel;
