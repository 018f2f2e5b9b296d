package io.daxfs.api;

import io.daxfs.fixture.FsFixture;
import io.daxfs.types.DaxException;

/**
 * The base of the API specifications: a fresh in-memory file system per test and the shared
 * helpers, all from {@link FsFixture}, which uses the public API only.
 */
abstract class FsSpec extends FsFixture {
    /**
     * Commits and checkpoints the journal through the internals, so that every deferred free has
     * been released. Not for specifications: a checkpoint is not part of the public API, so tests
     * that need one are white-box tests (io.daxfs.fs.DeferredFreeTest). Only MappingRacesSpec,
     * on its way to becoming a white-box test, still calls it; remove this when it has moved.
     */
    void checkpoint() throws DaxException {
        fs.sync();
        Internals.volume(fs).journal().checkpoint();
    }
}
