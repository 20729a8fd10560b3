package dev.flint.machine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.agent.TerminalSize;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.MachineJson;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A terminal in a server's machine over its WebSocket route (the server's {@code TerminalSocket}):
 * binary messages both ways carry what is typed and shown, text messages the resizes and, last,
 * the command's exit.
 */
final class RemoteTerminal implements TerminalSession.Channel, WebSocket.Listener {
    private final List<String> argv;
    private final Consumer<byte[]> output;
    private final CompletableFuture<ExecResult> exited = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    private WebSocket socket;

    private RemoteTerminal(List<String> argv, Consumer<byte[]> output) {
        this.argv = argv;
        this.output = output;
    }

    static TerminalSession open(RemoteEngine engine, String machinePath, List<String> argv, ExecOptions options,
                                TerminalSize size, Consumer<byte[]> output) {
        StringBuilder query = new StringBuilder("/terminal?rows=" + size.rows() + "&columns=" + size.columns());
        argv.forEach(arg -> query.append("&argv=").append(RemoteEngine.encode(arg)));
        options.env().forEach((k, v) -> query.append("&env=").append(RemoteEngine.encode(k + "=" + v)));
        options.workdir().ifPresent(dir -> query.append("&workdir=").append(RemoteEngine.encode(dir)));
        RemoteTerminal terminal = new RemoteTerminal(List.copyOf(argv), output);
        WebSocket socket = engine.webSocket(machinePath + query, terminal);
        synchronized (terminal) {
            terminal.socket = socket;
        }
        return new TerminalSession(terminal);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        output.accept(bytes);
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            JsonNode message = MachineJson.parse(text.toString(), "terminal message");
            text.setLength(0);
            switch (message.path("type").asText()) {
                case "exit" -> exited.complete(new ExecResult(argv, message.path("exitCode").asInt(),
                        message.path("signal").asInt(), new byte[0], new byte[0]));
                case "error" -> exited.completeExceptionally(ApiErrors.exception(message.path("error")));
                default -> {
                    // a message this client does not know
                }
            }
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        exited.completeExceptionally(new AgentUnavailableException("the server closed the terminal of " + argv
                + " without its exit status (" + statusCode + " " + reason + "); check the machine with info()", null));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        exited.completeExceptionally(new ServerUnavailableException("lost the terminal of " + argv + ": " + error, error));
    }

    /** One message at a time: the WebSocket takes the next once the last is sent. */
    @Override
    public synchronized void write(byte[] bytes) {
        socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
    }

    @Override
    public synchronized void resize(TerminalSize size) {
        socket.sendText(MachineJson.write(MachineJson.object().put("type", "resize").put("rows", size.rows())
                .put("columns", size.columns())), true).join();
    }

    @Override
    public Optional<ExecResult> waitFor(Duration timeout) {
        try {
            return Optional.ofNullable(timeout.isZero() ? exited.getNow(null)
                    : exited.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new FlintException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlintException("interrupted while waiting for " + argv, e);
        }
    }

    @Override
    public synchronized void hangUp() {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "hang up");
    }
}
