package dev.flint.machine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** A fake machine's files: guest paths under a host directory, refusals as the agent's errno names. */
final class HostDirectoryFiles implements MachineFiles {
    private final Path root;

    HostDirectoryFiles(Path root) {
        this.root = root;
    }

    private Path host(String path) {
        return root.resolve(AgentMachineFiles.path(path).substring(1));
    }

    private interface Io<T> {
        T run() throws IOException;
    }

    private static <T> T io(String path, Io<T> io) {
        try {
            return io.run();
        } catch (NoSuchFileException e) {
            throw new MachineFileException("open " + path + ": No such file or directory", path, "ENOENT", e);
        } catch (FileSystemException e) {
            throw new MachineFileException(path + ": " + e.getReason(), path, "EIO", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void write(String path, byte[] data, int mode) {
        write(path, new java.io.ByteArrayInputStream(data), mode);
    }

    @Override
    public long write(String path, InputStream data, int mode) {
        return io(path, () -> {
            long n = Files.copy(data, host(path), StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(host(path), TreeCopy.permissions(mode));
            return n;
        });
    }

    @Override
    public byte[] read(String path) {
        return io(path, () -> Files.readAllBytes(host(path)));
    }

    @Override
    public InputStream readStream(String path) {
        return io(path, () -> Files.newInputStream(host(path)));
    }

    @Override
    public List<FileInfo> list(String path) {
        return io(path, () -> {
            List<FileInfo> entries = new java.util.ArrayList<>();
            try (Stream<Path> children = Files.list(host(path))) {
                for (Path child : children.sorted().toList()) {
                    entries.add(info(child));
                }
            }
            return entries;
        });
    }

    @Override
    public FileInfo stat(String path) {
        return io(path, () -> info(host(path)));
    }

    private static FileInfo info(Path host) throws IOException {
        {
            PosixFileAttributes attributes = Files.readAttributes(host, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            FileInfo.Type type = attributes.isSymbolicLink() ? FileInfo.Type.SYMLINK : attributes.isDirectory()
                    ? FileInfo.Type.DIRECTORY : attributes.isRegularFile() ? FileInfo.Type.FILE : FileInfo.Type.OTHER;
            return new FileInfo(host.getFileName().toString(), type, TreeCopy.mode(host), attributes.size(),
                    attributes.lastModifiedTime().toInstant(), type == FileInfo.Type.SYMLINK
                    ? Files.readSymbolicLink(host).toString() : "");
        }
    }

    @Override
    public void mkdirs(String path, int mode) {
        io(path, () -> Files.createDirectories(host(path)));
    }

    @Override
    public void symlink(String path, String target) {
        io(path, () -> Files.createSymbolicLink(host(path), Path.of(target)));
    }

    @Override
    public void remove(String path, boolean recursive) {
        io(path, () -> {
            if (!recursive) {
                Files.delete(host(path));
                return null;
            }
            try (Stream<Path> tree = Files.walk(host(path))) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            return null;
        });
    }

    @Override
    public long copyIn(Path hostDir, String guestDir) {
        return TreeCopy.in(this, hostDir, guestDir);
    }

    @Override
    public long copyOut(String guestDir, Path hostDir) {
        return TreeCopy.out(this, guestDir, hostDir);
    }
}
