package io.daxfs.fsck;

import io.daxfs.types.DaxException;
import io.daxfs.types.ProgressListener;
import io.daxfs.device.Device;
import io.daxfs.journal.CommitBuilder;
import io.daxfs.journal.DirtySource;
import io.daxfs.journal.Journal;
import io.daxfs.media.Geometry;
import io.daxfs.media.Superblock;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * Writes a repair's block images through the journal, the way the file system writes
 * metadata: each group of images is one transaction (durable in the journal before any home
 * location changes), then everything is checkpointed and the superblock marked clean. So a crash
 * during a repair leaves each group applied entirely or not at all, and the groups are ordered
 * so that every intermediate state is one a later repair can finish.
 */
final class RepairWriter {
    private RepairWriter() {
    }

    /**
     * Writes {@code images} (home block to new contents) in order onto {@code device}, whose
     * journal is replayed and whose current superblock is {@code sb}.
     */
    static void write(Device device, Superblock sb, List<Map.Entry<Long, MemorySegment>> images, ProgressListener p)
            throws DaxException {
        Journal journal = new Journal(device, sb);
        // A quarter of the ring per transaction keeps each one far below the ring size.
        int group = (int) Math.max(1, sb.geometry().journalBlocks() / 4 - 2);
        for (int i = 0; i < images.size(); i += group) {
            List<Map.Entry<Long, MemorySegment>> part = images.subList(i, Math.min(images.size(), i + group));
            journal.markDirty(new Images(part));
            journal.commit();
            p.progress("repair", i + part.size(), images.size());
        }
        journal.closeClean();
    }

    /** A group of finished images as a journal dirty source. */
    private static final class Images implements DirtySource {
        private final List<Map.Entry<Long, MemorySegment>> images;

        Images(List<Map.Entry<Long, MemorySegment>> images) {
            this.images = images;
        }

        @Override
        public void collect(CommitBuilder b) {
            for (Map.Entry<Long, MemorySegment> e : images) {
                MemorySegment.copy(e.getValue(), 0, b.fresh(e.getKey(), false), 0, Geometry.BLOCK_SIZE);
            }
        }

        @Override
        public int estimatedBlocks() {
            return images.size();
        }
    }
}
