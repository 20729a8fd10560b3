package dev.flint.machine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.MachineJson;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Writes one request's answer to its Netty channel, from whichever thread the API runs on
 * (Netty queues writes from other threads onto the channel's event loop). A frame stream waits
 * for the socket to drain when its buffer is full, so a slow reader slows the command's output
 * down instead of filling the server's memory.
 */
final class NettyResponder implements ApiResponder {
    /** How long a refused connection waits for its client to read the answer and hang up. */
    private static final long LINGER_MS = 2_000;

    private final ChannelHandlerContext context;
    private final boolean keepAlive;
    private final boolean refusing;
    /** The request, kept when it asked to upgrade to a WebSocket (a terminal); else null. */
    private final io.netty.handler.codec.http.FullHttpRequest upgrade;

    private NettyResponder(ChannelHandlerContext context, boolean keepAlive, boolean refusing,
                           io.netty.handler.codec.http.FullHttpRequest upgrade) {
        this.context = context;
        this.keepAlive = keepAlive;
        this.refusing = refusing;
        this.upgrade = upgrade;
    }

    /** {@code upgrade}: a copy of the request when it asks for a WebSocket, which {@link #terminal} releases. */
    NettyResponder(ChannelHandlerContext context, boolean keepAlive, io.netty.handler.codec.http.FullHttpRequest upgrade) {
        this(context, keepAlive, false, upgrade);
    }

    @Override
    public void terminal(java.util.function.Function<java.util.function.Consumer<byte[]>, dev.flint.machine.TerminalSession> open) {
        if (upgrade == null) {
            throw new ApiException(ApiErrors.INVALID_REQUEST, "the terminal route is a WebSocket: connect with"
                    + " 'Upgrade: websocket' (RemoteMachine and 'flint exec -it' do)");
        }
        try {
            TerminalSocket.serve(context, upgrade, open);
        } finally {
            upgrade.release();
        }
    }

    /**
     * Answers a request that could not be read whole with {@code error}; after the answer the
     * connection is done, and the rest of what its client sends is dropped unread.
     */
    static void refuse(ChannelHandlerContext context, ApiException error) {
        new NettyResponder(context, false, true, null).json(ApiErrors.status(error.code()),
                ApiErrors.body(error.code(), error.getMessage()));
    }

    @Override
    public void json(int status, JsonNode body) {
        whole(status, "application/json", MachineJson.write(body).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void text(int status, String body) {
        whole(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void empty(int status) {
        whole(status, null, new byte[0]);
    }

    private void whole(int status, String contentType, byte[] body) {
        if (upgrade != null && upgrade.refCnt() > 0) {
            upgrade.release();   // asked for a WebSocket where there is none: answered as HTTP
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body));
        if (contentType != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        if (status == 401) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"flint\"");
        }
        HttpUtil.setContentLength(response, body.length);
        HttpUtil.setKeepAlive(response, keepAlive);
        finish(context.writeAndFlush(response));
    }

    /** HTTP/1.1 keeps the connection for the next request unless the client asked to close it. */
    private void finish(ChannelFuture last) {
        if (refusing) {
            last.addListener(written -> linger(context.channel()));
        } else if (!keepAlive) {
            last.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Closes a refused connection gently: a close with unread bytes in the socket would send a
     * reset, which can destroy the answer before the client reads it. So the server stops
     * writing (the client reads the answer, then end of stream), throws away whatever else
     * arrives, and closes when the client hangs up or after {@link #LINGER_MS}.
     */
    private static void linger(Channel channel) {
        if (!(channel instanceof SocketChannel socket) || !socket.isActive()) {
            channel.close();
            return;
        }
        channel.pipeline().addFirst(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext context, Object message) {
                ReferenceCountUtil.release(message);
            }
        });
        socket.shutdownOutput();
        channel.eventLoop().schedule(() -> channel.close(), LINGER_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public FrameStream stream() {
        return new FrameStream() {
            private boolean started;
            private boolean ended;

            @Override
            public synchronized void frame(JsonNode frame) {
                if (ended) {
                    return;
                }
                if (!started) {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/x-ndjson");
                    head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                    context.write(head);
                    started = true;
                }
                byte[] line = (MachineJson.write(frame) + "\n").getBytes(StandardCharsets.UTF_8);
                ChannelFuture written = context.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(line)));
                if (!context.channel().isWritable() && !context.executor().inEventLoop()) {
                    written.awaitUninterruptibly();
                }
            }

            @Override
            public synchronized boolean started() {
                return started;
            }

            @Override
            public synchronized void end() {
                if (ended) {
                    return;
                }
                ended = true;
                finish(context.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
            }
        };
    }
}
