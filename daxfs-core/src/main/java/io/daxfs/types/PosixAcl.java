package io.daxfs.types;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A POSIX access control list in the form Linux passes through the {@code system.posix_acl_access}
 * and {@code system.posix_acl_default} extended attributes: a u32 version (2), then one 8-byte
 * entry per line, little-endian: u16 tag, u16 permissions (r=4, w=2, x=1), u32 id (a uid for
 * {@link #USER}, a gid for {@link #GROUP}, otherwise ignored and written as -1).
 *
 * <p>A valid list ({@link #parse} checks it, EINVAL otherwise) has entries sorted by tag and then
 * id, exactly one {@link #USER_OBJ}, {@link #GROUP_OBJ} and {@link #OTHER}, no id twice within a
 * tag, and a {@link #MASK} whenever it has a named user or group. The file's mode is part of the
 * access list: its owner bits are USER_OBJ, its group bits are MASK (GROUP_OBJ without a mask) and
 * its other bits are OTHER, so a chmod changes those entries and an access list sets those bits.
 *
 * <p>Immutable.
 */
public final class PosixAcl {
    public static final int USER_OBJ = 0x01;
    public static final int USER = 0x02;
    public static final int GROUP_OBJ = 0x04;
    public static final int GROUP = 0x08;
    public static final int MASK = 0x10;
    public static final int OTHER = 0x20;
    public static final int VERSION = 2;
    /** Access-check bits, as in access(2). */
    public static final int R_OK = 4, W_OK = 2, X_OK = 1;

    /** One entry: tag, id (uid or gid, -1 when the tag has none), permission bits (0..7). */
    public record Entry(int tag, int id, int perm) {
    }

    private final List<Entry> entries;

    private PosixAcl(List<Entry> entries) {
        this.entries = Collections.unmodifiableList(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Decodes and checks an ACL attribute value; a value that is only the version header is an empty list. */
    public static PosixAcl parse(byte[] value) throws DaxException {
        if (value.length < 4 || (value.length - 4) % 8 != 0) {
            throw invalid("a POSIX ACL value is 4 + 8n bytes, got " + value.length);
        }
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != VERSION) {
            throw invalid("POSIX ACL version " + b.getInt(0) + " (2 expected)");
        }
        List<Entry> list = new ArrayList<>();
        while (b.hasRemaining()) {
            int tag = Short.toUnsignedInt(b.getShort());
            int perm = Short.toUnsignedInt(b.getShort());
            int id = b.getInt();
            list.add(new Entry(tag, tag == USER || tag == GROUP ? id : -1, perm));
        }
        PosixAcl acl = new PosixAcl(list);
        if (!list.isEmpty()) {
            acl.check();
        }
        return acl;
    }

    private void check() throws DaxException {
        int prevTag = 0;
        long prevId = Long.MIN_VALUE;
        int objs = 0;
        boolean named = false, mask = false;
        for (Entry e : entries) {
            if (Integer.bitCount(e.tag) != 1 || e.tag > OTHER || (e.perm & ~7) != 0) {
                throw invalid("POSIX ACL entry with tag " + e.tag + " and permissions " + e.perm);
            }
            long id = Integer.toUnsignedLong(e.id);
            if ((e.tag == USER || e.tag == GROUP) && e.id == -1) {
                throw invalid("POSIX ACL entry for the undefined id -1");
            }
            if (e.tag < prevTag || e.tag == prevTag && (e.tag != USER && e.tag != GROUP || id <= prevId)) {
                throw invalid("POSIX ACL entries out of order or repeated (tag " + e.tag + ")");
            }
            prevTag = e.tag;
            prevId = id;
            switch (e.tag) {
                case USER_OBJ, GROUP_OBJ, OTHER -> objs++;
                case USER, GROUP -> named = true;
                case MASK -> mask = true;
                default -> throw new AssertionError();
            }
        }
        if (objs != 3 || named && !mask) {
            throw invalid("a POSIX ACL needs one owner, group and other entry, and a mask with named entries");
        }
    }

    private static DaxException invalid(String what) {
        return new DaxException(Errno.EINVAL, what);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(4 + 8 * entries.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(VERSION);
        for (Entry e : entries) {
            b.putShort((short) e.tag).putShort((short) e.perm).putInt(e.id);
        }
        return b.array();
    }

    /** True when the list says no more than a mode does (only the owner, group and other entries). */
    public boolean isEquivalentToMode() {
        return entries.size() == 3;
    }

    /** The permission bits (0777 part) this access list gives the mode. */
    public int modeBits() {
        int user = 0, group = 0, other = 0, mask = -1;
        for (Entry e : entries) {
            switch (e.tag) {
                case USER_OBJ -> user = e.perm;
                case GROUP_OBJ -> group = e.perm;
                case MASK -> mask = e.perm;
                case OTHER -> other = e.perm;
                default -> {
                }
            }
        }
        return user << 6 | (mask >= 0 ? mask : group) << 3 | other;
    }

    /** This access list after chmod to {@code mode}: owner, mask (or group) and other take the mode's bits. */
    public PosixAcl withMode(int mode) {
        return withClassBits(mode, (perm, bits) -> bits);
    }

    /**
     * The access list a new file gets from this (its directory's default) list and the mode the
     * creating call asked for: each class entry (owner, mask or else group, other) keeps only the
     * bits the mode also has.
     */
    public PosixAcl forNewFile(int mode) {
        return withClassBits(mode, (perm, bits) -> perm & bits);
    }

    /**
     * This list with each class entry (owner; mask, or the owning group when there is no mask;
     * other) set to {@code combine(its permissions, the mode's bits for that class)}; named
     * entries, and the owning group under a mask, keep theirs.
     */
    private PosixAcl withClassBits(int mode, java.util.function.IntBinaryOperator combine) {
        boolean hasMask = find(MASK, -1) != null;
        List<Entry> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            int p = switch (e.tag) {
                case USER_OBJ -> combine.applyAsInt(e.perm, mode >> 6 & 7);
                case MASK -> combine.applyAsInt(e.perm, mode >> 3 & 7);
                case GROUP_OBJ -> hasMask ? e.perm : combine.applyAsInt(e.perm, mode >> 3 & 7);
                case OTHER -> combine.applyAsInt(e.perm, mode & 7);
                default -> e.perm;
            };
            out.add(new Entry(e.tag, e.id, p));
        }
        return new PosixAcl(out);
    }

    /**
     * Whether a caller with {@code uid} and groups {@code gids} may access a file owned by
     * {@code owner}/{@code group} for {@code want} (R_OK | W_OK | X_OK), by this access list (the
     * POSIX.1e algorithm): the owner entry for the owner; else a named user entry, masked; else the
     * group entries that match (owning group and named groups, masked): granted when one of them
     * grants everything, denied when some match but none does; else the other entry.
     */
    public boolean permits(int uid, int[] gids, int owner, int group, int want) {
        Entry maskEntry = find(MASK, -1);
        int mask = maskEntry == null ? 7 : maskEntry.perm; // no mask: a minimal list, nothing masked
        if (uid == owner) {
            return grants(find(USER_OBJ, -1), want);
        }
        for (Entry e : entries) {
            if (e.tag == USER && e.id == uid) {
                return (e.perm & mask & want) == want;
            }
        }
        boolean matched = false;
        for (Entry e : entries) {
            boolean member = e.tag == GROUP_OBJ && inGroups(group, gids) || e.tag == GROUP && inGroups(e.id, gids);
            if (member) {
                matched = true;
                if ((e.perm & mask & want) == want) {
                    return true;
                }
            }
        }
        return !matched && grants(find(OTHER, -1), want);
    }

    private Entry find(int tag, int id) {
        for (Entry e : entries) {
            if (e.tag == tag && (id == -1 || e.id == id)) {
                return e;
            }
        }
        return null;
    }

    private static boolean grants(Entry e, int want) {
        return e != null && (e.perm & want) == want;
    }

    private static boolean inGroups(int gid, int[] gids) {
        for (int g : gids) {
            if (g == gid) {
                return true;
            }
        }
        return false;
    }

    /** The three-entry list that says what {@code mode} says. */
    public static PosixAcl fromMode(int mode) {
        return new PosixAcl(List.of(new Entry(USER_OBJ, -1, mode >> 6 & 7), new Entry(GROUP_OBJ, -1, mode >> 3 & 7),
                new Entry(OTHER, -1, mode & 7)));
    }

    /** Builds a list from entries (checked as {@link #parse} checks them). */
    public static PosixAcl of(List<Entry> entries) throws DaxException {
        return parse(new PosixAcl(new ArrayList<>(entries)).encode());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PosixAcl a && a.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            String t = switch (e.tag) {
                case USER_OBJ -> "user::";
                case USER -> "user:" + Integer.toUnsignedString(e.id) + ":";
                case GROUP_OBJ -> "group::";
                case GROUP -> "group:" + Integer.toUnsignedString(e.id) + ":";
                case MASK -> "mask::";
                case OTHER -> "other::";
                default -> "tag" + e.tag + ":";
            };
            sb.append(sb.isEmpty() ? "" : ",").append(t).append((e.perm & 4) != 0 ? 'r' : '-')
                    .append((e.perm & 2) != 0 ? 'w' : '-').append((e.perm & 1) != 0 ? 'x' : '-');
        }
        return sb.toString();
    }
}
