package io.daxfs.journal;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;
import io.daxfs.media.Le;
import io.daxfs.media.Superblock;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Reads the committed transactions of a journal without writing anything: used by mount (to
 * validate, then replay), by read-only mounts and by fsck (to overlay replayed blocks in memory).
 *
 * <h2>Journal format</h2>
 * The journal is a ring of {@code journalBlocks} blocks. A transaction with sequence {@code s}
 * occupies consecutive ring positions:
 * <pre>
 *   descriptor (a = s, b = n homes listed, c = 1 if another descriptor group follows)
 *   n block images, one per home block number listed in the descriptor
 *   ... more descriptor groups ...
 *   commit (a = s, b = blocks in the transaction before the commit, c = crc32c of those blocks)
 * </pre>
 * The writer persists descriptors and images, then writes and persists the commit block. So a
 * valid commit means its whole transaction is durable: a transaction whose commit block is valid
 * but whose contents do not match its checksum is corruption (EUCLEAN), while a transaction with
 * no valid commit block is a torn tail (a crash during commit) and simply ends the log.
 * The log starts at the tail recorded in the superblock and ends at the first position that does
 * not hold the next expected sequence number.
 */
public final class JournalScan {
    /** Home block numbers one descriptor can list. */
    public static final int HOMES_PER_DESCRIPTOR = (Geometry.BLOCK_SIZE - BlockHeader.SIZE) / 8;

    /** One committed transaction: home block numbers and the ring positions of their images. */
    public record Tx(long seq, long startPos, int length, long[] homes, long[] imagePos) {
    }

    /** The log found: transactions in order, where the next one goes, and its sequence number. */
    public record Result(List<Tx> txs, long headPos, long nextSeq) {
        /** For each home block, the ring position of its newest image (what replay would write). */
        public Map<Long, Long> latestImages() {
            Map<Long, Long> m = new HashMap<>();
            for (Tx t : txs) {
                for (int i = 0; i < t.homes.length; i++) {
                    m.put(t.homes[i], t.imagePos[i]);
                }
            }
            return m;
        }
    }

    private JournalScan() {
    }

    /** Scans the journal of {@code device} from the superblock's tail. EUCLEAN on corruption. */
    public static Result scan(MemorySegment device, Superblock sb) throws DaxException {
        Geometry g = sb.geometry();
        long ring = g.journalBlocks();
        long pos = sb.journalTailPos();
        long seq = sb.journalTailSeq();
        long consumed = 0;
        List<Tx> txs = new ArrayList<>();
        while (true) {
            Tx tx = readTx(device, g, pos, seq, ring - consumed);
            if (tx == null) {
                checkNoOrphanCommit(device, g, pos, seq);
                return new Result(txs, pos, seq);
            }
            txs.add(tx);
            pos = (pos + tx.length) % ring;
            consumed += tx.length;
            seq++;
        }
    }

    /** The ring position {@code pos} as a device segment. */
    public static MemorySegment ringBlock(MemorySegment device, Geometry g, long pos) {
        return device.asSlice((g.journalStart() + pos) << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
    }

    private static Tx readTx(MemorySegment dev, Geometry g, long start, long seq, long room) throws DaxException {
        long ring = g.journalBlocks();
        List<Long> homes = new ArrayList<>();
        List<Long> images = new ArrayList<>();
        CRC32C crc = new CRC32C();
        long pos = start;
        int length = 0;
        boolean more = true;
        while (more) {
            MemorySegment d = ringBlock(dev, g, pos);
            if (!BlockHeader.valid(d, BlockHeader.JOURNAL_DESCRIPTOR) || BlockHeader.a(d) != seq) {
                if (length == 0) {
                    return null; // end of log
                }
                return null; // torn: a later descriptor group never became durable; no commit can be valid
            }
            long n = BlockHeader.b(d);
            long flags = BlockHeader.c(d);
            if (n < 1 || n > HOMES_PER_DESCRIPTOR || (flags & ~1L) != 0 || length + 1 + n + 1 > room) {
                throw new DaxException(Errno.EUCLEAN, "journal transaction " + seq + ": descriptor lists " + n + " blocks");
            }
            crc.update(d.asByteBuffer());
            pos = (pos + 1) % ring;
            length++;
            for (int i = 0; i < n; i++) {
                long home = Le.getLong(d, BlockHeader.SIZE + 8L * i);
                if (!g.isFixedMetadata(home) && !g.isDataBlock(home)) {
                    throw new DaxException(Errno.EUCLEAN, "journal transaction " + seq + ": block " + home
                            + " is not a journaled location");
                }
                homes.add(home);
                images.add(pos);
                crc.update(ringBlock(dev, g, pos).asByteBuffer());
                pos = (pos + 1) % ring;
                length++;
            }
            more = flags == 1;
        }
        MemorySegment c = ringBlock(dev, g, pos);
        if (!BlockHeader.valid(c, BlockHeader.JOURNAL_COMMIT) || BlockHeader.a(c) != seq) {
            return null; // torn tail: the commit never became durable
        }
        if (BlockHeader.b(c) != length || BlockHeader.c(c) != (crc.getValue() & 0xFFFF_FFFFL)) {
            throw new DaxException(Errno.EUCLEAN, "journal transaction " + seq + " is committed but its contents fail the checksum");
        }
        length++;
        return new Tx(seq, start, length, homes.stream().mapToLong(Long::longValue).toArray(),
                images.stream().mapToLong(Long::longValue).toArray());
    }

    /**
     * The log ended at {@code pos}. If a valid commit block for the expected sequence sits further
     * on, the transaction it closes was durable and its descriptor is damaged: corruption, not a
     * torn tail.
     */
    private static void checkNoOrphanCommit(MemorySegment dev, Geometry g, long pos, long seq) throws DaxException {
        long ring = g.journalBlocks();
        for (long i = 1; i < ring; i++) {
            MemorySegment b = ringBlock(dev, g, (pos + i) % ring);
            if (BlockHeader.magic(b) == BlockHeader.JOURNAL_COMMIT && BlockHeader.a(b) == seq
                    && BlockHeader.valid(b, BlockHeader.JOURNAL_COMMIT)) {
                throw new DaxException(Errno.EUCLEAN, "journal transaction " + seq
                        + " has a valid commit block but a damaged descriptor");
            }
        }
    }
}
