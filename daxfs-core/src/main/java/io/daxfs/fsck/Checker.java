package io.daxfs.fsck;

import io.daxfs.types.ProgressListener;

/**
 * Runs the checking passes in dependency order over one view of the device. Read-only: it is
 * the whole of a check, and the before and after of a repair.
 */
final class Checker {
    private Checker() {
    }

    static CheckResult run(MetaView view, Findings f, ProgressListener p) {
        p.progress("bitmaps", 0, 2);
        BitmapArea inodeBitmap = BitmapArea.inodes(view).check(f);
        BitmapArea blockBitmap = BitmapArea.blocks(view).check(f);
        p.progress("bitmaps", 2, 2);
        BlockOwnership ownership = new BlockOwnership(view.geometry());
        InodePass.Result inodes = InodePass.run(view, inodeBitmap, ownership, f, p);
        OrphanCheck.Result orphans = OrphanCheck.run(view, inodes.table(), f);
        TreeWalk tree = TreeWalk.run(view, inodes.table(), f, p);
        AllocationCheck.Result alloc = AllocationCheck.run(view.geometry(), blockBitmap, ownership, f, p);
        BlockRuns conflicts = ownership.conflicts();
        OwnerFinder.report(view, inodes.table(), conflicts, alloc.missing(), f);
        return new CheckResult(view, inodeBitmap, blockBitmap, inodes.table(), inodes.strayRecords(), ownership,
                conflicts, alloc.leaked(), orphans, tree);
    }
}
