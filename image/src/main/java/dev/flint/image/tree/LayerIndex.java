package dev.flint.image.tree;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The members of one uncompressed layer tar, read from its headers alone: data is never read,
 * only skipped, and each file remembers where its data starts so it can be served straight from
 * the tar later. Reads ustar, GNU long names and links ({@code L}/{@code K}), PAX local and
 * global headers (path, linkpath, size, uid, gid, uname, gname, mtime, SCHILY and LIBARCHIVE
 * xattrs) and base-256 numbers. Members whose name climbs above the root with ".." are skipped
 * (and logged): they would land outside the image; so are paths, names and link targets longer
 * than Linux allows (PATH_MAX, NAME_MAX), which no guest program could use.
 */
public final class LayerIndex {
    /** Largest PAX or GNU long-name header accepted; real ones are a few hundred bytes. */
    static final int MAX_EXTENDED_HEADER = 1 << 20;
    /** Linux's PATH_MAX and NAME_MAX: longer paths, names or symlink targets could not be used in the guest. */
    static final int MAX_PATH_BYTES = 4096;
    static final int MAX_NAME_BYTES = 255;
    private static final Logger LOG = Logger.getLogger(LayerIndex.class.getName());
    private static final byte[] USTAR_MAGIC = "ustar\0".getBytes(StandardCharsets.US_ASCII);

    private final Path tar;
    private final List<TarEntry> entries;

    private LayerIndex(Path tar, List<TarEntry> entries) {
        this.tar = tar;
        this.entries = List.copyOf(entries);
    }

    /** The tar these entries point into. */
    public Path tar() {
        return tar;
    }

    /** The members in tar order, metadata headers already folded into the members they describe. */
    public List<TarEntry> entries() {
        return entries;
    }

    /** Reads the headers of {@code tar}; fails with {@link InvalidLayerException} when it is not a tar Flint reads. */
    public static LayerIndex scan(Path tar) {
        try (FileChannel channel = FileChannel.open(tar, StandardOpenOption.READ)) {
            return new LayerIndex(tar, new Scanner(tar, channel).scan());
        } catch (IOException e) {
            throw new InvalidLayerException("cannot read layer " + tar + ": " + e.getMessage()
                    + "; check that the layer store is intact", e);
        }
    }

    /** One pass over the headers of one tar. */
    private static final class Scanner {
        private final Path tar;
        private final FileChannel channel;
        private final long fileSize;
        private final byte[] block = new byte[TarFields.BLOCK];
        private final List<TarEntry> entries = new ArrayList<>();
        private PaxHeaders global = new PaxHeaders();
        private PaxHeaders local = new PaxHeaders();
        private String longName;
        private String longLink;
        private long position;

        Scanner(Path tar, FileChannel channel) throws IOException {
            this.tar = tar;
            this.channel = channel;
            this.fileSize = channel.size();
        }

        List<TarEntry> scan() throws IOException {
            while (position + TarFields.BLOCK <= fileSize) {
                long headerAt = position;
                readFully(block, headerAt);
                position += TarFields.BLOCK;
                if (TarFields.allZero(block)) {
                    return entries; // end of archive (one zero block is enough for us)
                }
                if (!TarFields.checksumMatches(block)) {
                    throw new InvalidLayerException("layer " + tar + ": the header at byte " + headerAt
                            + " has a bad checksum; the layer is corrupt or not a tar");
                }
                header(headerAt);
            }
            if (position < fileSize) {
                throw new InvalidLayerException("layer " + tar + " ends inside a header at byte " + position
                        + "; the layer is truncated, pull it again");
            }
            return entries;
        }

        private void header(long headerAt) throws IOException {
            String where = "layer " + tar + ", header at byte " + headerAt;
            char type = (char) (block[156] & 0xff);
            long size;
            try {
                size = TarFields.number(block, 124, 12, "size");
            } catch (IllegalArgumentException e) {
                throw new InvalidLayerException(where + ": " + e.getMessage() + "; the layer is corrupt");
            }
            switch (type) {
                case 'x' -> local.parse(extended(size, where), where);
                case 'g' -> global.parse(extended(size, where), where);
                case 'L' -> longName = nulTerminated(extended(size, where));
                case 'K' -> longLink = nulTerminated(extended(size, where));
                default -> member(type, size, headerAt, where);
            }
        }

        private void member(char type, long headerSize, long headerAt, String where) {
            PaxHeaders pax = global.overriddenBy(local);
            local = new PaxHeaders();
            String name = longName != null ? longName : ustarName();
            String link = longLink != null ? longLink : TarFields.string(block, 157, 100);
            longName = null;
            longLink = null;
            if (pax.path != null) {
                name = pax.path;
            }
            if (pax.linkPath != null) {
                link = pax.linkPath;
            }
            long size = pax.size != null ? pax.size : headerSize;
            EntryType entryType = switch (type) {
                case '0', '\0', '7' -> name.endsWith("/") ? EntryType.DIRECTORY : EntryType.FILE;
                case '1' -> EntryType.HARDLINK;
                case '2' -> EntryType.SYMLINK;
                case '3' -> EntryType.CHAR_DEVICE;
                case '4' -> EntryType.BLOCK_DEVICE;
                case '5' -> EntryType.DIRECTORY;
                case '6' -> EntryType.FIFO;
                case 'S' -> throw new InvalidLayerException(where + ": holds a GNU sparse file, which Flint does"
                        + " not read; rebuild the image without sparse files (tar --sparse)");
                default -> null;
            };
            long dataOffset = position;
            // Only regular files carry data; for every other type the size is ignored, as Go's archive/tar does.
            long dataSize = entryType == EntryType.FILE || entryType == null ? size : 0;
            skipData(dataSize, where);
            if (entryType == null) {
                LOG.fine(() -> where + ": skipped tar member '" + TarFields.string(block, 0, 100)
                        + "' of unsupported type '" + type + "'");
                return;
            }
            String path = TarPaths.normalize(name);
            if (path == null) {
                LOG.warning(where + ": skipped member '" + name + "': its path leaves the image root");
                return;
            }
            String tooLong = tooLong(path, link);
            if (tooLong != null) {
                LOG.warning(where + ": skipped member '" + name.substring(0, Math.min(name.length(), 100)) + "...': "
                        + tooLong);
                return;
            }
            String target = link;
            if (entryType == EntryType.HARDLINK) {
                target = TarPaths.normalize(link);
                if (target == null || target.isEmpty()) {
                    LOG.warning(where + ": skipped hard link '" + name + "' to '" + link
                            + "': its target leaves the image root");
                    return;
                }
            } else if (entryType != EntryType.SYMLINK) {
                target = "";
            }
            try {
                int permissions = (int) (TarFields.number(block, 100, 8, "mode") & 07777);
                long uid = pax.uid != null ? pax.uid : TarFields.number(block, 108, 8, "uid");
                long gid = pax.gid != null ? pax.gid : TarFields.number(block, 116, 8, "gid");
                long mtime = pax.mtimeSeconds != null ? pax.mtimeSeconds : TarFields.number(block, 136, 12, "mtime");
                boolean device = entryType == EntryType.CHAR_DEVICE || entryType == EntryType.BLOCK_DEVICE;
                int major = device ? (int) TarFields.number(block, 329, 8, "devmajor") : 0;
                int minor = device ? (int) TarFields.number(block, 337, 8, "devminor") : 0;
                String userName = pax.userName != null ? pax.userName : TarFields.string(block, 265, 32);
                String groupName = pax.groupName != null ? pax.groupName : TarFields.string(block, 297, 32);
                entries.add(new TarEntry(path, entryType, permissions, uid, gid, userName, groupName, mtime,
                        dataSize, major, minor, target, pax.xattrs, dataOffset));
            } catch (IllegalArgumentException e) {
                throw new InvalidLayerException(where + " ('" + name + "'): " + e.getMessage()
                        + "; the layer is corrupt");
            }
        }

        /** Why {@code path} or {@code link} is too long for Linux, or null when both fit. */
        private static String tooLong(String path, String link) {
            if (path.getBytes(StandardCharsets.UTF_8).length >= MAX_PATH_BYTES) {
                return "its path is longer than PATH_MAX (" + MAX_PATH_BYTES + " bytes)";
            }
            if (link.getBytes(StandardCharsets.UTF_8).length >= MAX_PATH_BYTES) {
                return "its link target is longer than PATH_MAX (" + MAX_PATH_BYTES + " bytes)";
            }
            for (String component : path.split("/")) {
                if (component.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                    return "a name in its path is longer than NAME_MAX (" + MAX_NAME_BYTES + " bytes)";
                }
            }
            return null;
        }

        /** The ustar name: prefix "/" name when the header is POSIX ustar (GNU headers use the prefix field otherwise). */
        private String ustarName() {
            String name = TarFields.string(block, 0, 100);
            boolean posix = java.util.Arrays.equals(block, 257, 263, USTAR_MAGIC, 0, USTAR_MAGIC.length);
            if (posix) {
                String prefix = TarFields.string(block, 345, 155);
                if (!prefix.isEmpty()) {
                    return prefix + "/" + name;
                }
            }
            return name;
        }

        private byte[] extended(long size, String where) throws IOException {
            if (size > MAX_EXTENDED_HEADER) {
                throw new InvalidLayerException(where + ": an extended header of " + size + " bytes is larger than the "
                        + MAX_EXTENDED_HEADER + " Flint accepts; the layer is corrupt or hostile");
            }
            requireData(size, where);
            byte[] data = new byte[(int) size];
            readFully(data, position);
            position += TarFields.padded(size);
            return data;
        }

        private void skipData(long size, String where) {
            requireData(size, where);
            position += TarFields.padded(size);
        }

        private void requireData(long size, String where) {
            if (size < 0 || size > fileSize - position) {
                throw new InvalidLayerException(where + ": the member's " + size + " bytes of data run past the end of"
                        + " the " + fileSize + "-byte file; the layer is truncated, pull it again");
            }
        }

        private static String nulTerminated(byte[] data) {
            int end = 0;
            while (end < data.length && data[end] != 0) {
                end++;
            }
            return new String(data, 0, end, StandardCharsets.UTF_8);
        }

        private void readFully(byte[] into, long at) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(into);
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, at + buffer.position());
                if (n < 0) {
                    throw new InvalidLayerException("layer " + tar + " ended at byte " + (at + buffer.position())
                            + " while reading a header; the layer is truncated, pull it again");
                }
            }
        }
    }
}
