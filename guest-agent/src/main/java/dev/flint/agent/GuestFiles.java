package dev.flint.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The guest's files through its agent, without starting a process (PROTOCOL.md, "Files"):
 * stat, list, mkdirs, remove, and streamed writes and reads that never hold a whole file.
 * Paths are absolute guest paths; with an image root they resolve inside that image's root, as
 * its processes see it. Errors are the java.nio.file exceptions for the errno (no such file,
 * permission denied, exists) or {@link GuestFileException} with the errno's name.
 */
public final class GuestFiles {
    /** The longest path, in UTF-8 bytes (PATH_MAX less its NUL). */
    public static final int MAX_PATH = 4095;
    /** The deepest tree {@link #copyOut} follows. */
    static final int MAX_COPY_DEPTH = 256;

    private final AgentClient client;
    private final Optional<ExecRequest.ImageRoot> root;

    GuestFiles(AgentClient client, Optional<ExecRequest.ImageRoot> root) {
        this.client = client;
        this.root = Objects.requireNonNull(root, "root");
        if (root.isPresent() && root.get().freshUpper()) {
            throw new IllegalArgumentException("files need an image root with a persistent upper, not a fresh one that ends with a process");
        }
    }

    /** The file at {@code path}, not followed when a symlink. */
    public FileEntry stat(String path) throws IOException, InterruptedException {
        FileCall call = start(FileCall.Kind.STAT, Frame.FILE_STAT, path, null);
        try {
            return (FileEntry) call.take();
        } finally {
            client.endFileCall(call);
        }
    }

    /** The entries of the directory {@code path} (not {@code .} and {@code ..}), at most 100000. */
    public List<FileEntry> list(String path) throws IOException, InterruptedException {
        FileCall call = start(FileCall.Kind.LIST, Frame.FILE_LIST, path, null);
        try {
            List<FileEntry> entries = new ArrayList<>();
            for (Object entry; (entry = call.take()) != null; ) {
                entries.add((FileEntry) entry);
            }
            return entries;
        } finally {
            client.endFileCall(call);
        }
    }

    /** Makes {@code path} and its missing parents, each with {@code mode} (e.g. 0755); existing ones are kept. */
    public void mkdirs(String path, int mode) throws IOException, InterruptedException {
        simple(FileCall.Kind.MKDIRS, Frame.FILE_MKDIRS, path, checkMode(mode));
    }

    /** Removes a file, symlink (not followed) or empty directory; with {@code recursive} a directory and all in it. */
    public void remove(String path, boolean recursive) throws IOException, InterruptedException {
        simple(FileCall.Kind.REMOVE, Frame.FILE_REMOVE, path, recursive ? 1 : 0);
    }

    /** Makes a symlink at {@code path} to {@code target}, kept as given (relative or absolute, need not exist). */
    public void symlink(String target, String path) throws IOException, InterruptedException {
        Objects.requireNonNull(target, "target");
        byte[] targetBytes = target.getBytes(StandardCharsets.UTF_8);
        if (target.isEmpty() || target.indexOf('\0') >= 0 || targetBytes.length > MAX_PATH) {
            throw new IllegalArgumentException("symlink target must be 1 to " + MAX_PATH + " bytes without NUL, got "
                    + targetBytes.length + " bytes");
        }
        FileCall call = client.startFileCall(FileCall.Kind.SYMLINK, Frame.FILE_SYMLINK, path, encode(root, path, targetBytes));
        try {
            call.awaitEnd();
        } finally {
            client.endFileCall(call);
        }
    }

    /**
     * Copies the host directory {@code hostDir}'s tree into the guest directory {@code guestDir}
     * (made as needed): directories and files with their permission bits, symlinks as symlinks
     * (not followed); sockets, fifos and devices are skipped. Files stream one at a time; an
     * existing guest file is replaced. Returns the number of entries copied.
     */
    public long copyIn(Path hostDir, String guestDir) throws IOException, InterruptedException {
        checkPath(guestDir);
        if (!Files.isDirectory(hostDir, LinkOption.NOFOLLOW_LINKS)) {
            throw new NotDirectoryException(hostDir.toString());
        }
        mkdirs(guestDir, mode(hostDir));
        long copied = 0;
        List<Path> paths;
        try (var walk = Files.walk(hostDir)) {   // does not follow symlinks
            paths = walk.skip(1).toList();
        }
        for (Path host : paths) {
            String guest = join(guestDir, hostDir.relativize(host));
            if (Files.isSymbolicLink(host)) {
                String target = Files.readSymbolicLink(host).toString();
                try {
                    symlink(target, guest);
                } catch (FileAlreadyExistsException e) {
                    remove(guest, false);
                    symlink(target, guest);
                }
            } else if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                mkdirs(guest, mode(host));
            } else if (Files.isRegularFile(host, LinkOption.NOFOLLOW_LINKS)) {
                try (InputStream in = Files.newInputStream(host, LinkOption.NOFOLLOW_LINKS)) {
                    write(guest, in, mode(host));
                }
            } else {
                continue;
            }
            copied++;
        }
        return copied;
    }

    /**
     * Copies the guest directory {@code guestDir}'s tree into the host directory {@code hostDir}
     * (made as needed): directories and files with their permission bits, symlinks as symlinks;
     * other types are skipped. A guest that names an entry twice, {@code .} or {@code ..}, or
     * nests deeper than 256 levels fails the copy instead of writing outside {@code hostDir}.
     * Returns the number of entries copied.
     */
    public long copyOut(String guestDir, Path hostDir) throws IOException, InterruptedException {
        FileEntry top = stat(guestDir);
        if (!top.isDirectory()) {
            throw new GuestFileException(guestDir, 20, "ENOTDIR", "copy out of " + guestDir + ": Not a directory");
        }
        Files.createDirectories(hostDir);
        return copyOut(guestDir, hostDir, 0);
    }

    private long copyOut(String guestDir, Path hostDir, int depth) throws IOException, InterruptedException {
        if (depth > MAX_COPY_DEPTH) {
            throw new IOException("guest directory " + guestDir + " nests deeper than " + MAX_COPY_DEPTH + " levels");
        }
        long copied = 0;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (FileEntry entry : list(guestDir)) {
            if (!seen.add(entry.name())) {
                throw new IOException("guest directory " + guestDir + " lists " + entry.name() + " twice");
            }
            Path host = hostDir.resolve(entry.name());
            if (!host.getParent().equals(hostDir)) {
                throw new IOException("guest entry " + entry.name() + " in " + guestDir + " is not a plain name");
            }
            String guest = join(guestDir, Path.of(entry.name()));
            switch (entry.type()) {
                case DIRECTORY -> {
                    if (!Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                        Files.deleteIfExists(host);
                        Files.createDirectory(host);
                    }
                    copied += copyOut(guest, host, depth + 1);
                    Files.setAttribute(host, "unix:mode", entry.mode(), LinkOption.NOFOLLOW_LINKS);
                }
                case FILE -> {
                    deleteIfNotDirectory(host);
                    try (InputStream in = read(guest)) {
                        Files.copy(in, host);
                    }
                    Files.setAttribute(host, "unix:mode", entry.mode(), LinkOption.NOFOLLOW_LINKS);
                }
                case SYMLINK -> {
                    deleteIfNotDirectory(host);
                    Files.createSymbolicLink(host, Path.of(entry.linkTarget()));
                }
                case OTHER -> {
                    continue;
                }
            }
            copied++;
        }
        return copied;
    }

    private static void deleteIfNotDirectory(Path host) throws IOException {
        if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(host.toString(), null, "a directory is in the way of a guest file");
        }
        Files.deleteIfExists(host);
    }

    private static int mode(Path host) throws IOException {
        return (Integer) Files.getAttribute(host, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    /** {@code guestDir} and a relative host path, joined with {@code /}. */
    private static String join(String guestDir, Path relative) {
        StringBuilder path = new StringBuilder(guestDir.endsWith("/") ? guestDir.substring(0, guestDir.length() - 1) : guestDir);
        for (Path part : relative) {
            path.append('/').append(part);
        }
        return path.toString();
    }

    /**
     * Creates or truncates the file at {@code path} with exactly {@code mode} and streams
     * {@code data} into it: at most 256 KiB in flight, so a slow guest slows the copy down.
     * Returns the bytes written.
     */
    public long write(String path, InputStream data, int mode) throws IOException, InterruptedException {
        Objects.requireNonNull(data, "data");
        FileCall call = start(FileCall.Kind.WRITE, Frame.FILE_WRITE, path, checkMode(mode));
        long total = 0;
        try {
            byte[] buffer = new byte[FileCall.CHUNK];
            while (!call.ended()) {
                int n = data.readNBytes(buffer, 0, buffer.length);
                if (n == 0) {
                    break;
                }
                call.reserve(n);
                client.send(new Frame(Frame.FILE_DATA, call.id, java.util.Arrays.copyOf(buffer, n)));
                total += n;
            }
            client.send(new Frame(Frame.FILE_END, call.id, new byte[0]));
            call.awaitEnd();
            return total;
        } finally {
            client.endFileCall(call);
        }
    }

    /** As {@link #write(String, InputStream, int)} for bytes in memory. */
    public void write(String path, byte[] data, int mode) throws IOException, InterruptedException {
        write(path, new java.io.ByteArrayInputStream(Objects.requireNonNull(data, "data")), mode);
    }

    /**
     * The file at {@code path} as a stream, read from the guest as the caller consumes it (at
     * most 256 KiB ahead). Throws here when the file cannot be opened; close the stream to stop early.
     */
    public InputStream read(String path) throws IOException, InterruptedException {
        FileCall call = start(FileCall.Kind.READ, Frame.FILE_READ, path, null);
        try {
            return new FileReadStream(client, call, (byte[]) call.take());
        } catch (IOException | InterruptedException | RuntimeException e) {
            client.endFileCall(call);
            throw e;
        }
    }

    /** The whole file at {@code path}, refused when it has more than {@code maxBytes}. */
    public byte[] readAllBytes(String path, int maxBytes) throws IOException, InterruptedException {
        try (InputStream in = read(path)) {
            byte[] bytes = in.readNBytes(maxBytes);
            if (in.read() >= 0) {
                throw new IOException("guest file " + path + " has more than " + maxBytes + " bytes; read it as a stream");
            }
            return bytes;
        }
    }

    private void simple(FileCall.Kind kind, int type, String path, Integer number) throws IOException, InterruptedException {
        FileCall call = start(kind, type, path, number);
        try {
            call.awaitEnd();
        } finally {
            client.endFileCall(call);
        }
    }

    private FileCall start(FileCall.Kind kind, int type, String path, Integer number) throws IOException {
        byte[] payload = encode(root, path, number);
        return client.startFileCall(kind, type, path, payload);
    }

    /** A file request's payload: root, the request's number (mode, flags: an Integer) or string (a symlink's target: bytes) when it has one, path. */
    static byte[] encode(Optional<ExecRequest.ImageRoot> root, String path, Object number) {
        byte[] pathBytes = checkPath(path);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        putString(out, root.map(ExecRequest.ImageRoot::lower).orElse("").getBytes(StandardCharsets.UTF_8));
        putString(out, root.map(ExecRequest.ImageRoot::upper).orElse("").getBytes(StandardCharsets.UTF_8));
        if (number instanceof Integer value) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(value).array());
        } else if (number instanceof byte[] string) {
            putString(out, string);
        }
        putString(out, pathBytes);
        return out.toByteArray();
    }

    /** An absolute guest path without NUL, at most {@link #MAX_PATH} bytes; its UTF-8. */
    public static byte[] checkPath(String path) {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("guest path must be absolute (start with /), got \"" + path + "\"");
        }
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("guest path must not contain NUL, got \"" + path.replace("\0", "\\0") + "\"");
        }
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_PATH) {
            throw new IllegalArgumentException("guest path of " + bytes.length + " bytes is over the limit of " + MAX_PATH);
        }
        return bytes;
    }

    /** Permission bits, 0 to 07777. */
    public static int checkMode(int mode) {
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("file mode must be 0 to 07777 (octal), got 0" + Integer.toOctalString(mode));
        }
        return mode;
    }

    private static void putString(ByteArrayOutputStream out, byte[] bytes) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
        out.writeBytes(bytes);
    }

    /** A guest file's bytes as they arrive, acknowledged as the caller takes them. */
    private static final class FileReadStream extends InputStream {
        private final AgentClient client;
        private final FileCall call;
        private byte[] chunk;
        private int at;
        private boolean closed;

        FileReadStream(AgentClient client, FileCall call, byte[] first) {
            this.client = client;
            this.call = call;
            this.chunk = first;
            if (first == null) {
                client.endFileCall(call);
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : Byte.toUnsignedInt(one[0]);
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, buffer.length);
            if (closed) {
                throw new IOException("the stream of guest file " + call.path + " is closed");
            }
            if (length == 0) {
                return 0;
            }
            while (chunk != null && at == chunk.length) {
                try {
                    chunk = (byte[]) call.take();
                } catch (InterruptedException e) {
                    throw FileCall.interrupted("the read of " + call.path, e);
                }
                at = 0;
                if (chunk == null) {
                    client.endFileCall(call);
                }
            }
            if (chunk == null) {
                return -1;
            }
            int n = Math.min(length, chunk.length - at);
            System.arraycopy(chunk, at, buffer, offset, n);
            at += n;
            return n;
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            if (chunk != null) {
                chunk = null;
                try {
                    client.send(new Frame(Frame.FILE_END, call.id, new byte[0]));   // stop the agent's read
                } finally {
                    client.endFileCall(call);
                }
            }
        }
    }
}
