package dev.flint.image.tree;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The records of a PAX extended header ({@code "%d %s=%s\n"}, the length counting the whole
 * record): the keys Flint uses, and the xattrs, kept as raw bytes. Values of other keys are ignored.
 */
final class PaxHeaders {
    static final String SCHILY_XATTR = "SCHILY.xattr.";
    static final String LIBARCHIVE_XATTR = "LIBARCHIVE.xattr.";

    String path;
    String linkPath;
    Long size;
    Long uid;
    Long gid;
    String userName;
    String groupName;
    Long mtimeSeconds;
    final Map<String, byte[]> xattrs = new LinkedHashMap<>();

    /** Parses {@code data} into these headers, later records overriding earlier ones. */
    void parse(byte[] data, String where) {
        int at = 0;
        while (at < data.length) {
            if (data[at] == 0) {
                break; // some writers pad the record block with NULs
            }
            int space = at;
            long length = 0;
            while (space < data.length && data[space] >= '0' && data[space] <= '9') {
                length = length * 10 + (data[space] - '0');
                if (length > data.length) {
                    throw new InvalidLayerException(where + ": a PAX record claims " + length
                            + " bytes, more than its header's " + data.length);
                }
                space++;
            }
            if (space == at || space >= data.length || data[space] != ' ' || at + length > data.length
                    || length < space - at + 3 || data[(int) (at + length - 1)] != '\n') {
                throw new InvalidLayerException(where + ": malformed PAX record at byte " + at
                        + " of the extended header; the layer is corrupt");
            }
            int end = (int) (at + length - 1);
            int equals = space + 1;
            while (equals < end && data[equals] != '=') {
                equals++;
            }
            if (equals == end) {
                throw new InvalidLayerException(where + ": PAX record at byte " + at + " has no '='");
            }
            String key = new String(data, space + 1, equals - space - 1, StandardCharsets.UTF_8);
            byte[] value = Arrays.copyOfRange(data, equals + 1, end);
            apply(key, value, where);
            at = (int) (at + length);
        }
    }

    private void apply(String key, byte[] value, String where) {
        String text = new String(value, StandardCharsets.UTF_8);
        switch (key) {
            case "path" -> path = text;
            case "linkpath" -> linkPath = text;
            case "size" -> size = decimal(key, text, where);
            case "uid" -> uid = decimal(key, text, where);
            case "gid" -> gid = decimal(key, text, where);
            case "uname" -> userName = text;
            case "gname" -> groupName = text;
            case "mtime" -> mtimeSeconds = seconds(text, where);
            default -> {
                if (key.startsWith(SCHILY_XATTR)) {
                    xattrs.put(key.substring(SCHILY_XATTR.length()), value);
                } else if (key.startsWith(LIBARCHIVE_XATTR)) {
                    // libarchive URL-encodes the name and base64-encodes the value.
                    String name = URLDecoder.decode(key.substring(LIBARCHIVE_XATTR.length()), StandardCharsets.UTF_8);
                    try {
                        xattrs.put(name, Base64.getDecoder().decode(text.strip()));
                    } catch (IllegalArgumentException e) {
                        throw new InvalidLayerException(where + ": xattr " + name + " is not valid base64");
                    }
                } else if (key.startsWith("GNU.sparse.")) {
                    throw new InvalidLayerException(where + ": holds a GNU sparse file, which Flint does not"
                            + " read; rebuild the image without sparse files (tar --sparse)");
                }
            }
        }
    }

    private static long decimal(String key, String text, String where) {
        try {
            long value = Long.parseLong(text.strip());
            if (value < 0) {
                throw new NumberFormatException("negative");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new InvalidLayerException(where + ": PAX " + key + " '" + text + "' is not a non-negative number");
        }
    }

    private static long seconds(String text, String where) {
        try {
            return new BigDecimal(text.strip()).setScale(0, RoundingMode.FLOOR).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new InvalidLayerException(where + ": PAX mtime '" + text + "' is not a time in seconds");
        }
    }

    /** These headers as defaults under {@code local}'s: what a global header leaves for each entry. */
    PaxHeaders overriddenBy(PaxHeaders local) {
        PaxHeaders merged = new PaxHeaders();
        merged.path = local.path;
        merged.linkPath = local.linkPath;
        merged.size = local.size;
        merged.uid = local.uid != null ? local.uid : uid;
        merged.gid = local.gid != null ? local.gid : gid;
        merged.userName = local.userName != null ? local.userName : userName;
        merged.groupName = local.groupName != null ? local.groupName : groupName;
        merged.mtimeSeconds = local.mtimeSeconds != null ? local.mtimeSeconds : mtimeSeconds;
        merged.xattrs.putAll(xattrs);
        merged.xattrs.putAll(local.xattrs);
        return merged;
    }
}
