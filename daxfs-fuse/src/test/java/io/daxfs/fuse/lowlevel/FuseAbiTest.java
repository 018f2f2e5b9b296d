package io.daxfs.fuse.lowlevel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The binding hard-codes libfuse3's structure layouts and operation slots; this compiles a C
 * program against the installed headers (libfuse3-dev, installed by scripts/setup-fuse) and
 * checks every number the Java side uses. A libfuse with another layout fails here, not in a
 * mount that corrupts memory.
 */
class FuseAbiTest {
    @TempDir
    Path tmp;

    @Test
    void hardCodedLayoutsMatchTheInstalledLibfuseHeaders() throws Exception {
        Map<String, Long> c = compileAndRun();
        Map<String, Long> java = new TreeMap<>(expected());
        Map<String, Long> actual = new TreeMap<>();
        for (String k : java.keySet()) {
            assertTrue(c.containsKey(k), "the C program did not print " + k);
            actual.put(k, c.get(k));
        }
        assertEquals(java, actual);
    }

    private static Map<String, Long> expected() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("sizeof.fuse_lowlevel_ops", OpsTable.SIZE);
        int[] slots = {OpsTable.INIT, OpsTable.DESTROY, OpsTable.LOOKUP, OpsTable.FORGET, OpsTable.GETATTR,
                OpsTable.SETATTR, OpsTable.READLINK, OpsTable.MKNOD, OpsTable.MKDIR, OpsTable.UNLINK, OpsTable.RMDIR,
                OpsTable.SYMLINK, OpsTable.RENAME, OpsTable.LINK, OpsTable.OPEN, OpsTable.READ, OpsTable.WRITE,
                OpsTable.FLUSH, OpsTable.RELEASE, OpsTable.FSYNC, OpsTable.OPENDIR, OpsTable.READDIR,
                OpsTable.RELEASEDIR, OpsTable.FSYNCDIR, OpsTable.STATFS, OpsTable.SETXATTR, OpsTable.GETXATTR,
                OpsTable.LISTXATTR, OpsTable.REMOVEXATTR, OpsTable.ACCESS, OpsTable.CREATE,
                OpsTable.FORGET_MULTI, OpsTable.FALLOCATE, OpsTable.READDIRPLUS, OpsTable.COPY_FILE_RANGE,
                OpsTable.LSEEK};
        String[] names = {"init", "destroy", "lookup", "forget", "getattr", "setattr", "readlink", "mknod", "mkdir",
                "unlink", "rmdir", "symlink", "rename", "link", "open", "read", "write", "flush", "release", "fsync",
                "opendir", "readdir", "releasedir", "fsyncdir", "statfs", "setxattr", "getxattr", "listxattr",
                "removexattr", "access", "create", "forget_multi",
                "fallocate", "readdirplus", "copy_file_range", "lseek"};
        for (int i = 0; i < names.length; i++) {
            m.put("op." + names[i], (long) slots[i]);
        }
        m.put("sizeof.stat", Structs.STAT_SIZE);
        m.put("stat.st_ino", Structs.ST_INO);
        m.put("stat.st_nlink", Structs.ST_NLINK);
        m.put("stat.st_mode", Structs.ST_MODE);
        m.put("stat.st_uid", Structs.ST_UID);
        m.put("stat.st_gid", Structs.ST_GID);
        m.put("stat.st_size", Structs.ST_SIZE);
        m.put("stat.st_blksize", Structs.ST_BLKSIZE);
        m.put("stat.st_blocks", Structs.ST_BLOCKS);
        m.put("stat.st_atim", Structs.ST_ATIM);
        m.put("stat.st_mtim", Structs.ST_MTIM);
        m.put("stat.st_ctim", Structs.ST_CTIM);
        m.put("sizeof.fuse_entry_param", Structs.ENTRY_SIZE);
        m.put("fuse_entry_param.ino", Structs.ENTRY_INO);
        m.put("fuse_entry_param.generation", Structs.ENTRY_GENERATION);
        m.put("fuse_entry_param.attr", Structs.ENTRY_ATTR);
        m.put("fuse_entry_param.attr_timeout", Structs.ENTRY_ATTR_TIMEOUT);
        m.put("fuse_entry_param.entry_timeout", Structs.ENTRY_ENTRY_TIMEOUT);
        m.put("sizeof.fuse_file_info", Structs.FI_SIZE);
        m.put("fuse_file_info.flags", Structs.FI_FLAGS);
        m.put("fuse_file_info.fh", Structs.FI_FH);
        m.put("fi.direct_io", (long) Structs.FI_DIRECT_IO);
        m.put("fi.keep_cache", (long) Structs.FI_KEEP_CACHE);
        m.put("fi.writepage", (long) Structs.FI_WRITEPAGE);
        m.put("o_direct", (long) Structs.O_DIRECT);
        m.put("fi.cache_readdir", (long) Structs.FI_CACHE_READDIR);
        m.put("sizeof.statvfs", Structs.STATVFS_SIZE);
        String[] vfs = {"f_bsize", "f_frsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree", "f_favail"};
        for (int i = 0; i < vfs.length; i++) {
            m.put("statvfs." + vfs[i], i * 8L); // Structs.writeStatvfs writes them in this order
        }
        m.put("statvfs.f_namemax", 80L);
        m.put("fuse_ctx.uid", Structs.CTX_UID);
        m.put("fuse_ctx.gid", Structs.CTX_GID);
        m.put("fuse_ctx.pid", Structs.CTX_PID);
        m.put("fuse_ctx.umask", Structs.CTX_UMASK);
        m.put("sizeof.fuse_args", Structs.ARGS_SIZE);
        m.put("fuse_conn_info.max_write", Structs.CONN_MAX_WRITE);
        m.put("fuse_conn_info.max_read", Structs.CONN_MAX_READ);
        m.put("fuse_conn_info.max_readahead", Structs.CONN_MAX_READAHEAD);
        m.put("fuse_conn_info.capable", Structs.CONN_CAPABLE);
        m.put("fuse_conn_info.want", Structs.CONN_WANT);
        m.put("fuse_conn_info.max_background", Structs.CONN_MAX_BACKGROUND);
        m.put("fuse_conn_info.time_gran", Structs.CONN_TIME_GRAN);
        m.put("sizeof.iovec", Structs.IOVEC_SIZE);
        m.put("cap.writeback_cache", (long) FuseOperations.Connection.CAP_WRITEBACK_CACHE);
        m.put("cap.async_read", (long) FuseOperations.Connection.CAP_ASYNC_READ);
        m.put("cap.parallel_dirops", (long) FuseOperations.Connection.CAP_PARALLEL_DIROPS);
        m.put("cap.atomic_o_trunc", (long) FuseOperations.Connection.CAP_ATOMIC_O_TRUNC);
        m.put("cap.handle_killpriv", (long) FuseOperations.Connection.CAP_HANDLE_KILLPRIV);
        m.put("cap.dont_mask", (long) FuseOperations.Connection.CAP_DONT_MASK);
        m.put("cap.posix_acl", (long) FuseOperations.Connection.CAP_POSIX_ACL);
        m.put("set_attr.mode", (long) FuseOperations.AttrChange.MODE);
        m.put("set_attr.uid", (long) FuseOperations.AttrChange.UID);
        m.put("set_attr.gid", (long) FuseOperations.AttrChange.GID);
        m.put("set_attr.size", (long) FuseOperations.AttrChange.SIZE);
        m.put("set_attr.atime", (long) FuseOperations.AttrChange.ATIME);
        m.put("set_attr.mtime", (long) FuseOperations.AttrChange.MTIME);
        m.put("set_attr.atime_now", (long) FuseOperations.AttrChange.ATIME_NOW);
        m.put("set_attr.mtime_now", (long) FuseOperations.AttrChange.MTIME_NOW);
        return m;
    }

    private Map<String, Long> compileAndRun() throws IOException, InterruptedException {
        FuseTestSupport.setUpFuse();
        Path src = tmp.resolve("fuse_abi.c");
        try (InputStream in = FuseAbiTest.class.getResourceAsStream("/abi/fuse_abi.c")) {
            Files.write(src, in.readAllBytes());
        }
        Path exe = tmp.resolve("fuse_abi");
        run("gcc", "-I/usr/include/fuse3", src.toString(), "-o", exe.toString());
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : run(exe.toString()).split("\n")) {
            String[] kv = line.trim().split(" ");
            if (kv.length == 2) {
                out.put(kv[0], Long.parseLong(kv[1]));
            }
        }
        return out;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }
}
