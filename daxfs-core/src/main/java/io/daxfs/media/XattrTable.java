package io.daxfs.media;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An inode's extended attributes as stored: one table, the concatenated payloads of a chain of
 * xattr blocks (docs/FORMAT.md, "Extended attributes").
 * <pre>
 * entry:  0 u8 namespace   1 u8 name length   2 u16 zero   4 u32 value length
 *         8 name bytes (without the namespace prefix), then the value bytes; no padding
 * block:  header kind XATTRS, a = owning inode, b = next xattr block (0 = last),
 *         c = payload bytes in this block (1..4064), payload at [32, 32 + c), the rest zero
 * </pre>
 * Entries are sorted by namespace, then name (unsigned bytes), and unique. The namespaces and
 * their prefixes are fixed by the format ({@link #PREFIXES}); the two ACL namespaces are whole
 * names and carry an empty suffix.
 *
 * <p>Instances are immutable: a change makes a new table ({@link #with}, {@link #without}).
 */
public final class XattrTable {
    /** Namespace numbers 1..5 and the name prefix each stands for (index 0 unused). */
    public static final String[] PREFIXES = {null, "user.", "trusted.", "security.",
            "system.posix_acl_access", "system.posix_acl_default"};
    public static final int USER = 1;
    public static final int TRUSTED = 2;
    public static final int SECURITY = 3;
    public static final int ACL_ACCESS = 4;
    public static final int ACL_DEFAULT = 5;
    /** Most bytes of one value (Linux's XATTR_SIZE_MAX). */
    public static final int MAX_VALUE = 65536;
    /** Most bytes of a whole name, prefix included (Linux's XATTR_NAME_MAX). */
    public static final int MAX_NAME = 255;
    /** Payload bytes per xattr block. */
    public static final int PAYLOAD_PER_BLOCK = Geometry.BLOCK_SIZE - BlockHeader.SIZE;
    /** Most xattr blocks an inode may have; a table that needs more is ENOSPC. */
    public static final int MAX_BLOCKS = 64;
    public static final int MAX_BYTES = MAX_BLOCKS * PAYLOAD_PER_BLOCK;
    private static final int ENTRY_HEADER = 8;

    public static final XattrTable EMPTY = new XattrTable(new byte[0]);

    /** The encoded table, exactly as the chain's payloads concatenate. */
    private final byte[] bytes;

    private XattrTable(byte[] bytes) {
        this.bytes = bytes;
    }

    /** One attribute: its namespace number, the name after the prefix, and the value. */
    public record Entry(int namespace, byte[] suffix, byte[] value) {
        /** The whole name as Linux spells it (prefix + suffix), as bytes. */
        public byte[] fullName() {
            byte[] p = PREFIXES[namespace].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] out = Arrays.copyOf(p, p.length + suffix.length);
            System.arraycopy(suffix, 0, out, p.length, suffix.length);
            return out;
        }
    }

    public int byteSize() {
        return bytes.length;
    }

    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /** Xattr blocks this table needs. */
    public int blocksNeeded() {
        return (bytes.length + PAYLOAD_PER_BLOCK - 1) / PAYLOAD_PER_BLOCK;
    }

    /** The value of the attribute, or null when there is none. */
    public byte[] get(int namespace, byte[] suffix) {
        for (int off = 0; off < bytes.length; off = next(off)) {
            if (matches(off, namespace, suffix)) {
                int len = valueLength(off);
                int v = off + ENTRY_HEADER + nameLength(off);
                return Arrays.copyOfRange(bytes, v, v + len);
            }
        }
        return null;
    }

    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        for (int off = 0; off < bytes.length; off = next(off)) {
            int n = nameLength(off);
            int v = off + ENTRY_HEADER + n;
            out.add(new Entry(bytes[off] & 0xff, Arrays.copyOfRange(bytes, off + ENTRY_HEADER, v),
                    Arrays.copyOfRange(bytes, v, v + valueLength(off))));
        }
        return out;
    }

    /** This table with the attribute set to {@code value} (added or replaced). */
    public XattrTable with(int namespace, byte[] suffix, byte[] value) {
        List<Entry> list = entries();
        Entry e = new Entry(namespace, suffix.clone(), value.clone());
        int i = 0;
        while (i < list.size() && compare(list.get(i), namespace, suffix) < 0) {
            i++;
        }
        if (i < list.size() && compare(list.get(i), namespace, suffix) == 0) {
            list.set(i, e);
        } else {
            list.add(i, e);
        }
        return of(list);
    }

    /** This table without the attribute (the same table when it has none). */
    public XattrTable without(int namespace, byte[] suffix) {
        List<Entry> list = entries();
        if (!list.removeIf(x -> compare(x, namespace, suffix) == 0)) {
            return this;
        }
        return of(list);
    }

    /** Encodes sorted, unique entries. */
    private static XattrTable of(List<Entry> sorted) {
        int size = 0;
        for (Entry e : sorted) {
            size += ENTRY_HEADER + e.suffix.length + e.value.length;
        }
        byte[] out = new byte[size];
        MemorySegment s = MemorySegment.ofArray(out);
        int off = 0;
        for (Entry e : sorted) {
            out[off] = (byte) e.namespace;
            out[off + 1] = (byte) e.suffix.length;
            Le.putInt(s, off + 4, e.value.length);
            System.arraycopy(e.suffix, 0, out, off + ENTRY_HEADER, e.suffix.length);
            System.arraycopy(e.value, 0, out, off + ENTRY_HEADER + e.suffix.length, e.value.length);
            off += ENTRY_HEADER + e.suffix.length + e.value.length;
        }
        return new XattrTable(out);
    }

    /**
     * Decodes and checks a table (EUCLEAN when it is not well formed: an entry running past the
     * end, an unknown namespace, a name too long or not allowed in its namespace, a value too
     * long, nonzero reserved bytes, or entries out of order or repeated).
     */
    public static XattrTable decode(byte[] bytes, long ino) throws DaxException {
        MemorySegment s = MemorySegment.ofArray(bytes);
        int off = 0;
        int prevNs = 0;
        byte[] prev = null;
        while (off < bytes.length) {
            if (bytes.length - off < ENTRY_HEADER) {
                throw bad(ino, "an entry header runs past the end of the table");
            }
            int ns = bytes[off] & 0xff;
            int n = bytes[off + 1] & 0xff;
            long len = Le.getInt(s, off + 4) & 0xffffffffL;
            if (ns < USER || ns > ACL_DEFAULT || Le.getU16(s, off + 2) != 0) {
                throw bad(ino, "entry at " + off + " has namespace " + ns + " or nonzero reserved bytes");
            }
            boolean acl = ns >= ACL_ACCESS;
            if (acl != (n == 0) || PREFIXES[ns].length() + n > MAX_NAME || len > MAX_VALUE
                    || off + ENTRY_HEADER + n + len > bytes.length) {
                throw bad(ino, "entry at " + off + " has a bad name or value length");
            }
            byte[] suffix = Arrays.copyOfRange(bytes, off + ENTRY_HEADER, off + ENTRY_HEADER + n);
            for (byte b : suffix) {
                if (b == 0) {
                    throw bad(ino, "entry at " + off + " has a NUL in its name");
                }
            }
            if (prev != null && (ns < prevNs || ns == prevNs && Arrays.compareUnsigned(suffix, prev) <= 0)) {
                throw bad(ino, "entries out of order or repeated at " + off);
            }
            prevNs = ns;
            prev = suffix;
            off += ENTRY_HEADER + n + (int) len;
        }
        return new XattrTable(bytes.clone());
    }

    private static DaxException bad(long ino, String what) {
        return new DaxException(Errno.EUCLEAN, "inode " + ino + ": extended attributes: " + what);
    }

    /**
     * Fills chain block {@code index} of this table for inode {@code ino}, with {@code next} the
     * following block (0 for the last), and seals it.
     */
    public void fillBlock(MemorySegment blk, long ino, int index, long next) {
        blk.fill((byte) 0);
        int from = index * PAYLOAD_PER_BLOCK;
        int len = Math.min(PAYLOAD_PER_BLOCK, bytes.length - from);
        BlockHeader.init(blk, BlockHeader.XATTRS, ino, next, len);
        MemorySegment.copy(bytes, from, blk, ValueLayout.JAVA_BYTE, BlockHeader.SIZE, len);
        BlockHeader.seal(blk);
    }

    /**
     * Reads one chain block's payload into {@code out} at {@code off} (the header is verified
     * by the caller's kind check here too); returns the payload length. EUCLEAN when the block is
     * not an xattr block of {@code ino} or its length is out of range.
     */
    public static int readBlock(MemorySegment blk, long ino, byte[] out, int off) throws DaxException {
        BlockHeader.verify(blk, BlockHeader.XATTRS, "inode " + ino + " xattr block");
        long len = BlockHeader.c(blk);
        if (BlockHeader.a(blk) != ino || len < 1 || len > PAYLOAD_PER_BLOCK || off + len > out.length) {
            throw bad(ino, "xattr block has a bad header");
        }
        MemorySegment.copy(blk, ValueLayout.JAVA_BYTE, BlockHeader.SIZE, out, off, (int) len);
        return (int) len;
    }

    /**
     * Reads the table of inode {@code ino} from its chain of {@code count} blocks starting at
     * {@code head}, through {@code blocks}; the block numbers go to {@code chainOut}. EUCLEAN on
     * a chain that does not end where the count says, a block out of the data area, or a
     * malformed table.
     */
    public static XattrTable read(long ino, long head, int count, Geometry g,
                                  java.util.function.LongFunction<MemorySegment> blocks, long[] chainOut)
            throws DaxException {
        if (count == 0) {
            if (head != 0) {
                throw bad(ino, "a first xattr block but no count");
            }
            return EMPTY;
        }
        if (count < 0 || count > MAX_BLOCKS) {
            throw bad(ino, count + " xattr blocks (at most " + MAX_BLOCKS + ")");
        }
        byte[] out = new byte[count * PAYLOAD_PER_BLOCK];
        int len = 0;
        long next = head;
        for (int i = 0; i < count; i++) {
            if (!g.isDataBlock(next)) {
                throw bad(ino, "xattr block pointer " + next + " out of range");
            }
            chainOut[i] = next;
            MemorySegment blk = blocks.apply(next);
            len += readBlock(blk, ino, out, len);
            next = BlockHeader.b(blk);
        }
        if (next != 0) {
            throw bad(ino, "the xattr chain is longer than its count");
        }
        return decode(Arrays.copyOf(out, len), ino);
    }

    private int nameLength(int off) {
        return bytes[off + 1] & 0xff;
    }

    private int valueLength(int off) {
        return Le.getInt(MemorySegment.ofArray(bytes), off + 4);
    }

    private int next(int off) {
        return off + ENTRY_HEADER + nameLength(off) + valueLength(off);
    }

    private boolean matches(int off, int namespace, byte[] suffix) {
        int n = nameLength(off);
        return (bytes[off] & 0xff) == namespace && n == suffix.length
                && Arrays.equals(bytes, off + ENTRY_HEADER, off + ENTRY_HEADER + n, suffix, 0, n);
    }

    private static int compare(Entry e, int namespace, byte[] suffix) {
        int c = Integer.compare(e.namespace, namespace);
        return c != 0 ? c : Arrays.compareUnsigned(e.suffix, suffix);
    }
}
