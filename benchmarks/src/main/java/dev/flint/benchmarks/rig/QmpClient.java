package dev.flint.benchmarks.rig;

import dev.flint.benchmarks.tools.Json;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A minimal QEMU Machine Protocol client over QEMU's {@code -qmp unix:PATH,server=on} socket: one
 * JSON object per line each way; a command's reply is {@code {"return": ...}} or
 * {@code {"error": {"class": ..., "desc": ...}}}; asynchronous {@code {"event": ...}} lines may come
 * between and are skipped. Only what the peer's save and restore need.
 */
final class QmpClient implements AutoCloseable {
    /** Longer lines are not QMP replies to the few commands sent here. */
    static final int MAX_LINE = 1 << 20;

    private final SocketChannel channel;
    private final InputStream in;

    private QmpClient(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedInputStream(Channels.newInputStream(channel));
    }

    /**
     * Connects to {@code socket} (retrying while QEMU has not created it yet, up to {@code timeout}),
     * reads the greeting and leaves capability negotiation, so commands can be sent.
     */
    static QmpClient connect(Path socket, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
                QmpClient client = new QmpClient(channel);
                String greeting = client.readLine();
                if (!(Json.parse(greeting) instanceof Map<?, ?> m && m.containsKey("QMP"))) {
                    throw new IOException("the QMP socket " + socket + " greeted with " + greeting + ", not {\"QMP\": ...}");
                }
                client.execute("qmp_capabilities", Map.of());
                return client;
            } catch (java.net.SocketException | java.nio.file.NoSuchFileException e) {
                channel.close();
                if (System.nanoTime() > deadline) {
                    throw new IOException("no QMP socket at " + socket + " within " + timeout.toSeconds() + " s: "
                            + e.getMessage(), e);
                }
                Thread.sleep(5);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }
    }

    /** Runs {@code command} with {@code arguments} and returns its {@code return} value. */
    Object execute(String command, Map<String, Object> arguments) throws IOException {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("execute", command);
        if (!arguments.isEmpty()) {
            message.put("arguments", arguments);
        }
        String line = Json.writeLine(message);
        channel.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
        while (true) {
            Optional<Object> reply = reply(command, readLine());
            if (reply.isPresent()) {
                return reply.get();
            }
        }
    }

    /** A field of a {@code query-*} result, e.g. {@code status} of {@code query-status}; empty when absent. */
    static Optional<String> field(Object result, String name) {
        return result instanceof Map<?, ?> m && m.get(name) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /**
     * What one line from QEMU means for a pending {@code command}: its return value, empty for an
     * event or greeting (keep reading), or a {@link QmpException} for an error reply.
     */
    static Optional<Object> reply(String command, String line) throws QmpException {
        Object parsed;
        try {
            parsed = Json.parse(line);
        } catch (IllegalArgumentException e) {
            throw new QmpException("QEMU answered " + command + " with a line that is not JSON (" + e.getMessage() + "): " + line);
        }
        if (!(parsed instanceof Map<?, ?> message)) {
            throw new QmpException("QEMU answered " + command + " with " + line + ", not a JSON object");
        }
        if (message.containsKey("return")) {
            return Optional.of(message.get("return"));
        }
        if (message.get("error") instanceof Map<?, ?> error) {
            throw new QmpException("QMP " + command + " failed: " + error.get("class") + ": " + error.get("desc"));
        }
        if (message.containsKey("event") || message.containsKey("QMP")) {
            return Optional.empty();
        }
        throw new QmpException("QEMU answered " + command + " with " + line + ": neither return, error nor event");
    }

    /** One line, without its CR LF; bounded so a runaway peer cannot fill the heap. */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("QEMU closed its QMP socket" + (line.size() > 0 ? " after: " + line : ""));
            }
            if (line.size() >= MAX_LINE) {
                throw new QmpException("a QMP line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8).strip();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** QEMU refused a command or said something that is not QMP. */
    static final class QmpException extends IOException {
        QmpException(String message) {
            super(message);
        }
    }
}
