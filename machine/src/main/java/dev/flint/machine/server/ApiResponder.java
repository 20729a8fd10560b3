package dev.flint.machine.server;

import com.fasterxml.jackson.databind.JsonNode;

/** How the API answers one request: a whole JSON or text body, or a stream of NDJSON frames. */
interface ApiResponder {
    void json(int status, JsonNode body);

    void text(int status, String body);

    void empty(int status);

    /** A stream of frames, answered 200 when the first frame is written; until then an error can still be sent whole. */
    FrameStream stream();

    /** Newline-delimited JSON frames in a chunked response. */
    interface FrameStream {
        void frame(JsonNode frame);

        boolean started();

        void end();
    }
}
