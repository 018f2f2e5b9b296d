package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.MountOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The images one command works on, each mounted once however many arguments name it (a cp
 * within one image must not map it twice), read-only unless a change is needed, and all
 * unmounted, which makes the changes durable, by {@link #close()}.
 */
final class MountedImages implements AutoCloseable {
    private final Map<Path, DaxFileSystem> mounted = new LinkedHashMap<>();

    /**
     * The file system of {@code p}'s image. The first request for an image decides how it is
     * mounted, so a command asks for the paths it changes first (a mistake shows as EROFS).
     */
    DaxFileSystem get(ImagePath p, boolean writable) throws DaxException {
        Path key = key(p.image());
        DaxFileSystem fs = mounted.get(key);
        if (fs == null) {
            fs = DaxFileSystem.mount(p.image(), MountOptions.DEFAULT.withReadOnly(!writable));
            mounted.put(key, fs);
        }
        return fs;
    }

    /** True when both paths are in the same image file (possibly named differently). */
    static boolean sameImage(ImagePath a, ImagePath b) {
        return key(a.image()).equals(key(b.image()));
    }

    @Override
    public void close() throws DaxException {
        DaxException first = null;
        for (DaxFileSystem fs : mounted.values()) {
            try {
                fs.close();
            } catch (DaxException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        mounted.clear();
        if (first != null) {
            throw first;
        }
    }

    private static Path key(Path image) {
        try {
            return image.toRealPath();
        } catch (IOException e) {
            // Missing: the mount reports that; until then the spelled path is as good a key as any.
            return image.toAbsolutePath().normalize();
        }
    }
}
