package io.daxfs.nio;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The byte-range locks held on one file system's files, by inode number. A daxfs image is
 * mounted by one JVM at a time (the core locks the image), so every lock that could conflict is
 * in this table: a request that overlaps a held lock, of any channel, gets
 * {@link OverlappingFileLockException} as the JDK answers within one JVM, and no lock ever has
 * to wait for another process. One monitor guards the table: locking is rare and short.
 */
final class FileLocks {
    private final Map<Long, List<Lock>> held = new HashMap<>();

    /** A held range lock; released by {@link #release} or when its channel closes. */
    final class Lock extends FileLock {
        private final long ino;
        private boolean valid = true;

        Lock(FileChannel channel, long ino, long position, long size, boolean shared) {
            super(channel, position, size, shared);
            this.ino = ino;
        }

        @Override
        public boolean isValid() {
            synchronized (FileLocks.this) {
                return valid && channel().isOpen();
            }
        }

        @Override
        public void release() {
            synchronized (FileLocks.this) {
                if (!valid) {
                    return;
                }
                valid = false;
                List<Lock> l = held.get(ino);
                l.remove(this);
                if (l.isEmpty()) {
                    held.remove(ino);
                }
            }
        }
    }

    /** Takes a lock, or throws OverlappingFileLockException when a held one overlaps it. */
    synchronized Lock lock(FileChannel channel, long ino, long position, long size, boolean shared) {
        List<Lock> l = held.computeIfAbsent(ino, k -> new ArrayList<>());
        for (Lock x : l) {
            if (x.overlaps(position, size)) {
                if (l.isEmpty()) {
                    held.remove(ino);
                }
                throw new OverlappingFileLockException();
            }
        }
        Lock lock = new Lock(channel, ino, position, size, shared);
        l.add(lock);
        return lock;
    }

    /** Releases every lock {@code channel} holds (it is closing). */
    synchronized void releaseAll(FileChannel channel, long ino) {
        List<Lock> l = held.get(ino);
        if (l == null) {
            return;
        }
        for (Lock x : new ArrayList<>(l)) {
            if (x.channel() == channel) {
                x.release();
            }
        }
    }
}
