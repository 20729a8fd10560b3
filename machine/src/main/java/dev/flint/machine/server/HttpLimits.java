package dev.flint.machine.server;

import dev.flint.machine.wire.ApiErrors;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/**
 * How much of a request the server reads, and the answer to one it cannot read whole. Netty's
 * decoder turns such a request into a placeholder ({@code GET /bad-request}) whose decoder
 * result holds the cause; {@link #refusal} names that cause in the API's JSON error.
 */
final class HttpLimits {
    /** Longest request line: the method, the URI with its query, the version. */
    static final int MAX_REQUEST_LINE = 4096;
    /** Largest header block: a bearer token and a few ordinary headers fit many times over. */
    static final int MAX_HEADERS = 8192;
    /** Largest request body: an exec's stdin travels inside it (base64). */
    static final int MAX_BODY = 16 * 1024 * 1024;

    private HttpLimits() {
    }

    static HttpServerCodec codec() {
        return new HttpServerCodec(new HttpDecoderConfig().setMaxInitialLineLength(MAX_REQUEST_LINE)
                .setMaxHeaderSize(MAX_HEADERS));
    }

    /** Aggregates a request's body up to {@link #MAX_BODY}, answering 413 with a JSON error beyond. */
    static HttpObjectAggregator aggregator() {
        return new HttpObjectAggregator(MAX_BODY) {
            @Override
            protected void handleOversizedMessage(ChannelHandlerContext context, HttpMessage oversized) {
                NettyResponder.refuse(context, new ApiException(ApiErrors.BODY_TOO_LARGE, "the request body is over "
                        + (MAX_BODY >> 20) + " MiB, the most this server reads; send less (e.g. a smaller stdin)"));
            }
        };
    }

    /** The error for a request the decoder failed on with {@code cause}. */
    static ApiException refusal(Throwable cause) {
        return switch (cause) {
            case TooLongHttpLineException e -> new ApiException(ApiErrors.URI_TOO_LONG, "the request line is over "
                    + MAX_REQUEST_LINE + " bytes, the most this server reads; send a shorter URI");
            case TooLongHttpHeaderException e -> new ApiException(ApiErrors.HEADERS_TOO_LARGE, "the request headers are over "
                    + MAX_HEADERS + " bytes, the most this server reads; send fewer or shorter headers");
            default -> new ApiException(ApiErrors.INVALID_REQUEST, "malformed HTTP request (" + cause.getMessage()
                    + "); send HTTP/1.1 as described in openapi.yaml");
        };
    }
}
