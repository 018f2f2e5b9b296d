package io.daxfs.api;

/** Options of {@link DaxFile#map}. */
public enum DaxMapOption {
    /** Fault 4 KiB pages only, never 2 MiB (MADV_NOHUGEPAGE). */
    NO_HUGE_PAGES
}
