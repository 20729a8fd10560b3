package dev.flint.virtio.vsock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The Unix-socket face of the vsock device, as Firecracker users know it: a client connects to
 * {@code path} and sends {@code CONNECT <port>\n}, gets {@code OK <host_port>\n} and then a byte
 * stream to that guest port; a guest connecting to host port P reaches whoever listens on the
 * Unix socket {@code path_P} (or gets a reset when nobody does). The port is an unsigned 32-bit
 * decimal (ASCII digits only, at most 4294967295); any other line is answered
 * {@code ERROR expected CONNECT <port>, a decimal from 0 to 4294967295\n} and closed, a failed
 * connect {@code ERROR <reason>\n}.
 */
public final class VsockUnixBridge implements AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final int MAX_LINE = 64;
    private static final String CONNECT = "CONNECT ";
    static final String BAD_REQUEST = "ERROR expected CONNECT <port>, a decimal from 0 to 4294967295\n";

    private final VsockMuxer muxer;
    private final Path path;
    private final ServerSocketChannel server;
    private final Set<ByteChannel> open = ConcurrentHashMap.newKeySet();

    private VsockUnixBridge(VsockMuxer muxer, Path path, ServerSocketChannel server) {
        this.muxer = muxer;
        this.path = path;
        this.server = server;
    }

    /** Listens on {@code path} and forwards guest connections to {@code path_P} sockets. */
    public static VsockUnixBridge start(VsockMuxer muxer, Path path) throws IOException {
        if (Files.exists(path)) {
            throw new IOException("vsock socket " + path + " already exists: another machine uses it, or remove it");
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        VsockUnixBridge bridge = new VsockUnixBridge(muxer, path, server);
        muxer.fallbackListener(bridge::guestConnection);
        Thread.ofVirtual().name("flint-vsock-uds-accept").start(bridge::acceptLoop);
        return bridge;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                Thread.ofVirtual().name("flint-vsock-uds").start(() -> serveHostClient(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** A host client: CONNECT line, OK reply, then bytes both ways. */
    private void serveHostClient(SocketChannel client) {
        open.add(client);
        try {
            OptionalLong port = connectPort(readLine(client));
            if (port.isEmpty()) {
                reply(client, BAD_REQUEST);
                close(client);
                return;
            }
            VsockStream stream;
            try {
                stream = muxer.connect((int) port.getAsLong(), CONNECT_TIMEOUT);
            } catch (IOException e) {
                reply(client, "ERROR " + e.getMessage() + "\n");
                close(client);
                return;
            }
            reply(client, "OK " + Integer.toUnsignedString(stream.hostPort()) + "\n");
            splice(client, stream);
        } catch (IOException e) {
            close(client);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close(client);
        }
    }

    /** The port of a {@code CONNECT <port>} line, or empty when the line is anything else. */
    static OptionalLong connectPort(String line) {
        if (!line.startsWith(CONNECT)) {
            return OptionalLong.empty();
        }
        String digits = line.substring(CONNECT.length());
        // ASCII digits only: the parser alone would take a sign and other scripts' digits.
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalLong.empty();
        }
        try {
            // Refuses what is over 2^32 - 1 rather than wrapping it onto another port (4294968320 onto 1024).
            return OptionalLong.of(Integer.toUnsignedLong(Integer.parseUnsignedInt(digits)));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** An acceptor for a guest connection to {@code port}, if {@code path_port} exists. */
    private Consumer<VsockStream> guestConnection(int port) {
        Path target = Path.of(path + "_" + Integer.toUnsignedString(port));
        if (!Files.exists(target)) {
            return null;
        }
        return stream -> {
            try {
                SocketChannel socket = SocketChannel.open(UnixDomainSocketAddress.of(target));
                open.add(socket);
                splice(socket, stream);
            } catch (IOException e) {
                stream.close();
            }
        };
    }

    private void splice(SocketChannel socket, VsockStream stream) {
        open.add(stream);
        Thread.ofVirtual().name("flint-vsock-uds-out").start(() -> {
            copy(socket, stream);
            stream.shutdownOutput();
        });
        copy(stream, socket);
        close(socket);
        close(stream);
    }

    private static void copy(ByteChannel from, ByteChannel to) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
        } catch (IOException | UncheckedIOException e) {
            // Either side went away: the caller closes both.
        }
    }

    private static String readLine(SocketChannel client) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (line.length() <= MAX_LINE) {
            one.clear();
            if (client.read(one) < 0) {
                throw new IOException("client closed before its CONNECT line");
            }
            char c = (char) one.get(0);
            if (c == '\n') {
                return line.toString();
            }
            line.append(c);
        }
        throw new IOException("CONNECT line longer than " + MAX_LINE + " bytes");
    }

    private static void reply(SocketChannel client, String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining()) {
            client.write(bytes);
        }
    }

    private void close(ByteChannel channel) {
        open.remove(channel);
        try {
            channel.close();
        } catch (IOException e) {
            // Already gone.
        }
    }

    /** Stops listening, closes every forwarded connection and removes the socket file. */
    @Override
    public void close() throws IOException {
        muxer.fallbackListener(port -> null);
        server.close();
        open.forEach(this::close);
        Files.deleteIfExists(path);
    }
}
