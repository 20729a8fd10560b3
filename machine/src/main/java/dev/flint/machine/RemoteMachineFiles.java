package dev.flint.machine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.MachineJson;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@link MachineFiles} of a machine a server hosts, over its {@code files} routes: reads stream
 * as the guest sends; a write is one request body, so at most {@link #MAX_WRITE_BYTES} a file;
 * trees go file by file ({@link TreeCopy}).
 */
final class RemoteMachineFiles implements MachineFiles {
    /** The most the server reads in one request body (its HTTP limit). */
    static final int MAX_WRITE_BYTES = 16 * 1024 * 1024;

    private final RemoteEngine engine;
    private final String machinePath;

    RemoteMachineFiles(RemoteEngine engine, String machinePath) {
        this.engine = engine;
        this.machinePath = machinePath;
    }

    private String route(String operation, String path) {
        return machinePath + "/files" + (operation.isEmpty() ? "" : "/" + operation) + "?path="
                + RemoteEngine.encode(AgentMachineFiles.path(path));
    }

    @Override
    public void write(String path, byte[] data, int mode) {
        AgentMachineFiles.required(data, "data");
        if (data.length > MAX_WRITE_BYTES) {
            throw new InvalidConfigException("a file written to a server's machine is at most " + (MAX_WRITE_BYTES >> 20)
                    + " MiB (one request), got " + data.length + " bytes; split it, or write it from the server's host");
        }
        engine.upload("PUT", route("content", path) + "&mode=" + Integer.toOctalString(AgentMachineFiles.mode(mode)), data);
    }

    @Override
    public long write(String path, InputStream data, int mode) {
        AgentMachineFiles.required(data, "data");
        byte[] bytes;
        try {
            bytes = data.readNBytes(MAX_WRITE_BYTES + 1);
        } catch (IOException e) {
            throw new FlintException("reading what to write to " + path + " failed: " + e.getMessage(), e);
        }
        write(path, bytes, mode);
        return bytes.length;
    }

    @Override
    public byte[] read(String path) {
        try (InputStream in = readStream(path)) {
            byte[] bytes = in.readNBytes(MAX_READ_BYTES + 1);
            if (bytes.length > MAX_READ_BYTES) {
                throw new InvalidConfigException(path + " is larger than " + (MAX_READ_BYTES >> 20)
                        + " MiB, the most read() returns; use readStream()");
            }
            return bytes;
        } catch (IOException e) {
            throw failure(path, e);
        }
    }

    @Override
    public InputStream readStream(String path) {
        Stream<String> lines = engine.lines("GET", route("content", path), null);
        return new FrameInputStream(lines, path);
    }

    @Override
    public List<FileInfo> list(String path) {
        List<FileInfo> entries = new ArrayList<>();
        for (JsonNode entry : engine.call("GET", route("list", path), null).path("entries")) {
            entries.add(MachineJson.file(entry));
        }
        return entries;
    }

    @Override
    public FileInfo stat(String path) {
        return MachineJson.file(engine.call("GET", route("stat", path), null));
    }

    @Override
    public void mkdirs(String path, int mode) {
        engine.call("POST", route("mkdirs", path) + "&mode=" + Integer.toOctalString(AgentMachineFiles.mode(mode)), null);
    }

    @Override
    public void symlink(String path, String target) {
        engine.call("POST", route("symlink", path) + "&target=" + RemoteEngine.encode(AgentMachineFiles.linkTarget(target)),
                null);
    }

    @Override
    public void remove(String path, boolean recursive) {
        engine.call("DELETE", route("", path) + "&recursive=" + recursive, null);
    }

    @Override
    public long copyIn(Path hostDir, String guestDir) {
        AgentMachineFiles.required(hostDir, "hostDir");
        return TreeCopy.in(this, hostDir, AgentMachineFiles.path(guestDir));
    }

    @Override
    public long copyOut(String guestDir, Path hostDir) {
        AgentMachineFiles.required(hostDir, "hostDir");
        return TreeCopy.out(this, AgentMachineFiles.path(guestDir), hostDir);
    }

    private static RuntimeException failure(String path, IOException e) {
        return e.getCause() instanceof RuntimeException cause ? cause
                : new FlintException("reading " + path + " from the server failed: " + e.getMessage(), e);
    }

    /** The server's content frames as bytes: {@code data} frames until {@code end}; an {@code error} frame throws. */
    private static final class FrameInputStream extends InputStream {
        private final Stream<String> lines;
        private final Iterator<String> frames;
        private final String path;
        private byte[] chunk = new byte[0];
        private int at;
        private boolean ended;

        FrameInputStream(Stream<String> lines, String path) {
            this.lines = lines;
            this.frames = lines.iterator();
            this.path = path;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            while (at == chunk.length) {
                if (ended) {
                    return -1;
                }
                next();
            }
            int n = Math.min(length, chunk.length - at);
            System.arraycopy(chunk, at, buffer, offset, n);
            at += n;
            return n;
        }

        private void next() throws IOException {
            String line;
            try {
                if (!frames.hasNext()) {
                    throw new IOException("the server ended " + path + " without its end frame (connection lost?)");
                }
                line = frames.next();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            if (line.isBlank()) {
                return;
            }
            JsonNode frame = MachineJson.parse(line, "file frame");
            switch (frame.path("type").asText()) {
                case "data" -> {
                    chunk = Base64.getDecoder().decode(frame.path("data").asText());
                    at = 0;
                }
                case "end" -> ended = true;
                case "error" -> throw new IOException(frame.path("error").path("message").asText(),
                        ApiErrors.exception(frame.path("error")));
                default -> throw new IOException("the server sent a file frame of unknown type: " + line);
            }
        }

        @Override
        public void close() {
            lines.close();
        }
    }
}
