package dev.flint.image.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A registry for tests on a JDK {@link HttpServer} on loopback: serves manifests and blobs from
 * maps, counts every request by path, and can demand Bearer tokens or Basic auth, redirect blob
 * GETs to a second server, fail with a status, or drop the connection half-way through a blob.
 */
public final class FakeRegistry implements AutoCloseable {
    public enum Auth { NONE, BEARER, BASIC }

    public record Manifest(byte[] body, String mediaType) {
    }

    private final HttpServer server;
    public final Map<String, Manifest> manifests = new ConcurrentHashMap<>();
    public final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    public final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    /** The Authorization header of each request, "" when none, with its path: "path -> header". */
    public final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final Set<String> validTokens = ConcurrentHashMap.newKeySet();

    public volatile Auth auth = Auth.NONE;
    /** user:pass the token realm (Bearer) or the registry (Basic) requires; null: anonymous tokens. */
    public volatile String credentials;
    public volatile long tokenExpiresIn = 300;
    public volatile boolean tokenAsAccessToken;
    /** Where blob GETs are redirected ("http://localhost:PORT"); null: served here. */
    public volatile String redirectBlobsTo;
    /** How many blob responses are cut off half-way. */
    public final AtomicInteger dropBlobs = new AtomicInteger();
    /** How many requests fail with {@link #failStatus}. */
    public final AtomicInteger failRequests = new AtomicInteger();
    public volatile int failStatus = 503;
    /** Slows every blob response, so concurrent pulls overlap. */
    public volatile long blobDelayMillis;
    /** A manifest's Docker-Content-Digest overrides ("repo:ref" -> digest). */
    public final Map<String, String> announcedDigests = new ConcurrentHashMap<>();

    public FakeRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The registry as a reference's host: {@code 127.0.0.1:PORT}. */
    public String host() {
        return "127.0.0.1:" + port();
    }

    public int count(String path) {
        AtomicInteger n = requests.get(path);
        return n == null ? 0 : n.get();
    }

    public int blobRequests(String digest) {
        return count("/v2/blobs/" + digest);
    }

    public int total(String prefix) {
        return requests.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToInt(e -> e.getValue().get()).sum();
    }

    /** Makes every issued token invalid, as if it expired on the server's side. */
    public void revokeTokens() {
        validTokens.clear();
    }

    public String addBlob(byte[] content) {
        String digest = Digests.sha256(content);
        blobs.put(digest, content);
        return digest;
    }

    public String addManifest(String repository, String reference, byte[] body, String mediaType) {
        manifests.put(repository + ":" + reference, new Manifest(body, mediaType));
        String digest = Digests.sha256(body);
        manifests.put(repository + ":" + digest, new Manifest(body, mediaType));
        return digest;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String header = exchange.getRequestHeaders().getFirst("Authorization");
            authorizations.add(path + " -> " + (header == null ? "" : header));
            if (path.equals("/token")) {
                count("/token", 1);
                token(exchange, header);
                return;
            }
            String counted = path.contains("/blobs/") ? "/v2/blobs/" + path.substring(path.lastIndexOf('/') + 1)
                    : path;
            count(counted, 1);
            if (failRequests.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                send(exchange, failStatus, "failing on purpose".getBytes(StandardCharsets.UTF_8), null);
                return;
            }
            if (path.equals("/v2/") || path.equals("/v2")) {
                send(exchange, 200, new byte[0], null);
                return;
            }
            if (!path.startsWith("/v2/") || !authorized(exchange, header)) {
                if (!path.startsWith("/v2/")) {
                    serveBlobPath(exchange, path);
                }
                return;
            }
            int manifestsAt = path.indexOf("/manifests/");
            int blobsAt = path.indexOf("/blobs/");
            if (manifestsAt > 0) {
                String key = path.substring(4, manifestsAt) + ":" + path.substring(manifestsAt + 11);
                Manifest manifest = manifests.get(key);
                if (manifest == null) {
                    send(exchange, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".getBytes(), null);
                    return;
                }
                exchange.getResponseHeaders().set("Docker-Content-Digest",
                        announcedDigests.getOrDefault(key, Digests.sha256(manifest.body())));
                send(exchange, 200, manifest.body(), manifest.mediaType());
            } else if (blobsAt > 0) {
                String digest = path.substring(blobsAt + 7);
                if (redirectBlobsTo != null) {
                    exchange.getResponseHeaders().set("Location", redirectBlobsTo + "/storage/" + digest);
                    send(exchange, 307, new byte[0], null);
                    return;
                }
                serveBlob(exchange, digest);
            } else {
                send(exchange, 404, new byte[0], null);
            }
        }
    }

    /** A redirected blob GET arriving at this server as the storage host: {@code /storage/<digest>}. */
    private void serveBlobPath(HttpExchange exchange, String path) throws IOException {
        if (path.startsWith("/storage/")) {
            serveBlob(exchange, path.substring("/storage/".length()));
        } else {
            send(exchange, 404, new byte[0], null);
        }
    }

    private void serveBlob(HttpExchange exchange, String digest) throws IOException {
        byte[] blob = blobs.get(digest);
        if (blob == null) {
            send(exchange, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}".getBytes(), null);
            return;
        }
        if (blobDelayMillis > 0) {
            try {
                Thread.sleep(blobDelayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (dropBlobs.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            exchange.sendResponseHeaders(200, blob.length);
            OutputStream out = exchange.getResponseBody();
            out.write(blob, 0, blob.length / 2);
            out.flush();
            // Closing short of the announced length makes the server drop the connection.
            return;
        }
        send(exchange, 200, blob, "application/octet-stream");
    }

    private boolean authorized(HttpExchange exchange, String header) throws IOException {
        switch (auth) {
            case NONE -> {
                return true;
            }
            case BASIC -> {
                if (header != null && header.equals(basic(credentials))) {
                    return true;
                }
                exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"fake\"");
            }
            case BEARER -> {
                if (header != null && header.startsWith("Bearer ") && validTokens.contains(header.substring(7))) {
                    return true;
                }
                String path = exchange.getRequestURI().getPath();
                String repository = path.substring(4, Math.max(path.indexOf("/manifests/"), path.indexOf("/blobs/")));
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"http://" + host()
                        + "/token\",service=\"fake-registry\",scope=\"repository:" + repository + ":pull\"");
            }
        }
        send(exchange, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".getBytes(), "application/json");
        return false;
    }

    private void token(HttpExchange exchange, String header) throws IOException {
        String query = exchange.getRequestURI().getQuery();
        if (query == null || !query.contains("service=fake-registry") || !query.contains("scope=repository:")) {
            send(exchange, 400, "missing service or scope".getBytes(), null);
            return;
        }
        if (credentials != null && !basic(credentials).equals(header)) {
            send(exchange, 401, "bad credentials".getBytes(), null);
            return;
        }
        String token = UUID.randomUUID().toString();
        validTokens.add(token);
        String body = "{\"" + (tokenAsAccessToken ? "access_token" : "token") + "\":\"" + token + "\""
                + (tokenExpiresIn > 0 ? ",\"expires_in\":" + tokenExpiresIn : "") + "}";
        send(exchange, 200, body.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    public static String basic(String userPass) {
        return userPass == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
    }

    private void count(String path, int n) {
        requests.computeIfAbsent(path, p -> new AtomicInteger()).addAndGet(n);
    }

    private static void send(HttpExchange exchange, int status, byte[] body, String contentType) throws IOException {
        if (contentType != null) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
