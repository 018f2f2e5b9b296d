package io.daxfs.fsck;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;
import io.daxfs.device.Device;
import io.daxfs.journal.Journal;
import io.daxfs.journal.JournalScan;
import io.daxfs.media.Geometry;
import io.daxfs.media.Superblock;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The file system checker: an independent reading of the on-device format (docs/FORMAT.md)
 * that trusts only the codecs of {@code io.daxfs.media} and the journal scanner, not the file
 * system's own loading code, so that a bug there cannot hide the damage it causes.
 *
 * <h2>Check</h2>
 * Without repair nothing is written. The superblock is read as mount reads it (a device that is
 * not daxfs, of another version, or with no valid slot is refused with a DaxException), both
 * slots are judged, and the journal is scanned; every other block is read through an overlay of
 * the newest committed journal image of each block, so an image that was not cleanly unmounted
 * is checked as it will be after replay. The passes ({@link Checker}): bitmap blocks, the inode
 * table with each inode's block map and type-specific fields, the orphan list, the directory
 * tree with link counts and reachability, and the block bitmap against block ownership. Every
 * problem is one line naming the inode or block. Every loop is bounded by the geometry and
 * malformed fields become problems: on any input the check ends and throws nothing but
 * DaxException.
 *
 * <h2>Repair</h2>
 * With {@code repair}, the device must be writable, and:
 * <ol>
 * <li>If the journal is corrupt (a committed transaction fails its checksum) nothing is written:
 *     replaying it is unsafe and discarding it would lose committed transactions.</li>
 * <li>The journal is replayed into place as mount does ({@link Journal#replay}); the check then
 *     reads the home locations.</li>
 * <li>Directory entries that point to a free inode, past the inode table, or to the root are
 *     removed; an entry whose type disagrees with its inode gets the inode's type.</li>
 * <li>Non-directories with no links and no name are freed: those on the orphan list (as mount
 *     would), and, when every directory could be read, any other. Their records are zeroed and
 *     their inode numbers and blocks become free.</li>
 * <li>Link counts are set to what the tree says: a file's to the entries naming it (only when
 *     every directory could be read, and never to 0), a directory's to 2 + its subdirectories
 *     (when its own blocks could be read and it has exactly one name); a directory's parent
 *     field is set to the directory naming it. Every {@code blocks} field is set to what the
 *     inode's block map owns.</li>
 * <li>The orphan list is rebuilt from the orphans that are kept (in inode order) and the
 *     orphan flag and links are cleared on every other inode; the fs info block is rewritten.</li>
 * <li>Free inode records holding stray bytes are zeroed; in in-use records, unknown flag bits
 *     are cleared and the reserved bytes and the inline area past an inline symlink target are
 *     zeroed (no reader looks at them; the format says they are zero).</li>
 * <li>Both bitmaps are rebuilt: the inode bitmap from the in-use records, the block bitmap from
 *     the metadata area and every block an inode's map claims. Leaked blocks are freed only when
 *     every owner is known: with a damaged inode, a damaged block map or a cross-linked block,
 *     missing bits are set but no bit is cleared.</li>
 * <li>Changed blocks are written with fresh checksums through the journal, in transactions
 *     ordered so that a crash mid-repair leaves a state the next repair can finish
 *     ({@link RepairWriter}); the journal is checkpointed and both superblock slots are
 *     rewritten, marked clean.</li>
 * <li>The device is checked again; whatever is still wrong is reported again as "not repaired: ...".</li>
 * </ol>
 * Not repaired (reported): damaged inode records, damaged block maps or extent chains,
 * cross-linked blocks, damaged directory blocks and the names they held, duplicate or reserved
 * names, directories with several names, unreachable inodes that still have links (there is no
 * lost+found), damaged symlink targets.
 */
public final class Fsck {
    /** Bit sets over blocks are long[] (at most 2^31 - 1 words) and the inode table an ArrayList. */
    private static final long MAX_BLOCKS = 1L << 36;
    private static final long MAX_INODES = 1L << 30;

    private Fsck() {
    }

    /**
     * Checks (and with {@code repair}, repairs) the unmounted file system on {@code device}.
     * Throws DaxException when the device is refused (not daxfs, unsupported version, no valid
     * superblock), when a repair is asked of a read-only device, or when the device fails.
     */
    public static FsckReport check(Device device, boolean repair, ProgressListener progress) throws DaxException {
        try {
            return run(device, repair, progress);
        } catch (RuntimeException e) {
            throw new DaxException(Errno.EIO, "fsck failed: " + e, e);
        }
    }

    private static FsckReport run(Device device, boolean repair, ProgressListener progress) throws DaxException {
        MemorySegment seg = device.segment();
        Superblock sb = Superblock.read(seg);
        Geometry g = sb.geometry();
        if (g.totalBlocks() > MAX_BLOCKS || g.inodeCount() > MAX_INODES) {
            throw new DaxException(Errno.EFBIG, "fsck handles at most " + MAX_BLOCKS + " blocks and " + MAX_INODES
                    + " inodes; this file system has " + g.totalBlocks() + " and " + g.inodeCount());
        }
        if (repair && device.isReadOnly()) {
            throw new DaxException(Errno.EROFS, "cannot repair a read-only device");
        }
        Findings f = new Findings();
        progress.progress("superblock", 0, 1);
        boolean slotsBad = SuperblockCheck.run(seg, sb, f);
        progress.progress("superblock", 1, 1);
        JournalScan.Result scan = null;
        try {
            scan = JournalScan.scan(seg, sb);
        } catch (DaxException e) {
            f.problem("journal: " + e.detail());
        }
        progress.progress("journal", 1, 1);
        boolean pending = scan != null && !scan.txs().isEmpty();
        List<String> repairs = new ArrayList<>();
        boolean replayed = false;
        MetaView view;
        if (repair && pending) {
            sb = Journal.replay(device, sb, scan);
            replayed = true;
            repairs.add("journal replayed (" + scan.txs().size() + " committed transactions)");
            view = MetaView.homes(seg, sb);
        } else {
            view = scan == null ? MetaView.homes(seg, sb) : MetaView.replayed(seg, sb, scan);
        }
        CheckResult result = Checker.run(view, f, progress);
        if (repair) {
            repair(device, sb, scan, replayed, slotsBad, result, f, repairs, progress);
        }
        return new FsckReport(f.lines(), repairs, result.inodes().size(), result.tree().directories(),
                result.blocksInUse(), pending);
    }

    /**
     * Repairs what the check found (the steps are in the class comment), then reports what is
     * still wrong. {@code replayed}: the journal was replayed before the check.
     */
    private static void repair(Device device, Superblock sb, JournalScan.Result scan, boolean replayed, boolean slotsBad,
                               CheckResult result, Findings f, List<String> repairs, ProgressListener progress)
            throws DaxException {
        if (scan == null) {
            f.problem("not repaired: the journal is corrupt; replaying it is unsafe and discarding it would lose"
                    + " committed transactions");
            return;
        }
        MemorySegment seg = device.segment();
        List<String> remaining = f.lines();
        List<Map.Entry<Long, MemorySegment>> images = new RepairPlanner(result, f, repairs).plan();
        if (!images.isEmpty() || slotsBad || replayed) {
            if (!replayed) {
                // Moves the next sequence number past any torn transaction left in the ring.
                sb = Journal.replay(device, sb, scan);
            }
            RepairWriter.write(device, sb, images, progress);
            if (slotsBad) {
                repairs.add("both superblock slots rewritten");
            }
            remaining = recheck(seg, progress);
        }
        for (String line : remaining) {
            f.problem("not repaired: " + line);
        }
    }

    /** The problems of the repaired device. */
    private static List<String> recheck(MemorySegment seg, ProgressListener progress) throws DaxException {
        Findings after = new Findings();
        Superblock sb = Superblock.read(seg);
        SuperblockCheck.run(seg, sb, after);
        Checker.run(MetaView.homes(seg, sb), after, progress);
        return after.lines();
    }
}
