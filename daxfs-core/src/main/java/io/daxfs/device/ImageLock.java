package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * The lock an image file's mount holds: exclusive for read-write, shared for read-only, so two
 * read-write mounts (in this process or another) can never corrupt each other, while read-only
 * mounts and fsck without repair may share an image.
 *
 * <p>The operating system lock ({@code fcntl}) belongs to the whole JVM and Java refuses even
 * shared overlapping locks within one JVM, so shared holders in this process are counted here
 * and share one OS lock, held on a channel of its own.
 */
final class ImageLock implements AutoCloseable {
    private static final Map<Path, Entry> HELD = new HashMap<>();

    private static final class Entry {
        final FileChannel channel;
        final FileLock lock;
        final boolean shared;
        int holders;

        Entry(FileChannel channel, FileLock lock, boolean shared) {
            this.channel = channel;
            this.lock = lock;
            this.shared = shared;
        }
    }

    private final Path key;
    private boolean released;

    private ImageLock(Path key) {
        this.key = key;
    }

    /** Locks {@code path}; EBUSY when a conflicting mount holds it. */
    static ImageLock acquire(Path path, boolean shared) throws DaxException {
        Path key;
        try {
            key = path.toRealPath();
        } catch (IOException e) {
            throw Devices.ioError(path, e);
        }
        synchronized (HELD) {
            Entry e = HELD.get(key);
            if (e != null) {
                if (!(shared && e.shared)) {
                    throw busy(path, e.shared);
                }
                e.holders++;
                return new ImageLock(key);
            }
            FileChannel ch = null;
            try {
                ch = shared ? FileChannel.open(key, StandardOpenOption.READ)
                        : FileChannel.open(key, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock l;
                try {
                    l = ch.tryLock(0, Long.MAX_VALUE, shared);
                } catch (OverlappingFileLockException x) {
                    l = null;
                }
                if (l == null) {
                    ch.close();
                    throw busy(path, !shared);
                }
                Entry n = new Entry(ch, l, shared);
                n.holders = 1;
                HELD.put(key, n);
                return new ImageLock(key);
            } catch (IOException x) {
                closeQuietly(ch);
                throw Devices.ioError(path, x);
            }
        }
    }

    private static DaxException busy(Path path, boolean heldShared) {
        return new DaxException(Errno.EBUSY, path + ": image is in use by another "
                + (heldShared ? "(read-only) mount" : "read-write mount"));
    }

    /** Releases this holder's share; the last one releases the OS lock. Idempotent. */
    @Override
    public void close() {
        synchronized (HELD) {
            if (released) {
                return;
            }
            released = true;
            Entry e = HELD.get(key);
            if (e != null && --e.holders == 0) {
                HELD.remove(key);
                closeQuietly(e.channel); // closing the channel releases the lock
            }
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the lock goes with the channel either way
            }
        }
    }
}
