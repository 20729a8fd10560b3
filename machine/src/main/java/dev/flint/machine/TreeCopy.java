package dev.flint.machine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Directory trees between the host and a machine over any {@link MachineFiles} (a server's
 * machine: its routes carry one file each), keeping permission bits and symlinks (copied as
 * links, never followed). What the guest lists is hostile: a name that is empty, {@code .},
 * {@code ..}, holds a {@code /} or comes twice, or a tree deeper than {@link #MAX_DEPTH}, fails the
 * copy before anything is written outside {@code hostDir}.
 */
final class TreeCopy {
    static final int MAX_DEPTH = 256;

    private TreeCopy() {
    }

    /** Copies {@code hostDir}'s tree into {@code guestDir}; returns the entries copied. */
    static long in(MachineFiles files, Path hostDir, String guestDir) {
        if (!Files.isDirectory(hostDir, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidConfigException("copy in needs a host directory, got " + hostDir);
        }
        long[] copied = {0};
        try {
            Files.walkFileTree(hostDir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                    files.mkdirs(guest(dir), mode(dir));
                    copied[0]++;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    if (attributes.isSymbolicLink()) {
                        files.symlink(guest(file), Files.readSymbolicLink(file).toString());
                    } else if (attributes.isRegularFile()) {
                        try (InputStream in = Files.newInputStream(file)) {
                            files.write(guest(file), in, mode(file));
                        }
                    } else {
                        return FileVisitResult.CONTINUE;   // sockets, fifos, devices: not files to copy
                    }
                    copied[0]++;
                    return FileVisitResult.CONTINUE;
                }

                private String guest(Path host) {
                    String relative = hostDir.relativize(host).toString();
                    return relative.isEmpty() ? guestDir : guestDir.replaceAll("/+$", "") + "/" + relative;
                }
            });
        } catch (IOException e) {
            throw new FlintException("copy of " + hostDir + " into the machine failed: " + e.getMessage(), e);
        }
        return copied[0];
    }

    /** Copies {@code guestDir}'s tree into {@code hostDir} (made as needed); returns the entries copied. */
    static long out(MachineFiles files, String guestDir, Path hostDir) {
        try {
            return out(files, guestDir, hostDir, 0);
        } catch (IOException e) {
            throw new FlintException("copy of " + guestDir + " out of the machine failed: " + e.getMessage(), e);
        }
    }

    private static long out(MachineFiles files, String guestDir, Path hostDir, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new FlintException("copy out of " + guestDir + " stopped: the tree is deeper than " + MAX_DEPTH);
        }
        Files.createDirectories(hostDir);
        long copied = 1;
        Set<String> seen = new HashSet<>();
        List<FileInfo> entries = files.list(guestDir);
        for (FileInfo entry : entries) {
            String name = entry.name();
            if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || !seen.add(name)) {
                throw new FlintException("copy out of " + guestDir + " stopped: the guest listed the name '" + name
                        + "', which is not one file name (or came twice)");
            }
            Path host = hostDir.resolve(name);
            String guest = guestDir.replaceAll("/+$", "") + "/" + name;
            switch (entry.type()) {
                case DIRECTORY -> {
                    deleteIfNotDirectory(host);
                    copied += out(files, guest, host, depth + 1);
                }
                case SYMLINK -> {
                    Files.deleteIfExists(host);
                    Files.createSymbolicLink(host, Path.of(entry.linkTarget()));
                    copied++;
                }
                case FILE -> {
                    deleteIfNotDirectory(host);   // never write through a symlink left there
                    try (InputStream in = files.readStream(guest)) {
                        Files.copy(in, host, StandardCopyOption.REPLACE_EXISTING);
                    }
                    copied++;
                }
                case OTHER -> {
                    continue;
                }
            }
            if (entry.type() != FileInfo.Type.SYMLINK) {
                Files.setPosixFilePermissions(host, permissions(entry.mode()));
            }
        }
        return copied;
    }

    private static void deleteIfNotDirectory(Path host) throws IOException {
        if (Files.isSymbolicLink(host) || Files.exists(host, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(host,
                LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(host);
        }
    }

    static int mode(Path host) throws IOException {
        int mode = 0;
        for (PosixFilePermission permission : Files.getPosixFilePermissions(host, LinkOption.NOFOLLOW_LINKS)) {
            mode |= 0400 >> permission.ordinal();
        }
        return mode;
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = new HashSet<>();
        for (PosixFilePermission permission : PosixFilePermission.values()) {
            if ((mode & (0400 >> permission.ordinal())) != 0) {
                permissions.add(permission);
            }
        }
        return permissions;
    }
}
