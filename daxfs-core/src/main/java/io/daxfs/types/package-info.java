/**
 * The vocabulary of daxfs: the values every layer and every user speaks in. It is part of the
 * public API, and it is the bottom layer: it depends on the JDK only, so that the device at the
 * bottom and the facade at the top can share one exception type and one set of records.
 *
 * <ul>
 * <li>{@link io.daxfs.types.DaxException} (with an {@link io.daxfs.types.Errno}) is the one
 *     exception type; {@link io.daxfs.types.DaxFaultException} is a mapped access that could not
 *     be satisfied (SIGBUS, EACCES).</li>
 * <li>Records of what the file system reports: {@link io.daxfs.types.FileStat},
 *     {@link io.daxfs.types.DirEntry}, {@link io.daxfs.types.FsStat},
 *     {@link io.daxfs.types.FsckReport}, {@link io.daxfs.types.DaxStats}.</li>
 * <li>What callers choose: {@link io.daxfs.types.FormatOptions},
 *     {@link io.daxfs.types.MountOptions}, {@link io.daxfs.types.SetAttr},
 *     {@link io.daxfs.types.RenameOption}, {@link io.daxfs.types.DaxMapMode},
 *     {@link io.daxfs.types.DaxMapOption}, {@link io.daxfs.types.FileType}.</li>
 * <li>Callbacks: {@link io.daxfs.types.ProgressListener}, {@link io.daxfs.types.DaxReadSink}.</li>
 * </ul>
 *
 * <p>May use: nothing but the JDK.
 */
package io.daxfs.types;
