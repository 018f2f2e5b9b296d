package io.daxfs.model;

/**
 * One generated operation. Which fields matter depends on the kind; invalid ones (misaligned
 * collapse, negative offsets, ...) use the same kinds: the runner works out from the model which
 * calls must fail and how.
 *
 * @param index    position in the run (0-based)
 * @param kind     what to do
 * @param slot     which file (index into the runner's files; orphans come after the named files)
 * @param pos      offset (or new size for TRUNCATE)
 * @param len      length
 * @param flag     KEEP_SIZE for ALLOCATE/ZERO, fdatasync for FSYNC, O_TRUNC for REOPEN,
 *                 keep-open (orphan) for UNLINK, NO_HUGE_PAGES for MAPREAD, msync for MAPWRITE
 * @param api      which DaxFile overload carries the bytes: 0 byte[], 1 heap ByteBuffer,
 *                 2 direct ByteBuffer, 3 MemorySegment; for SHRED the stride in blocks; for MAPREAD
 *                 the mapping mode (0 READ_ONLY, 1 READ_WRITE, 2 PRIVATE, 3 READ_WRITE_SYNC) and for
 *                 MAPWRITE (0, 1 READ_WRITE, 2 READ_WRITE_SYNC, 3 READ_WRITE without huge pages)
 * @param dataSeed seed of the bytes written
 */
public record Op(long index, Kind kind, int slot, long pos, long len, boolean flag, int api, long dataSeed) {

    public enum Kind {
        READ, WRITE, APPEND, TRUNCATE, ALLOCATE, PUNCH, ZERO, COLLAPSE, INSERT, SEEK_DATA, SEEK_HOLE,
        STAT, FSYNC, SYNC, REOPEN, UNLINK, CLOSE_ORPHAN, REMOUNT, FAR_WRITE,
        /** Punches one block in every {@code api} blocks of the range: hundreds of extents at once. */
        SHRED,
        /** Maps the page-aligned range around {@code [pos, pos + len)}, loads it and unmaps (fsx's mapread). */
        MAPREAD,
        /** Grows the file to cover the range if needed, maps it, stores, msyncs if {@code flag}, unmaps (fsx's mapwrite). */
        MAPWRITE,
        /**
         * Maps the range as one segment ({@code FileChannel.map}'s memory: READ_ONLY, or PRIVATE
         * when {@code flag}, whose stores must not reach the file), loads it and closes the arena.
         */
        SEGREAD,
        /** Grows the file to cover the range if needed, maps it as a READ_WRITE segment, stores, fsyncs if {@code flag}, closes the arena. */
        SEGWRITE
    }

    private static final String[] APIS = {"byte[]", "heap-buf", "direct-buf", "segment"};
    static final String[] READ_MODES = {"READ_ONLY", "READ_WRITE", "PRIVATE", "READ_WRITE_SYNC"};
    static final String[] WRITE_MODES = {"READ_WRITE", "READ_WRITE", "READ_WRITE_SYNC", "READ_WRITE NO_HUGE_PAGES"};

    @Override
    public String toString() {
        String f = "#" + index + " " + kind + " f" + slot;
        return switch (kind) {
            case READ, WRITE -> f + " pos=" + pos + " len=" + len + " (" + hex(pos, len) + ") via " + APIS[api];
            case MAPREAD -> f + " pos=" + pos + " len=" + len + " (" + hex(pos, len) + ") " + READ_MODES[api]
                    + (flag ? " NO_HUGE_PAGES" : "");
            case MAPWRITE -> f + " pos=" + pos + " len=" + len + " (" + hex(pos, len) + ") " + WRITE_MODES[api]
                    + (flag ? " +msync" : "");
            case SEGREAD -> f + " pos=" + pos + " len=" + len + " (" + hex(pos, len) + ") " + (flag ? "PRIVATE" : "READ_ONLY");
            case SEGWRITE -> f + " pos=" + pos + " len=" + len + " (" + hex(pos, len) + ") READ_WRITE" + (flag ? " +fsync" : "");
            case APPEND -> f + " len=" + len;
            case TRUNCATE -> f + " size=" + pos + " (0x" + Long.toHexString(pos) + ")";
            case ALLOCATE, ZERO -> f + " pos=" + pos + " len=" + len + " (" + hex(pos, len) + ")"
                    + (flag ? " KEEP_SIZE" : "");
            case PUNCH, COLLAPSE, INSERT -> f + " pos=" + pos + " len=" + len + " (" + hex(pos, len) + ")";
            case SEEK_DATA, SEEK_HOLE -> f + " pos=" + pos;
            case FSYNC -> f + (flag ? " (fdatasync)" : "");
            case REOPEN -> f + (flag ? " O_TRUNC" : "");
            case UNLINK -> f + (flag ? " (kept open)" : "");
            case FAR_WRITE -> f + " pos=" + pos + " len=" + len;
            case SHRED -> f + " pos=" + pos + " len=" + len + " (" + hex(pos, len) + ") every " + api + " blocks";
            case SYNC, REMOUNT -> "#" + index + " " + kind;
            case STAT, CLOSE_ORPHAN -> f;
        };
    }

    private static String hex(long pos, long len) {
        return "0x" + Long.toHexString(pos) + "..0x" + Long.toHexString(pos + len);
    }
}
