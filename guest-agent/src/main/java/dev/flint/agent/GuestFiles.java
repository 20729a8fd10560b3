package dev.flint.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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

    /** A file request's payload: root, the request's number (mode, flags) when it has one, path. */
    static byte[] encode(Optional<ExecRequest.ImageRoot> root, String path, Integer number) {
        byte[] pathBytes = checkPath(path);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        putString(out, root.map(ExecRequest.ImageRoot::lower).orElse("").getBytes(StandardCharsets.UTF_8));
        putString(out, root.map(ExecRequest.ImageRoot::upper).orElse("").getBytes(StandardCharsets.UTF_8));
        if (number != null) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(number).array());
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
