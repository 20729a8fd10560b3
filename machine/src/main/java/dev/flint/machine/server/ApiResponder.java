package dev.flint.machine.server;

import com.fasterxml.jackson.databind.JsonNode;

/** How the API answers one request: a whole JSON or text body, or a stream of NDJSON frames. */
interface ApiResponder {
    void json(int status, JsonNode body);

    void text(int status, String body);

    void empty(int status);

    /**
     * Opens a terminal with {@code open} and serves it over this request's connection, upgraded
     * to a WebSocket ({@link TerminalSocket}), until its command ends; a failure of {@code open}
     * propagates before the upgrade, so it is answered as any route's.
     */
    void terminal(java.util.function.Function<java.util.function.Consumer<byte[]>, dev.flint.machine.TerminalSession> open);

    /** A stream of frames, answered 200 when the first frame is written; until then an error can still be sent whole. */
    FrameStream stream();

    /** Newline-delimited JSON frames in a chunked response. */
    interface FrameStream {
        void frame(JsonNode frame);

        boolean started();

        void end();
    }
}
