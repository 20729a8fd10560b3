package dev.flint.machine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.machine.ExecResult;
import dev.flint.machine.FlintException;
import dev.flint.machine.TerminalSession;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.MachineJson;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A terminal in a machine over a WebSocket ({@code GET /v1/machines/{m}/terminal}, openapi.yaml):
 * binary messages are typed into the terminal and carry its output back; text messages are JSON,
 * {@code {"type": "resize", "rows": R, "columns": C}} from the client and, last, {@code {"type":
 * "exit", "exitCode": N, "signal": S}} (or {@code "error"}) from the server, then a close. The
 * terminal is opened before the upgrade, so a refusal is an ordinary JSON error answer; a close
 * from the client hangs the terminal up.
 */
final class TerminalSocket extends SimpleChannelInboundHandler<WebSocketFrame> {
    /** The most of one message from the client. */
    private static final int MAX_MESSAGE = 1 << 20;

    private final Channel channel;
    /** What the client typed before the session was there to take it, in order. */
    private final List<byte[]> early = new ArrayList<>();
    private TerminalSession session;

    private TerminalSocket(Channel channel) {
        this.channel = channel;
    }

    /**
     * Opens the terminal with {@code open} (whose failure the caller answers as any route's),
     * upgrades {@code request}'s connection, and serves the terminal until its command ends.
     */
    static void serve(ChannelHandlerContext context, FullHttpRequest request,
                      Function<Consumer<byte[]>, TerminalSession> open) {
        Channel channel = context.channel();
        TerminalSocket socket = new TerminalSocket(channel);
        List<byte[]> beforeUpgrade = new ArrayList<>();
        boolean[] upgraded = {false};
        Consumer<byte[]> output = chunk -> {
            synchronized (beforeUpgrade) {
                if (!upgraded[0]) {
                    beforeUpgrade.add(chunk);
                    return;
                }
            }
            socket.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(chunk)));
        };
        TerminalSession session = open.apply(output);
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory("ws://" + request.headers().get("Host")
                + request.uri(), null, false, MAX_MESSAGE).newHandshaker(request);
        if (handshaker == null) {
            session.close();
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(channel);
            return;
        }
        context.pipeline().replace(context.handler(), "terminal", socket);
        handshaker.handshake(channel, request).syncUninterruptibly();
        socket.attach(session);
        synchronized (beforeUpgrade) {
            beforeUpgrade.forEach(chunk -> socket.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(chunk))));
            upgraded[0] = true;
        }
        ObjectNode last;
        try {
            ExecResult result = session.waitFor();
            last = MachineJson.object().put("type", "exit").put("exitCode", result.exitCode()).put("signal", result.signal());
        } catch (FlintException e) {
            last = MachineJson.object().put("type", "error");
            last.set("error", ApiErrors.body(e).get("error"));
        }
        socket.send(new TextWebSocketFrame(MachineJson.write(last)));
        socket.send(new CloseWebSocketFrame(1000, "ended")).addListener(done -> channel.close());
    }

    /** Writes from any thread; waits while the socket's buffer is full, so a slow client slows the output. */
    private ChannelFuture send(WebSocketFrame frame) {
        ChannelFuture written = channel.writeAndFlush(frame);
        if (!channel.isWritable() && !channel.eventLoop().inEventLoop()) {
            written.awaitUninterruptibly();
        }
        return written;
    }

    private synchronized void attach(TerminalSession opened) {
        session = opened;
        early.forEach(session::write);
        early.clear();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext context, WebSocketFrame frame) {
        switch (frame) {
            case BinaryWebSocketFrame binary -> type(ByteBufUtil.getBytes(binary.content()));
            case TextWebSocketFrame text -> control(text.text());
            case CloseWebSocketFrame close -> {
                hangUp();
                context.close();
            }
            default -> {
                // pings are answered by Netty's decoder; continuation frames are not used
            }
        }
    }

    private synchronized void type(byte[] bytes) {
        if (session == null) {
            early.add(bytes);
        } else {
            session.write(bytes);
        }
    }

    /** A resize; anything else, or a size out of range, is ignored: the terminal goes on. */
    private void control(String text) {
        try {
            resize(MachineJson.parse(text, "terminal message"));
        } catch (FlintException e) {
            // not a message this server knows
        }
    }

    private void resize(JsonNode message) {
        if (message.path("type").asText().equals("resize")) {
            TerminalSession current;
            synchronized (this) {
                current = session;
            }
            if (current != null) {
                current.resize(message.path("rows").asInt(), message.path("columns").asInt());
            }
        }
    }

    private void hangUp() {
        TerminalSession current;
        synchronized (this) {
            current = session;
        }
        if (current != null) {
            current.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        hangUp();   // the client went away: its terminal goes with it
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        hangUp();
        context.close();
    }
}
