package dev.flint.machine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.wire.MachineJson;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
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

import java.nio.charset.StandardCharsets;

/**
 * Writes one request's answer to its Netty channel, from whichever thread the API runs on
 * (Netty queues writes from other threads onto the channel's event loop). A frame stream waits
 * for the socket to drain when its buffer is full, so a slow reader slows the command's output
 * down instead of filling the server's memory.
 */
final class NettyResponder implements ApiResponder {
    private final ChannelHandlerContext context;
    private final boolean keepAlive;

    NettyResponder(ChannelHandlerContext context, boolean keepAlive) {
        this.context = context;
        this.keepAlive = keepAlive;
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
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body));
        if (contentType != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        if (status == 401) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"flint\"");
        }
        HttpUtil.setContentLength(response, body.length);
        finish(context.writeAndFlush(response));
    }

    /** HTTP/1.1 keeps the connection for the next request unless the client asked to close it. */
    private void finish(ChannelFuture last) {
        if (!keepAlive) {
            last.addListener(ChannelFutureListener.CLOSE);
        }
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
