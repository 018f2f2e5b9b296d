package io.daxfs.fuse;

import io.daxfs.api.DaxFile;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kernel's open files: {@code fi->fh} is a key here. Ids are never reused, so a stale or
 * forged fh finds nothing (EBADF) rather than another file. Lock-free on the I/O path: a get is
 * one concurrent-map read.
 */
final class Handles {
    private final ConcurrentHashMap<Long, DaxFile> open = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong(1);

    long add(DaxFile f) {
        long id = next.getAndIncrement();
        open.put(id, f);
        return id;
    }

    /** The open file {@code id}, or null. */
    DaxFile get(long id) {
        return open.get(id);
    }

    /** The open file {@code id}; EBADF if there is none (released, or never handed out). */
    DaxFile require(long id) throws DaxException {
        DaxFile f = open.get(id);
        if (f == null) {
            throw new DaxException(Errno.EBADF, "no open file with handle " + id);
        }
        return f;
    }

    DaxFile remove(long id) {
        return open.remove(id);
    }

    /** Closes every handle still open (the session is over); errors are ignored, the volume closes next. */
    void closeAll() {
        for (Long id : open.keySet()) {
            DaxFile f = open.remove(id);
            if (f != null) {
                try {
                    f.close();
                } catch (DaxException e) {
                    // the file system is about to be closed, which reports real trouble
                }
            }
        }
    }
}
