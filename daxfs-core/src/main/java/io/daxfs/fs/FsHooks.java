package io.daxfs.fs;

/**
 * Points in the file system's durability path where a test can stop a thread and let another
 * run, to force an interleaving (docs/RACES.md says which race each one is for). Each method
 * says which locks its caller holds. The production value is {@link #NONE}; tests set theirs through
 * {@link Volume#hooks(FsHooks)} before the interleaving they force.
 */
public interface FsHooks {
    FsHooks NONE = new FsHooks() {
    };

    /**
     * fsync of inode {@code ino} has persisted the file's data and is about to commit its
     * metadata. No lock held.
     */
    default void fsyncDataPersisted(long ino) {
    }

    /** One bounded step of freeing inode {@code ino}'s blocks is done (its handle is closed). No lock held. */
    default void freeStepDone(long ino) {
    }

    /**
     * A write() into holes or unwritten blocks of inode {@code ino} has copied its bytes and
     * not yet marked the blocks written. Called with the file's I/O and block-map locks held.
     */
    default void writeBytesPlaced(long ino) {
    }

    /**
     * A lock-free lookup in directory {@code dirIno} has descended its index to a leaf under an
     * optimistic stamp and not yet read the leaf. No lock held.
     */
    default void directoryLeafReached(long dirIno) {
    }

    /**
     * A lookup in directory {@code dirIno} missed the name cache, found the name in the
     * directory's blocks, and has not yet offered it to the cache. No lock held.
     */
    default void directoryNameFound(long dirIno) {
    }

    /**
     * A free of inode {@code ino} has put the number's tombstone into the inode cache and not
     * yet taken the object out (RACES.md R32). Called with a journal handle open, and for an
     * unlinked file, its life lock held.
     */
    default void inodeBurying(long ino) {
    }
}
