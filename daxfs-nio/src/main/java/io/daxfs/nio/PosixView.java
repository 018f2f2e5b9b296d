package io.daxfs.nio;

import io.daxfs.types.FileStat;
import io.daxfs.types.SetAttr;

import java.io.IOException;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The basic, POSIX and owner view of one file, whether it is named by a path or reached from a
 * secure directory stream: it reads the file's status through {@code read} and changes the
 * file whose status {@code target} gives, through setattr on its inode number, then reports the
 * change with {@code changed}. A view holds no attributes: each call asks again.
 */
final class PosixView implements PosixFileAttributeView {
    /** A status of the file, read now. */
    interface Status {
        FileStat get() throws IOException;
    }

    private final DaxNioFileSystem fs;
    private final DaxPath about;
    private final Status read;
    private final Status target;
    private final Runnable changed;

    /**
     * @param about  the path errors name
     * @param read   the status reads show (a link itself when the view does not follow links)
     * @param target the status of the file changes go to
     */
    PosixView(DaxNioFileSystem fs, DaxPath about, Status read, Status target, Runnable changed) {
        this.fs = fs;
        this.about = about;
        this.read = read;
        this.target = target;
        this.changed = changed;
    }

    @Override
    public String name() {
        return "posix";
    }

    @Override
    public PosixFileAttributes readAttributes() throws IOException {
        return new FileAttributes(fs, read.get());
    }

    /** Applies {@code change} to the target (given its current status) and reports it. */
    private void set(java.util.function.Function<FileStat, SetAttr> change) throws IOException {
        FileStat st = target.get();
        SetAttr a = change.apply(st);
        fs.with(about, c -> c.inodes().setattr(st.ino(), a));
        changed.run();
    }

    @Override
    public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime) throws IOException {
        if (lastModifiedTime == null && lastAccessTime == null) {
            return; // a creation time alone: daxfs sets it at creation only
        }
        long m = lastModifiedTime == null ? SetAttr.UTIME_OMIT : lastModifiedTime.to(TimeUnit.NANOSECONDS);
        long a = lastAccessTime == null ? SetAttr.UTIME_OMIT : lastAccessTime.to(TimeUnit.NANOSECONDS);
        set(st -> SetAttr.NONE.withMtime(m).withAtime(a));
    }

    /** Sets the nine permission bits, keeping setuid, setgid and sticky. */
    @Override
    public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
        int mode = FileAttributes.mode(perms);
        set(st -> SetAttr.NONE.withMode((st.mode() & 07000) | mode));
    }

    /** Sets all permission bits (the low 12 of {@code mode}): unix:mode. */
    void setMode(int mode) throws IOException {
        set(st -> SetAttr.NONE.withMode(mode));
    }

    @Override
    public void setGroup(GroupPrincipal group) throws IOException {
        int gid = Principals.uidOf(group);
        set(st -> SetAttr.NONE.withGid(gid));
    }

    @Override
    public UserPrincipal getOwner() throws IOException {
        return readAttributes().owner();
    }

    @Override
    public void setOwner(UserPrincipal owner) throws IOException {
        int uid = Principals.uidOf(owner);
        set(st -> SetAttr.NONE.withUid(uid));
    }

    /** Sets the owner by number: unix:uid. */
    void setUid(int uid) throws IOException {
        set(st -> SetAttr.NONE.withUid(uid));
    }

    /** Sets the group by number: unix:gid. */
    void setGid(int gid) throws IOException {
        set(st -> SetAttr.NONE.withGid(gid));
    }
}
