package io.daxfs.fs;

import io.daxfs.api.*;
import java.lang.foreign.MemorySegment;

/** TEMPORARY skeleton while the core is written (replaced in the same session). */
public final class OpenFile {
    private static DaxException todo() { return new DaxException(Errno.ENOSYS, "not yet implemented"); }
    public long read(long pos, MemorySegment dst) throws DaxException { throw todo(); }
    public long write(long pos, MemorySegment src) throws DaxException { throw todo(); }
    public long size() throws DaxException { throw todo(); }
    public void truncate(long s) throws DaxException { throw todo(); }
    public void allocate(long p, long l, boolean k) throws DaxException { throw todo(); }
    public void punchHole(long p, long l) throws DaxException { throw todo(); }
    public void zeroRange(long p, long l, boolean k) throws DaxException { throw todo(); }
    public void collapseRange(long p, long l) throws DaxException { throw todo(); }
    public void insertRange(long p, long l) throws DaxException { throw todo(); }
    public long seekData(long p) throws DaxException { throw todo(); }
    public long seekHole(long p) throws DaxException { throw todo(); }
    public void fsync(boolean dataOnly) throws DaxException { throw todo(); }
    public FileStat stat() throws DaxException { throw todo(); }
    public void close() throws DaxException { throw todo(); }
}
