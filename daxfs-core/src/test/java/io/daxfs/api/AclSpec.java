package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.PosixAcl;
import io.daxfs.types.PosixAcl.Entry;

import org.junit.jupiter.api.Test;

import java.nio.file.LinkOption;
import java.util.List;

import static io.daxfs.types.PosixAcl.GROUP;
import static io.daxfs.types.PosixAcl.GROUP_OBJ;
import static io.daxfs.types.PosixAcl.MASK;
import static io.daxfs.types.PosixAcl.OTHER;
import static io.daxfs.types.PosixAcl.USER;
import static io.daxfs.types.PosixAcl.USER_OBJ;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * POSIX ACLs through system.posix_acl_access and system.posix_acl_default: the access list and
 * the mode stay one (an ACL sets the mode's bits, a chmod rewrites the owner, mask and other
 * entries, a list no richer than the mode is not stored), the access check follows the POSIX.1e
 * algorithm (owner, named users through the mask, groups, other; root), and a directory's
 * default list is inherited by what is created in it, instead of the umask.
 */
class AclSpec extends FsSpec {
    static final String ACCESS = "system.posix_acl_access";
    static final String DEFAULT = "system.posix_acl_default";
    static final int OWNER = 1000, FRIEND = 1001, STRANGER = 1002, STAFF = 50, OTHERS = 60;

    private static PosixAcl acl(Entry... entries) throws DaxException {
        return PosixAcl.of(List.of(entries));
    }

    /** owner rwx, user FRIEND rw-, group r-x, group STAFF rwx, mask given, other ---. */
    private static PosixAcl rich(int mask) throws DaxException {
        return acl(new Entry(USER_OBJ, -1, 7), new Entry(USER, FRIEND, 6), new Entry(GROUP_OBJ, -1, 5),
                new Entry(GROUP, STAFF, 7), new Entry(MASK, -1, mask), new Entry(OTHER, -1, 0));
    }

    private long file(String path, int mode) throws DaxException {
        fs.open(path, CREATE, WRITE).close();
        fs.chmod(path, mode);
        fs.chown(path, OWNER, OTHERS + 1);
        return fs.stat(path).ino();
    }

    private void allowed(String path, int uid, int[] gids, int want) throws DaxException {
        fs.checkAccess(path, uid, gids, want);
    }

    private void denied(String path, int uid, int[] gids, int want) {
        fails(Errno.EACCES, () -> fs.checkAccess(path, uid, gids, want), "uid " + uid + " want " + want);
    }

    @Test
    void anAccessListSetsTheModeAndIsReadBackAsSet() throws Exception {
        file("/f", 0644);
        fs.setxattr("/f", ACCESS, rich(6).encode(), 0);
        assertEquals(0760, fs.stat("/f").mode() & 0777, "owner rwx, mask rw- as the group bits, other ---");
        assertEquals(rich(6), PosixAcl.parse(fs.getxattr("/f", ACCESS)));
        assertEquals(List.of(ACCESS), fs.listxattr("/f"));
    }

    @Test
    void aListNoRicherThanTheModeIsOnlyTheMode() throws Exception {
        file("/f", 0644);
        fs.setxattr("/f", ACCESS, PosixAcl.fromMode(0751).encode(), 0);
        assertEquals(0751, fs.stat("/f").mode() & 0777);
        fails(Errno.ENODATA, () -> fs.getxattr("/f", ACCESS), "not stored, as on Linux");
        assertEquals(List.of(), fs.listxattr("/f"));
    }

    @Test
    void chmodRewritesTheOwnerMaskAndOtherEntries() throws Exception {
        file("/f", 0644);
        fs.setxattr("/f", ACCESS, rich(7).encode(), 0);
        fs.chmod("/f", 0541);
        PosixAcl now = PosixAcl.parse(fs.getxattr("/f", ACCESS));
        assertEquals(acl(new Entry(USER_OBJ, -1, 5), new Entry(USER, FRIEND, 6), new Entry(GROUP_OBJ, -1, 5),
                new Entry(GROUP, STAFF, 7), new Entry(MASK, -1, 4), new Entry(OTHER, -1, 1)), now,
                "named entries and the owning group keep their bits; the mask takes the group bits");
        denied("/f", FRIEND, new int[]{OTHERS}, PosixAcl.W_OK); // rw- masked by r--
        allowed("/f", FRIEND, new int[]{OTHERS}, PosixAcl.R_OK);
    }

    @Test
    void theAccessCheckFollowsPosix1e() throws Exception {
        file("/f", 0644);
        fs.setxattr("/f", ACCESS, rich(6).encode(), 0);
        int[] none = {OTHERS};
        allowed("/f", OWNER, none, 7);
        allowed("/f", FRIEND, none, PosixAcl.R_OK | PosixAcl.W_OK);
        allowed("/f", STRANGER, new int[]{STAFF}, PosixAcl.R_OK | PosixAcl.W_OK);
        denied("/f", STRANGER, new int[]{STAFF}, PosixAcl.X_OK); // STAFF rwx, but the mask is rw-
        allowed("/f", STRANGER, new int[]{OTHERS + 1}, PosixAcl.R_OK); // owning group r-x
        denied("/f", STRANGER, new int[]{OTHERS + 1}, PosixAcl.W_OK); // a group matched and none grants: not other
        denied("/f", STRANGER, none, PosixAcl.R_OK); // other ---
        allowed("/f", 0, none, PosixAcl.R_OK | PosixAcl.W_OK);
        allowed("/f", 0, none, PosixAcl.X_OK); // the owner has x
        fs.chmod("/f", 0600);
        denied("/f", 0, none, PosixAcl.X_OK); // root executes only what has an x bit
        file("/g", 0640);
        allowed("/g", STRANGER, new int[]{OTHERS + 1}, PosixAcl.R_OK); // no ACL: the mode alone
        denied("/g", STRANGER, none, PosixAcl.R_OK);
        fails(Errno.EINVAL, () -> fs.checkAccess("/g", OWNER, none, 8));
    }

    @Test
    void aDirectorysDefaultListIsInheritedInsteadOfTheUmask() throws Exception {
        fs.mkdir("/d", 0755);
        PosixAcl def = rich(7);
        fs.setxattr("/d", DEFAULT, def.encode(), 0);
        DaxInodes inodes = fs.inodes();
        long d = fs.stat("/d").ino();
        inodes.create(d, "f", 0666, 077, OWNER, STAFF, true).file().close();
        assertEquals(0660, fs.stat("/d/f").mode() & 0777, "the ACL masked by the mode 0666, not by umask 077");
        assertEquals(def.forNewFile(0666), PosixAcl.parse(fs.getxattr("/d/f", ACCESS)));
        fails(Errno.ENODATA, () -> fs.getxattr("/d/f", DEFAULT), "files get no default list");
        inodes.mkdir(d, "sub", 0755, 077, OWNER, STAFF);
        assertEquals(0750, fs.stat("/d/sub").mode() & 0777, "rwx, mask rwx & r-x, other --- & r-x");
        assertArrayEquals(def.encode(), fs.getxattr("/d/sub", DEFAULT), "directories inherit the default list");
        inodes.mkdir(fs.stat("/d/sub").ino(), "deeper", 0700, 0, OWNER, STAFF);
        assertArrayEquals(def.encode(), fs.getxattr("/d/sub/deeper", DEFAULT), "and pass it on");
        inodes.symlink(d, "link", "f", OWNER, STAFF);
        assertEquals(List.of(), fs.listxattr("/d/link", LinkOption.NOFOLLOW_LINKS), "symlinks get no ACL");
    }

    @Test
    void withoutADefaultListTheUmaskApplies() throws Exception {
        fs.mkdir("/d", 0777);
        long d = fs.stat("/d").ino();
        fs.inodes().create(d, "f", 0666, 022, OWNER, STAFF, true).file().close();
        assertEquals(0644, fs.stat("/d/f").mode() & 0777);
        fs.inodes().mknod(d, "p", 0010666, 0, 027, OWNER, STAFF);
        assertEquals(0640, fs.stat("/d/p").mode() & 0777);
        assertEquals(List.of(), fs.listxattr("/d/f"));
    }

    @Test
    void removingTheAccessListKeepsTheMode() throws Exception {
        file("/f", 0644);
        fs.setxattr("/f", ACCESS, rich(6).encode(), 0);
        fs.removexattr("/f", ACCESS);
        assertEquals(0760, fs.stat("/f").mode() & 0777);
        fs.mkdir("/d");
        fs.setxattr("/d", DEFAULT, rich(6).encode(), 0);
        fs.setxattr("/d", DEFAULT, new byte[]{2, 0, 0, 0}, 0); // an empty list removes it, as setfacl -k does
        assertEquals(List.of(), fs.listxattr("/d"));
    }

    @Test
    void badListsAndBadPlacesAreRefused() throws Exception {
        file("/f", 0644);
        fails(Errno.EACCES, () -> fs.setxattr("/f", DEFAULT, rich(6).encode(), 0), "default list on a file");
        fs.symlink("/f", "/l");
        fails(Errno.EOPNOTSUPP, () -> fs.setxattr("/l", ACCESS, rich(6).encode(), 0, LinkOption.NOFOLLOW_LINKS));
        fails(Errno.EINVAL, () -> fs.setxattr("/f", ACCESS, new byte[]{1, 0, 0, 0}, 0), "version 1");
        fails(Errno.EINVAL, () -> fs.setxattr("/f", ACCESS, new byte[7], 0), "not 4 + 8n bytes");
        PosixAcl noMask = PosixAcl.fromMode(0644);
        byte[] named = new byte[noMask.encode().length + 8];
        System.arraycopy(noMask.encode(), 0, named, 0, 12); // version, user::
        java.nio.ByteBuffer.wrap(named, 12, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putShort((short) USER).putShort((short) 6).putInt(FRIEND);
        System.arraycopy(noMask.encode(), 12, named, 20, 16); // group::, other::
        fails(Errno.EINVAL, () -> fs.setxattr("/f", ACCESS, named, 0), "a named user without a mask");
        fails(Errno.EINVAL, () -> acl(new Entry(USER_OBJ, -1, 7), new Entry(OTHER, -1, 0)), "no group entry");
        assertEquals(0644, fs.stat("/f").mode() & 0777, "refusals change nothing");
    }
}
