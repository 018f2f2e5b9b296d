package io.daxfs.fs;

/**
 * Points in the file system's durability path where a test can stop a thread and let another
 * run, to force an interleaving (docs/RACES.md says which race each one is for). Every method
 * is called with no lock held. The production value is {@link #NONE}; tests set theirs through
 * {@link Volume#hooks(FsHooks)} before the interleaving they force.
 */
public interface FsHooks {
    FsHooks NONE = new FsHooks() {
    };

    /** fsync of inode {@code ino} has persisted the file's data and is about to commit its metadata. */
    default void fsyncDataPersisted(long ino) {
    }

    /** One bounded step of freeing inode {@code ino}'s blocks is done (its handle is closed). */
    default void freeStepDone(long ino) {
    }
}
