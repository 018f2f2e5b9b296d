package io.daxfs.types;


/** Flags of {@code rename}, as Linux {@code renameat2} has them. */
public enum RenameOption {
    /** Fail with EEXIST when the target exists (RENAME_NOREPLACE). */
    NOREPLACE,
    /** Atomically swap source and target; both must exist (RENAME_EXCHANGE). */
    EXCHANGE
}
