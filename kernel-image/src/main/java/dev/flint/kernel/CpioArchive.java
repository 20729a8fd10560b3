package dev.flint.kernel;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A cpio "newc" archive, the format the Linux kernel unpacks as an initramfs, written with
 * commons-compress. Entries are added by absolute path ({@code /bin/busybox}); parents must be
 * added before their children, and each path at most once.
 */
public final class CpioArchive {
    private sealed interface Content permits Bytes, HostFile, Symlink, Directory, CharDevice {
    }

    private record Bytes(byte[] data) implements Content {
    }

    private record HostFile(Path file) implements Content {
    }

    private record Symlink(String target) implements Content {
    }

    private record Directory() implements Content {
    }

    private record CharDevice(int major, int minor) implements Content {
    }

    private record Entry(String path, int permissions, Content content) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** A directory; {@code permissions} are the mode bits below 010000, e.g. {@code 0755}. */
    public CpioArchive directory(String path, int permissions) {
        return add(path, permissions, new Directory());
    }

    /** A regular file holding {@code data} (copied). */
    public CpioArchive file(String path, int permissions, byte[] data) {
        return add(path, permissions, new Bytes(data.clone()));
    }

    /** A regular file whose bytes are read from {@code hostFile} when the archive is written. */
    public CpioArchive file(String path, int permissions, Path hostFile) {
        if (!Files.isRegularFile(hostFile)) {
            throw new IllegalArgumentException("cannot add " + path + ": " + hostFile + " is not a regular file");
        }
        return add(path, permissions, new HostFile(hostFile));
    }

    /** A symbolic link to {@code target}, stored verbatim (relative or absolute in the guest). */
    public CpioArchive symlink(String path, String target) {
        if (target.isEmpty()) {
            throw new IllegalArgumentException("symlink " + path + " needs a target");
        }
        return add(path, 0777, new Symlink(target));
    }

    /** A character device node, e.g. {@code /dev/console} 5:1. */
    public CpioArchive charDevice(String path, int permissions, int major, int minor) {
        if (major < 0 || minor < 0) {
            throw new IllegalArgumentException("device " + path + " needs non-negative numbers, got " + major + ":" + minor);
        }
        return add(path, permissions, new CharDevice(major, minor));
    }

    /**
     * Adds the tree under {@code root} (not {@code root} itself) at {@code prefix}, in sorted order:
     * directories, regular files, symlinks (target kept as is) and character devices, with their
     * permission bits; owners become root and times zero, so the same tree gives the same bytes.
     * Hard links are stored as separate copies; other file types are rejected. {@code prefix} is
     * {@code "/"} or a directory already added.
     */
    public CpioArchive addTree(Path root, String prefix) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException(root + " is not a directory");
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = new ArrayList<>(walk.filter(p -> !p.equals(root)).sorted().toList());
        }
        String base = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        for (Path path : paths) {
            String name = base + "/" + root.relativize(path).toString();
            int permissions = permissions(path);
            if (Files.isSymbolicLink(path)) {
                symlink(name, Files.readSymbolicLink(path).toString());
            } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                directory(name, permissions);
            } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                file(name, permissions, path);
            } else if (Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) instanceof Integer mode
                    && (mode & CpioConstants.S_IFMT) == CpioConstants.C_ISCHR) {
                long rdev = (Long) Files.getAttribute(path, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
                charDevice(name, permissions, (int) (((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffL)),
                        (int) ((rdev & 0xff) | ((rdev >> 12) & ~0xffL)));
            } else {
                throw new IllegalArgumentException("cannot pack " + path
                        + ": only files, directories, symlinks and character devices");
            }
        }
        return this;
    }

    /** The archive's paths in the order they will be written. */
    public List<String> paths() {
        return List.copyOf(entries.keySet());
    }

    private CpioArchive add(String path, int permissions, Content content) {
        if (!path.startsWith("/") || path.length() < 2 || path.endsWith("/") || path.contains("//")
                || Stream.of(path.split("/")).anyMatch(part -> part.equals("..") || part.equals("."))) {
            throw new IllegalArgumentException("archive path must be absolute and normalized, got: " + path);
        }
        if (entries.containsKey(path)) {
            throw new IllegalArgumentException("archive already has an entry at " + path);
        }
        String parent = path.substring(0, path.lastIndexOf('/'));
        if (!parent.isEmpty() && !(entries.get(parent) instanceof Entry e && e.content() instanceof Directory)) {
            throw new IllegalArgumentException("add directory " + parent + " before " + path);
        }
        if ((permissions & ~07777) != 0) {
            throw new IllegalArgumentException("permissions of " + path + " must fit in 07777, got 0" + Integer.toOctalString(permissions));
        }
        entries.put(path, new Entry(path, permissions, content));
        return this;
    }

    /** Writes the archive, ending with the TRAILER!!! entry. */
    public void writeTo(OutputStream out) throws IOException {
        CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(out, CpioConstants.FORMAT_NEW);
        long inode = 1;
        for (Entry entry : entries.values()) {
            CpioArchiveEntry header = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, entry.path().substring(1));
            header.setInode(inode++);
            header.setNumberOfLinks(entry.content() instanceof Directory ? 2 : 1);
            header.setTime(0);
            byte[] data = new byte[0];
            Path hostFile = null;
            switch (entry.content()) {
                case Directory d -> header.setMode(CpioConstants.C_ISDIR | entry.permissions());
                case Bytes b -> {
                    header.setMode(CpioConstants.C_ISREG | entry.permissions());
                    data = b.data();
                }
                case HostFile f -> {
                    header.setMode(CpioConstants.C_ISREG | entry.permissions());
                    hostFile = f.file();
                    header.setSize(Files.size(hostFile));
                }
                case Symlink s -> {
                    header.setMode(CpioConstants.C_ISLNK | entry.permissions());
                    data = s.target().getBytes(StandardCharsets.UTF_8);
                }
                case CharDevice c -> {
                    header.setMode(CpioConstants.C_ISCHR | entry.permissions());
                    header.setRemoteDeviceMaj(c.major());
                    header.setRemoteDeviceMin(c.minor());
                }
            }
            if (hostFile == null) {
                header.setSize(data.length);
            }
            cpio.putArchiveEntry(header);
            if (hostFile != null) {
                Files.copy(hostFile, cpio);
            } else {
                cpio.write(data);
            }
            cpio.closeArchiveEntry();
        }
        cpio.finish();
    }

    /** Writes the archive to {@code file} atomically (a temporary file renamed into place). */
    public void writeTo(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path partial = Files.createTempFile(parent, file.getFileName().toString(), ".partial");
        try {
            try (OutputStream out = Files.newOutputStream(partial)) {
                writeTo(out);
            }
            Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** The permission bits of {@code path} (setuid, setgid and sticky included), not following links. */
    private static int permissions(Path path) throws IOException {
        if (Files.isSymbolicLink(path)) {
            return 0777;
        }
        try {
            return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        } catch (UnsupportedOperationException e) {
            int mode = 0;
            for (PosixFilePermission permission : Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)) {
                mode |= 1 << (8 - permission.ordinal());
            }
            return mode;
        }
    }
}
