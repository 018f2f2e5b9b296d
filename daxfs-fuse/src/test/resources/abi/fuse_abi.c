/* Prints the libfuse3 ABI facts that io.daxfs.fuse.lowlevel.Structs and OpsTable hard-code,
 * one "name value" per line, for FuseAbiTest to compare. */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 314
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>

#define OFF(s, f) printf(#s "." #f " %zu\n", offsetof(struct s, f))
#define SIZE(s) printf("sizeof." #s " %zu\n", sizeof(struct s))
#define OP(f) printf("op." #f " %zu\n", offsetof(struct fuse_lowlevel_ops, f) / sizeof(void *))

int main(void) {
    SIZE(fuse_lowlevel_ops);
    OP(init); OP(destroy); OP(lookup); OP(forget); OP(getattr); OP(setattr); OP(readlink); OP(mknod);
    OP(mkdir); OP(unlink); OP(rmdir); OP(symlink); OP(rename); OP(link); OP(open); OP(read); OP(write);
    OP(flush); OP(release); OP(fsync); OP(opendir); OP(readdir); OP(releasedir); OP(fsyncdir); OP(statfs);
    OP(setxattr); OP(getxattr); OP(listxattr); OP(removexattr); OP(access); OP(create); OP(forget_multi); OP(fallocate); OP(readdirplus); OP(copy_file_range); OP(lseek);
    SIZE(stat);
    OFF(stat, st_ino); OFF(stat, st_nlink); OFF(stat, st_mode); OFF(stat, st_uid); OFF(stat, st_gid);
    OFF(stat, st_size); OFF(stat, st_blksize); OFF(stat, st_blocks); OFF(stat, st_atim); OFF(stat, st_mtim);
    OFF(stat, st_ctim);
    SIZE(fuse_entry_param);
    OFF(fuse_entry_param, ino); OFF(fuse_entry_param, generation); OFF(fuse_entry_param, attr);
    OFF(fuse_entry_param, attr_timeout); OFF(fuse_entry_param, entry_timeout);
    SIZE(fuse_file_info);
    OFF(fuse_file_info, flags); OFF(fuse_file_info, fh);
    SIZE(statvfs);
    OFF(statvfs, f_bsize); OFF(statvfs, f_frsize); OFF(statvfs, f_blocks); OFF(statvfs, f_bfree);
    OFF(statvfs, f_bavail); OFF(statvfs, f_files); OFF(statvfs, f_ffree); OFF(statvfs, f_favail);
    OFF(statvfs, f_namemax);
    OFF(fuse_ctx, uid); OFF(fuse_ctx, gid); OFF(fuse_ctx, pid); OFF(fuse_ctx, umask);
    SIZE(fuse_args);
    OFF(fuse_conn_info, max_write); OFF(fuse_conn_info, max_read); OFF(fuse_conn_info, max_readahead);
    OFF(fuse_conn_info, capable); OFF(fuse_conn_info, want); OFF(fuse_conn_info, max_background);
    OFF(fuse_conn_info, time_gran);
    SIZE(iovec);
    /* The bit-field word after flags: direct_io is bit 1, keep_cache bit 2, cache_readdir bit 6. */
    struct fuse_file_info fi = {0};
    fi.direct_io = 1; printf("fi.direct_io %u\n", ((unsigned *) &fi)[1]); fi.direct_io = 0;
    fi.keep_cache = 1; printf("fi.keep_cache %u\n", ((unsigned *) &fi)[1]); fi.keep_cache = 0;
    fi.writepage = 1; printf("fi.writepage %u\n", ((unsigned *) &fi)[1]); fi.writepage = 0;
    printf("o_direct %d\n", O_DIRECT);
    fi.cache_readdir = 1; printf("fi.cache_readdir %u\n", ((unsigned *) &fi)[1]);
    printf("cap.writeback_cache %d\ncap.async_read %d\ncap.parallel_dirops %d\ncap.atomic_o_trunc %d\n",
           FUSE_CAP_WRITEBACK_CACHE, FUSE_CAP_ASYNC_READ, FUSE_CAP_PARALLEL_DIROPS, FUSE_CAP_ATOMIC_O_TRUNC);
    printf("cap.handle_killpriv %d\n", FUSE_CAP_HANDLE_KILLPRIV);
    printf("cap.dont_mask %d\ncap.posix_acl %d\n", FUSE_CAP_DONT_MASK, FUSE_CAP_POSIX_ACL);
    printf("set_attr.mode %d\nset_attr.uid %d\nset_attr.gid %d\nset_attr.size %d\nset_attr.atime %d\n"
           "set_attr.mtime %d\nset_attr.atime_now %d\nset_attr.mtime_now %d\n",
           FUSE_SET_ATTR_MODE, FUSE_SET_ATTR_UID, FUSE_SET_ATTR_GID, FUSE_SET_ATTR_SIZE, FUSE_SET_ATTR_ATIME,
           FUSE_SET_ATTR_MTIME, FUSE_SET_ATTR_ATIME_NOW, FUSE_SET_ATTR_MTIME_NOW);
    return 0;
}
