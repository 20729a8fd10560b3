package dev.flint.machine.server;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * Netty's side of the API: copies each aggregated request off the event loop and runs it on a
 * virtual thread, since a route can wait a minute for a guest to boot or a command to end. A
 * request Netty's decoder could not read whole is refused here, on the event loop.
 */
final class HttpApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final MachineApi api;
    private final ExecutorService workers;

    HttpApiHandler(MachineApi api, ExecutorService workers) {
        this.api = api;
        this.workers = workers;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
        if (request.decoderResult().isFailure()) {
            NettyResponder.refuse(context, HttpLimits.refusal(request.decoderResult().cause()));
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        ApiRequest copy = new ApiRequest(request.method().name(), uri.rawPath(), uri.parameters(),
                Optional.ofNullable(request.headers().get(HttpHeaderNames.AUTHORIZATION)),
                ByteBufUtil.getBytes(request.content()));
        boolean webSocket = "websocket".equalsIgnoreCase(request.headers().get(HttpHeaderNames.UPGRADE));
        NettyResponder responder = new NettyResponder(context, HttpUtil.isKeepAlive(request),
                webSocket ? request.copy() : null);
        workers.execute(() -> api.handle(copy, responder));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        context.close();   // a broken connection: its client sees the reset; the machines are unaffected
    }
}
