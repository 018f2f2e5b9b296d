package io.daxfs.types;


/**
 * The attribute changes of one {@link io.daxfs.api.DaxInodes#setattr} call (setattr(2) / FUSE's SETATTR).
 * Each field is optional: {@code mode}, {@code uid}, {@code gid} and {@code size} -1 mean
 * unchanged; the times use {@link #UTIME_OMIT} (unchanged) and
 * {@link #UTIME_NOW}. {@code mode} holds permission bits only (the low 12 bits).
 *
 * <pre>{@code
 * inodes.setattr(ino, SetAttr.NONE.withSize(0).withMtime(SetAttr.UTIME_NOW));
 * }</pre>
 */
public record SetAttr(int mode, int uid, int gid, long size, long atimeNs, long mtimeNs) {
    /** A time that leaves the attribute unchanged (utimensat's UTIME_OMIT). */
    public static final long UTIME_OMIT = Long.MIN_VALUE;
    /** A time that sets the attribute to the current time (utimensat's UTIME_NOW). */
    public static final long UTIME_NOW = Long.MIN_VALUE + 1;

    /** Changes nothing (but ctime). */
    public static final SetAttr NONE = new SetAttr(-1, -1, -1, -1, UTIME_OMIT, UTIME_OMIT);

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
