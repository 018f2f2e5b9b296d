package io.daxfs.fsck;

import io.daxfs.media.BlockHeader;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.XattrTable;
import io.daxfs.types.DaxException;
import io.daxfs.types.FileType;
import io.daxfs.types.PosixAcl;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * An inode's extended attributes as found on the device: the chain of xattr blocks (pointers in
 * the data area, no loop, blocks of the right kind, checksum and owner, payload lengths in range,
 * as many blocks as the record says) and the table it holds (well formed, sorted, unique; user.
 * names only on regular files and directories; no ACL on a symlink and no default ACL but on a
 * directory; ACL values valid, and an access ACL that agrees with the mode's permission bits).
 */
final class XattrCheck {
    private XattrCheck() {
    }

    /**
     * Follows the chain of {@code ino}'s record, adding the blocks verified to be its own to
     * {@code chain}. False on any problem (reported); a block that fails its type, checksum or
     * owner check is not added, since it may belong to someone else.
     */
    static boolean readChain(MetaView view, long ino, InodeRecord r, List<Long> chain, Consumer<String> report) {
        long next = r.xattrHead;
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < r.xattrBlockCount; i++) {
            String what = "inode " + ino + " xattr block #" + i + " (block " + next + ")";
            MemorySegment blk = ChainLink.follow(view, ino, next, BlockHeader.XATTRS, seen, what, "xattr", report);
            if (blk == null) {
                return false;
            }
            chain.add(next);
            long len = BlockHeader.c(blk);
            if (len < 1 || len > XattrTable.PAYLOAD_PER_BLOCK) {
                report.accept(what + ": holds " + len + " payload bytes (must be 1.." + XattrTable.PAYLOAD_PER_BLOCK + ")");
                return false;
            }
            if (!InodePass.allZero(blk, BlockHeader.SIZE + len, XattrTable.PAYLOAD_PER_BLOCK - len)) {
                report.accept(what + ": bytes past its payload are not zero");
                return false;
            }
            next = BlockHeader.b(blk);
        }
        if (next != 0) {
            report.accept("inode " + ino + ": xattr chain continues past its " + r.xattrBlockCount + " blocks (to block "
                    + next + ")");
            return false;
        }
        return true;
    }

    /** Checks the table held by {@code chain} (the whole chain, verified by {@link #readChain}). */
    static void checkTable(MetaView view, InodeInfo info, InodeRecord r, long[] chain, Consumer<String> report) {
        if (chain.length == 0) {
            return;
        }
        byte[] payload = new byte[chain.length * XattrTable.PAYLOAD_PER_BLOCK];
        int len = 0;
        for (long b : chain) {
            MemorySegment blk = view.block(b);
            int n = (int) BlockHeader.c(blk);
            MemorySegment.copy(blk, ValueLayout.JAVA_BYTE, BlockHeader.SIZE, payload, len, n);
            len += n;
        }
        XattrTable t;
        try {
            t = XattrTable.decode(java.util.Arrays.copyOf(payload, len), info.ino);
        } catch (DaxException e) {
            report.accept(e.detail());
            return;
        }
        String who = info.describe();
        for (XattrTable.Entry e : t.entries()) {
            String name = new String(e.fullName(), java.nio.charset.StandardCharsets.ISO_8859_1);
            if (e.namespace() == XattrTable.USER && info.type != FileType.REGULAR && info.type != FileType.DIRECTORY) {
                report.accept(who + ": user. attribute " + name + " on a " + InodeInfo.typeName(info.type));
            }
            if (e.namespace() >= XattrTable.ACL_ACCESS) {
                if (info.type == FileType.SYMLINK || e.namespace() == XattrTable.ACL_DEFAULT && info.type != FileType.DIRECTORY) {
                    report.accept(who + ": " + name + " on a " + InodeInfo.typeName(info.type));
                    continue;
                }
                PosixAcl acl;
                try {
                    acl = PosixAcl.parse(e.value());
                } catch (DaxException x) {
                    report.accept(who + ": " + name + " is not a valid ACL (" + x.detail() + ")");
                    continue;
                }
                if (acl.isEmpty()) {
                    report.accept(who + ": " + name + " is an empty ACL (none is stored instead)");
                } else if (e.namespace() == XattrTable.ACL_ACCESS && acl.modeBits() != (r.mode & 0777)) {
                    report.accept(who + ": access ACL " + acl + " disagrees with mode " + Integer.toOctalString(r.mode & 07777));
                }
            }
        }
    }
}
