package io.daxfs.api;

/**
 * The attribute changes of one {@link DaxInodes#setattr} call (setattr(2) / FUSE's SETATTR).
 * Each field is optional: {@code mode}, {@code uid}, {@code gid} and {@code size} -1 mean
 * unchanged; the times use {@link DaxFileSystem#UTIME_OMIT} (unchanged) and
 * {@link DaxFileSystem#UTIME_NOW}. {@code mode} holds permission bits only (the low 12 bits).
 *
 * <pre>{@code
 * inodes.setattr(ino, SetAttr.NONE.withSize(0).withMtime(DaxFileSystem.UTIME_NOW));
 * }</pre>
 */
public record SetAttr(int mode, int uid, int gid, long size, long atimeNs, long mtimeNs) {
    /** Changes nothing (but ctime). */
    public static final SetAttr NONE = new SetAttr(-1, -1, -1, -1, DaxFileSystem.UTIME_OMIT, DaxFileSystem.UTIME_OMIT);

    public SetAttr withMode(int permissions) {
        return new SetAttr(permissions & 07777, uid, gid, size, atimeNs, mtimeNs);
    }

    public SetAttr withUid(int newUid) {
        return new SetAttr(mode, newUid, gid, size, atimeNs, mtimeNs);
    }

    public SetAttr withGid(int newGid) {
        return new SetAttr(mode, uid, newGid, size, atimeNs, mtimeNs);
    }

    public SetAttr withSize(long newSize) {
        return new SetAttr(mode, uid, gid, newSize, atimeNs, mtimeNs);
    }

    public SetAttr withAtime(long ns) {
        return new SetAttr(mode, uid, gid, size, ns, mtimeNs);
    }

    public SetAttr withMtime(long ns) {
        return new SetAttr(mode, uid, gid, size, atimeNs, ns);
    }
}
