package io.daxfs.nio;

import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** One stat of a file as basic and POSIX attributes. Its file key is (file system, inode number). */
final class FileAttributes implements PosixFileAttributes {
    /** Identifies a file within this JVM: the same file of the same mounted file system. */
    record Key(DaxNioFileSystem fs, long ino) {
    }

    private final DaxNioFileSystem fs;
    private final FileStat st;

    FileAttributes(DaxNioFileSystem fs, FileStat st) {
        this.fs = fs;
        this.st = st;
    }

    FileStat stat() {
        return st;
    }

    static FileTime time(long ns) {
        return FileTime.from(ns, TimeUnit.NANOSECONDS);
    }

    @Override
    public FileTime lastModifiedTime() {
        return time(st.mtimeNs());
    }

    @Override
    public FileTime lastAccessTime() {
        return time(st.atimeNs());
    }

    @Override
    public FileTime creationTime() {
        return time(st.btimeNs());
    }

    @Override
    public boolean isRegularFile() {
        return st.type() == FileType.REGULAR;
    }

    @Override
    public boolean isDirectory() {
        return st.type() == FileType.DIRECTORY;
    }

    @Override
    public boolean isSymbolicLink() {
        return st.type() == FileType.SYMLINK;
    }

    @Override
    public boolean isOther() {
        return !isRegularFile() && !isDirectory() && !isSymbolicLink();
    }

    @Override
    public long size() {
        return st.size();
    }

    @Override
    public Object fileKey() {
        return new Key(fs, st.ino());
    }

    @Override
    public UserPrincipal owner() {
        return Principals.user(st.uid());
    }

    @Override
    public GroupPrincipal group() {
        return Principals.group(st.gid());
    }

    @Override
    public Set<PosixFilePermission> permissions() {
        return permissions(st.mode());
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                out.add(order[bit]);
            }
        }
        return out;
    }

    static int mode(Set<PosixFilePermission> perms) {
        String s = PosixFilePermissions.toString(perms);
        int mode = 0;
        for (int i = 0; i < 9; i++) {
            if (s.charAt(i) != '-') {
                mode |= 1 << (8 - i);
            }
        }
        return mode;
    }
}
