package io.daxfs.api;

import io.daxfs.fixture.FsFixture;

/**
 * The base of the API specifications: a fresh in-memory file system per test and the shared
 * helpers, all from {@link FsFixture}, which uses the public API only.
 */
abstract class FsSpec extends FsFixture {
}
