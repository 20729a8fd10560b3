package dev.flint.machine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.FakeEngines;
import dev.flint.machine.wire.MachineJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests Netty's decoder cannot read whole, sent as raw bytes: each gets its status with the
 * API's JSON error, then the server closes the connection; the next connection is served.
 */
class MalformedHttpTest {
    private MachineServer server;

    @BeforeEach
    void start() {
        server = MachineServer.start(new FakeEngines().inMemory(), new ListenAddress("127.0.0.1", 0), Optional.empty());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Writes {@code request}, then reads until the server closes: the whole answer, or fails after 10 s. */
    private String exchange(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            in.transferTo(answer);   // ends only when the server closes the connection
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    /** Asserts the raw answer has {@code status}, says it closes, and carries a JSON error {@code code} mentioning {@code text}. */
    private static void assertRefused(String answer, int status, String code, String text) {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), answer);
        String head = answer.substring(0, answer.indexOf("\r\n\r\n")).toLowerCase();
        assertTrue(head.contains("content-type: application/json"), answer);
        assertTrue(head.contains("connection: close"), answer);
        JsonNode error = MachineJson.parse(answer.substring(answer.indexOf("\r\n\r\n") + 4), "answer").get("error");
        assertEquals(code, error.get("code").asText(), answer);
        assertTrue(error.get("message").asText().contains(text), answer);
    }

    @Test
    void aGarbageRequestLineIsABadRequest() throws IOException {
        assertRefused(exchange("THIS IS NOT HTTP\r\n\r\n"), 400, "invalid_request", "malformed HTTP request");
        assertRefused(exchange("garbage\r\n\r\n"), 400, "invalid_request", "malformed HTTP request");
        assertRefused(exchange("POST /v1/machines HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 400,
                "invalid_request", "chunk size");
        assertRefused(exchange("GET /v1/health HTTP/1.1\r\nno colon here\r\n\r\n"), 400, "invalid_request",
                "malformed HTTP request");
        assertHealthy();
    }

    @Test
    void aTenKilobyteUriIsTooLong() throws IOException {
        assertRefused(exchange("GET /v1/machines/" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414,
                "uri_too_long", "4096 bytes");
        assertHealthy();
    }

    @Test
    void aTwentyKilobyteHeaderIsTooLarge() throws IOException {
        assertRefused(exchange("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n"), 431,
                "headers_too_large", "8192 bytes");
        assertHealthy();
    }

    @Test
    void aBodyOverTheLimitIsTooLarge() throws IOException {
        String answer = exchange("POST /v1/machines HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + (HttpLimits.MAX_BODY + 1) + "\r\n\r\n{\"name\":");
        assertRefused(answer, 413, "body_too_large", "16 MiB");
        String chunk = Integer.toHexString(9 << 20) + "\r\n" + "x".repeat(9 << 20) + "\r\n";
        assertRefused(exchange("POST /v1/machines HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk + chunk + "0\r\n\r\n"), 413, "body_too_large", "16 MiB");
        assertHealthy();
    }

    @Test
    void openApiDocumentsTheRefusals() throws IOException {
        try (InputStream document = MachineServer.class.getResourceAsStream("openapi.yaml")) {
            String text = new String(document.readAllBytes(), StandardCharsets.UTF_8);
            for (String code : new String[] {"body_too_large 413", "uri_too_long 414", "headers_too_large 431"}) {
                assertTrue(text.contains(code), "openapi.yaml lists " + code);
            }
        }
    }

    /** A good request on a new connection is still served. */
    private void assertHealthy() throws IOException {
        String answer = exchange("GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        assertTrue(answer.contains("\"ok\""), answer);
    }
}
