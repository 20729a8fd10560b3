package dev.flint.agent;

/** A terminal's size in character cells, as {@code TIOCSWINSZ} takes it: each 1-4096. */
public record TerminalSize(int rows, int columns) {
    public static final int MAX = 4096;

    public TerminalSize {
        if (rows < 1 || rows > MAX || columns < 1 || columns > MAX) {
            throw new IllegalArgumentException("a terminal has 1-" + MAX + " rows and columns, got " + rows + "x" + columns);
        }
    }
}
