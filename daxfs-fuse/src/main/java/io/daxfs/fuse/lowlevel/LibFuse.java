package io.daxfs.fuse.lowlevel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Downcalls into libfuse3 (3.12 or newer: the versioned {@code fuse_session_loop_mt_312} and the
 * {@code fuse_loop_cfg_*} calls). The library is found by the dynamic loader as
 * {@code libfuse3.so.3}, or at the path in {@code -Ddaxfs.libfuse} / {@code $DAXFS_LIBFUSE}.
 *
 * <p>Every handle is bound once, at class initialisation; {@link #load()} reports a missing
 * library as {@link FuseUnavailableException} with the command that installs it.
 */
public final class LibFuse {
    static final Linker LINKER = Linker.nativeLinker();
    private static final String SONAME = "libfuse3.so.3";

    private static volatile LibFuse instance;

    private final SymbolLookup lib;

    // session
    final MethodHandle sessionNew;
    final MethodHandle sessionMount;
    final MethodHandle sessionLoopMt;
    final MethodHandle sessionExit;
    final MethodHandle sessionUnmount;
    final MethodHandle sessionDestroy;
    final MethodHandle loopCfgCreate;
    final MethodHandle loopCfgDestroy;
    final MethodHandle loopCfgSetMaxThreads;
    // replies
    final MethodHandle replyErr;
    final MethodHandle replyNone;
    final MethodHandle replyEntry;
    final MethodHandle replyCreate;
    final MethodHandle replyAttr;
    final MethodHandle replyReadlink;
    final MethodHandle replyOpen;
    final MethodHandle replyWrite;
    final MethodHandle replyBuf;
    final MethodHandle replyIov;
    final MethodHandle replyStatfs;
    final MethodHandle replyLseek;
    final MethodHandle replyXattr;
    final MethodHandle addDirentry;
    final MethodHandle addDirentryPlus;
    final MethodHandle reqCtx;
    final MethodHandle reqGetgroups;
    final MethodHandle reqInterruptFunc;
    // notifications
    final MethodHandle notifyInvalInode;

    private LibFuse(SymbolLookup lib) {
        this.lib = lib;
        sessionNew = bind("fuse_session_new", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
        sessionMount = bind("fuse_session_mount", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        sessionLoopMt = bind("fuse_session_loop_mt_312", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        sessionExit = bind("fuse_session_exit", FunctionDescriptor.ofVoid(ADDRESS));
        sessionUnmount = bind("fuse_session_unmount", FunctionDescriptor.ofVoid(ADDRESS));
        sessionDestroy = bind("fuse_session_destroy", FunctionDescriptor.ofVoid(ADDRESS));
        loopCfgCreate = bind("fuse_loop_cfg_create", FunctionDescriptor.of(ADDRESS));
        loopCfgDestroy = bind("fuse_loop_cfg_destroy", FunctionDescriptor.ofVoid(ADDRESS));
        loopCfgSetMaxThreads = bind("fuse_loop_cfg_set_max_threads", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
        replyErr = bind("fuse_reply_err", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        replyNone = bind("fuse_reply_none", FunctionDescriptor.ofVoid(ADDRESS));
        replyEntry = bind("fuse_reply_entry", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        replyCreate = bind("fuse_reply_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        replyAttr = bind("fuse_reply_attr", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_DOUBLE));
        replyReadlink = bind("fuse_reply_readlink", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        replyOpen = bind("fuse_reply_open", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        replyWrite = bind("fuse_reply_write", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        replyBuf = bind("fuse_reply_buf", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        replyIov = bind("fuse_reply_iov", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        replyStatfs = bind("fuse_reply_statfs", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        replyLseek = bind("fuse_reply_lseek", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        replyXattr = bind("fuse_reply_xattr", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        addDirentry = bind("fuse_add_direntry",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
        addDirentryPlus = bind("fuse_add_direntry_plus",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
        reqCtx = bind("fuse_req_ctx", FunctionDescriptor.of(ADDRESS, ADDRESS));
        reqGetgroups = bind("fuse_req_getgroups", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        reqInterruptFunc = bind("fuse_req_interrupt_func", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
        notifyInvalInode = bind("fuse_lowlevel_notify_inval_inode",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    }

    private MethodHandle bind(String name, FunctionDescriptor fd) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new FuseUnavailableException(
                SONAME + " has no symbol " + name + ": libfuse 3.12 or newer is needed"));
        return LINKER.downcallHandle(sym, fd);
    }

    /** The bound library, loading it on first use. */
    public static LibFuse load() {
        LibFuse l = instance;
        if (l != null) {
            return l;
        }
        synchronized (LibFuse.class) {
            if (instance == null) {
                instance = new LibFuse(open());
            }
            return instance;
        }
    }

    private static SymbolLookup open() {
        String explicit = System.getProperty("daxfs.libfuse", System.getenv("DAXFS_LIBFUSE"));
        List<String> tries = explicit != null && !explicit.isBlank() ? List.of(explicit) : List.of(SONAME);
        for (String t : tries) {
            try {
                return t.contains("/") ? SymbolLookup.libraryLookup(Path.of(t), Arena.global())
                        : SymbolLookup.libraryLookup(t, Arena.global());
            } catch (IllegalArgumentException e) {
                // not found: reported below with the remedy
            }
        }
        throw new FuseUnavailableException(tries.getFirst() + " not found: " + installHint());
    }

    /** What to run so that mounting works on this machine. */
    public static String installHint() {
        boolean apt = Files.isExecutable(Path.of("/usr/bin/apt-get"));
        String cmd = apt ? "apt-get install -y fuse3" : "install your distribution's fuse3 package";
        return "run `scripts/setup-fuse` (or `" + (isRoot() ? "" : "sudo ") + cmd
                + "`), or point DAXFS_LIBFUSE at libfuse3.so.3";
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
