package io.daxfs.fs;

import io.daxfs.api.Internals;
import io.daxfs.fixture.FsFixture;
import io.daxfs.types.DaxException;

import java.lang.foreign.MemorySegment;

/**
 * {@link FsFixture} for white-box tests of the file-system layer: the same fresh file system per
 * test, plus what only the internals can do to it.
 */
abstract class VolumeFixture extends FsFixture {
    /** Commits and checkpoints the journal, so that every deferred free has been released. */
    void checkpoint() throws DaxException {
        fs.sync();
        Internals.volume(fs).journal().checkpoint();
    }

    /** The live image of the in-memory device, as a power failure right now would leave it after a sync. */
    MemorySegment crashCopy() throws DaxException {
        fs.sync();
        MemorySegment device = Internals.device(fs).segment();
        MemorySegment copy = MemorySegment.ofArray(new byte[(int) device.byteSize()]);
        MemorySegment.copy(device, 0, copy, 0, copy.byteSize());
        return copy;
    }
}
