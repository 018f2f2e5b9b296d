package io.daxfs.types;


/** Options of {@link io.daxfs.api.DaxFile#map}. */
public enum DaxMapOption {
    /** Fault 4 KiB pages only, never 2 MiB (MADV_NOHUGEPAGE). */
    NO_HUGE_PAGES
}
