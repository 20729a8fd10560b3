package dev.flint.image.tree;

import java.util.Map;

/**
 * One member of a layer tar, as its headers (ustar, GNU long names, PAX) describe it, with where
 * its data starts in the tar file so it can be read later without unpacking anything.
 *
 * @param path        normalized: relative to the image root, no leading "/" or "./", no "." or
 *                    ".." components; "" is the root directory itself
 * @param permissions the permission bits, setuid, setgid and sticky included (07777)
 * @param linkTarget  the symlink's text, or the normalized path a hard link names; "" otherwise
 * @param size        the data length for files; 0 for every other type
 * @param dataOffset  where the file's data starts in the tar
 */
public record TarEntry(String path, EntryType type, int permissions, long uid, long gid, String userName,
                       String groupName, long mtimeSeconds, long size, int deviceMajor, int deviceMinor,
                       String linkTarget, Map<String, byte[]> xattrs, long dataOffset) {
    public TarEntry {
        xattrs = Map.copyOf(xattrs);
    }

    /** The last path component ("" for the root). */
    public String name() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The path of the directory holding this entry ("" for top-level entries and the root). */
    public String parent() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }
}
