package dev.flint.machine.server;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One HTTP request as the API sees it, copied off the event loop: method, path, query, auth header, body. */
record ApiRequest(String method, String path, Map<String, List<String>> query, Optional<String> authorization, byte[] body) {
    String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    boolean hasBody() {
        return body.length > 0 && !bodyText().isBlank();
    }
}
