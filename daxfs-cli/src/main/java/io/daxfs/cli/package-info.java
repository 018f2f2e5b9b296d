/**
 * The {@code daxfs} command: one picocli command class per subcommand (mkfs, fsck, df, ls, stat,
 * cat, cp, mkdir, mv, rm, mount, bench), {@code IMAGE:/PATH} parsing ({@link io.daxfs.cli.ImagePath}),
 * size parsing ({@link io.daxfs.cli.Sizes}), progress bars on a terminal, and the error rule:
 * a failure is one line on stderr, {@code daxfs: ERRNO: what}, never a stack trace unless asked
 * for ({@link io.daxfs.cli.ErrorReporter}).
 *
 * <p>May use: the public API of daxfs-core ({@code io.daxfs.api}, {@code io.daxfs.types}), the
 * FUSE front end ({@code io.daxfs.fuse}), picocli and progressbar. The module system enforces it.
 */
package io.daxfs.cli;
