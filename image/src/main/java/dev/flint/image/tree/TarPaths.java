package dev.flint.image.tree;

import java.util.ArrayList;
import java.util.List;

/** Lexical path normalization for tar member names and hard-link targets: everything stays inside the root. */
final class TarPaths {
    private TarPaths() {
    }

    /**
     * {@code raw} as components relative to the root: leading "/" and "./" dropped, "." and empty
     * components removed, ".." resolved lexically; null when ".." would climb above the root or
     * the name holds a NUL.
     */
    static List<String> components(String raw) {
        if (raw.indexOf('\0') >= 0) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        for (String part : raw.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (parts.isEmpty()) {
                    return null;
                }
                parts.removeLast();
                continue;
            }
            parts.add(part);
        }
        return parts;
    }

    /** {@link #components} joined with "/", or null when the name escapes the root. */
    static String normalize(String raw) {
        List<String> parts = components(raw);
        return parts == null ? null : String.join("/", parts);
    }
}
