package dev.flint.image.tree;

/** What a tar entry makes: the POSIX typeflags a layer may carry, with the S_IFMT bits each becomes. */
public enum EntryType {
    FILE(0100000),
    HARDLINK(0100000),
    SYMLINK(0120000),
    CHAR_DEVICE(0020000),
    BLOCK_DEVICE(0060000),
    DIRECTORY(0040000),
    FIFO(0010000);

    private final int formatBits;

    EntryType(int formatBits) {
        this.formatBits = formatBits;
    }

    /** The st_mode type bits (S_IFREG, S_IFDIR, ...); a hard link has its target's, a regular file's. */
    public int formatBits() {
        return formatBits;
    }
}
