package io.daxfs.fs;

import io.daxfs.api.*;
import io.daxfs.device.Device;

import java.nio.file.OpenOption;
import java.util.List;

/** TEMPORARY skeleton while the core is written (replaced in the same session). */
public final class Volume {
    private static DaxException todo() { return new DaxException(Errno.ENOSYS, "not yet implemented"); }
    public static void format(Device d, FormatOptions o) throws DaxException { throw todo(); }
    public static void validate(Device d) throws DaxException { throw todo(); }
    public static Volume mount(Device d, MountOptions o, boolean owns) throws DaxException { throw todo(); }
    public OpenFile open(String path, int mode, OpenOption... o) throws DaxException { throw todo(); }
    public void mkdir(String p, int mode) throws DaxException { throw todo(); }
    public void rmdir(String p) throws DaxException { throw todo(); }
    public List<DirEntry> readdir(String p, long cookie, int max) throws DaxException { throw todo(); }
    public void unlink(String p) throws DaxException { throw todo(); }
    public void rename(String a, String b, RenameOption... o) throws DaxException { throw todo(); }
    public void link(String a, String b) throws DaxException { throw todo(); }
    public void symlink(String a, String b) throws DaxException { throw todo(); }
    public String readlink(String p) throws DaxException { throw todo(); }
    public FileStat stat(String p, boolean follow) throws DaxException { throw todo(); }
    public void chmod(String p, int m) throws DaxException { throw todo(); }
    public void chown(String p, int u, int g) throws DaxException { throw todo(); }
    public void utimes(String p, long a, long m) throws DaxException { throw todo(); }
    public FsStat statfs() { return null; }
    public void sync() throws DaxException { throw todo(); }
    public boolean isReadOnly() { return false; }
    public Device device() { return null; }
    public void close() throws DaxException { throw todo(); }
}
