package dev.flint.benchmarks.tools;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with aligned columns: text columns left-aligned, the rest right-aligned. */
public final class TextTable {
    private final List<String> headers;
    private final boolean[] leftAligned;
    private final List<List<String>> rows = new ArrayList<>();

    /** Headers whose name starts with '<' are left-aligned (the '<' is not printed). */
    public TextTable(String... headers) {
        this.headers = new ArrayList<>();
        this.leftAligned = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            leftAligned[i] = headers[i].startsWith("<");
            this.headers.add(leftAligned[i] ? headers[i].substring(1) : headers[i]);
        }
    }

    public TextTable row(String... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("a row needs " + headers.size() + " cells, got " + cells.length);
        }
        rows.add(List.of(cells));
        return this;
    }

    @Override
    public String toString() {
        int[] widths = new int[headers.size()];
        for (List<String> row : allRows()) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> row : allRows()) {
            for (int i = 0; i < widths.length; i++) {
                String format = "%" + (leftAligned[i] ? "-" : "") + widths[i] + "s";
                out.append(i == 0 ? "" : "  ").append(String.format(format, row.get(i)));
            }
            out.append(System.lineSeparator());
        }
        return out.toString().replaceAll(" +(\r?\n)", "$1");
    }

    private List<List<String>> allRows() {
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        return all;
    }
}
