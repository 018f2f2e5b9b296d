package io.daxfs.nio;

import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.Watchable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * Watch services of one daxfs file system, fed by the file system's own changes: the provider
 * reports every create, delete and modify it makes (namespace changes, writes, truncates,
 * attribute changes) to the keys registered on the directory it happened in, found by the
 * directory's inode number, so a renamed directory keeps its watches. Nothing polls. The image is
 * mounted by this JVM alone and its file system is reachable only through this provider, so no
 * change escapes.
 *
 * <p>A key keeps at most {@link #MAX_EVENTS} events; past that it holds one OVERFLOW. An event
 * repeating the key's last one (same kind, same name) adds to its count instead.
 */
final class Watches {
    static final int MAX_EVENTS = 512;

    private final Map<Long, List<Key>> byDir = new ConcurrentHashMap<>();

    boolean any() {
        return !byDir.isEmpty();
    }

    /** Registers {@code dir} (inode {@code ino}) with {@code service} for {@code kinds}; the same key when already registered. */
    Key register(Service service, DaxPath dir, long ino, Set<WatchEvent.Kind<?>> kinds) {
        service.checkOpen();
        List<Key> keys = byDir.computeIfAbsent(ino, k -> new CopyOnWriteArrayList<>());
        for (Key k : keys) {
            if (k.service == service && k.isValid()) {
                k.kinds = kinds;
                return k;
            }
        }
        Key k = new Key(service, dir, ino, kinds);
        keys.add(k);
        service.keys.add(k);
        return k;
    }

    /** Reports {@code kind} of entry {@code name} in the directory with inode {@code dirIno}. */
    void report(long dirIno, WatchEvent.Kind<Path> kind, Path name) {
        List<Key> keys = byDir.get(dirIno);
        if (keys != null) {
            for (Key k : keys) {
                k.add(kind, name);
            }
        }
    }

    private void drop(Key k) {
        List<Key> keys = byDir.get(k.ino);
        if (keys != null) {
            keys.remove(k);
            if (keys.isEmpty()) {
                byDir.remove(k.ino, keys);
            }
        }
    }

    /** One event: a kind, a name relative to the watched directory, and how many times it happened in a row. */
    record Event<T>(WatchEvent.Kind<T> kind, T context, int count) implements WatchEvent<T> {
    }

    /** A watch service of this file system. */
    final class Service implements WatchService {
        private final LinkedBlockingDeque<Key> signalled = new LinkedBlockingDeque<>();
        private final List<Key> keys = new CopyOnWriteArrayList<>();
        private volatile boolean open = true;
        private final DaxNioFileSystem fs;

        Service(DaxNioFileSystem fs) {
            this.fs = fs;
        }

        DaxNioFileSystem fileSystem() {
            return fs;
        }

        void checkOpen() {
            if (!open) {
                throw new ClosedWatchServiceException();
            }
        }

        @Override
        public void close() {
            open = false;
            for (Key k : keys) {
                k.cancel();
            }
            signalled.clear();
            signalled.add(closedMark); // wakes every thread waiting in take or poll
        }

        @Override
        public WatchKey poll() {
            checkOpen();
            return signalled.poll();
        }

        @Override
        public WatchKey poll(long timeout, TimeUnit unit) throws InterruptedException {
            checkOpen();
            return checked(signalled.poll(timeout, unit));
        }

        @Override
        public WatchKey take() throws InterruptedException {
            checkOpen();
            return checked(signalled.take());
        }

        private WatchKey checked(Key k) {
            if (k == closedMark) {
                signalled.add(closedMark); // for the next waiter
                throw new ClosedWatchServiceException();
            }
            return k;
        }

        /** Queued on close, so that waiting threads wake and see the service closed. */
        private final Key closedMark = new Key(this, null, -1, Set.of());
    }

    /** A registered directory. Its events and state are guarded by its monitor. */
    final class Key implements WatchKey {
        private final Service service;
        private final DaxPath dir;
        private final long ino;
        private volatile Set<WatchEvent.Kind<?>> kinds;
        private List<WatchEvent<?>> events = new ArrayList<>();
        private boolean signalled;
        private volatile boolean valid = true;

        Key(Service service, DaxPath dir, long ino, Set<WatchEvent.Kind<?>> kinds) {
            this.service = service;
            this.dir = dir;
            this.ino = ino;
            this.kinds = kinds;
        }

        synchronized void add(WatchEvent.Kind<Path> kind, Path name) {
            if (!valid || !kinds.contains(kind)) {
                return;
            }
            int n = events.size();
            WatchEvent<?> last = n == 0 ? null : events.get(n - 1);
            if (last != null && last.kind() == kind && name.equals(last.context())) {
                events.set(n - 1, new Event<>(kind, name, last.count() + 1));
            } else if (last != null && last.kind() == StandardWatchEventKinds.OVERFLOW) {
                events.set(n - 1, new Event<>(StandardWatchEventKinds.OVERFLOW, null, last.count() + 1));
            } else if (n >= MAX_EVENTS) {
                events.add(new Event<>(StandardWatchEventKinds.OVERFLOW, null, 1));
            } else {
                events.add(new Event<>(kind, name, 1));
            }
            if (!signalled) {
                signalled = true;
                service.signalled.add(this);
            }
        }

        @Override
        public boolean isValid() {
            return valid && service.open;
        }

        @Override
        public synchronized List<WatchEvent<?>> pollEvents() {
            List<WatchEvent<?>> out = events;
            events = new ArrayList<>();
            return out;
        }

        @Override
        public synchronized boolean reset() {
            if (!isValid()) {
                return false;
            }
            if (!events.isEmpty()) {
                service.signalled.add(this);
            } else {
                signalled = false;
            }
            return true;
        }

        @Override
        public void cancel() {
            valid = false;
            drop(this);
        }

        @Override
        public Watchable watchable() {
            return dir;
        }
    }
}
