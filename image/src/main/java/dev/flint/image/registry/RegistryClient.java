package dev.flint.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.image.DigestMismatchException;
import dev.flint.image.ImageException;
import dev.flint.image.ImageNotFoundException;
import dev.flint.image.ImageReference;
import dev.flint.image.RegistryDeniedException;
import dev.flint.image.RegistrySettings;
import dev.flint.image.RegistryUnreachableException;
import dev.flint.image.store.StoreWrites;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * Pulls from a registry by the distribution spec over {@code java.net.http}: manifests with an
 * {@code Accept} of every manifest type, blobs streamed to a file and verified; the anonymous or
 * credentialed Bearer token flow and Basic auth; redirects followed by hand so that the
 * registry's {@code Authorization} never reaches another host; transient failures (connect
 * errors, 429, 5xx, a body cut short) retried with exponential backoff.
 *
 * <p>Thread-safe: layers download through one client at once.
 */
public final class RegistryClient {
    /** Tries per request, the first included. */
    static final int ATTEMPTS = 3;
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
    private static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);

    private final RegistrySettings settings;
    private final DockerCredentials credentials;
    private final HttpClient http;
    private final Duration backoff;
    private final Clock clock;
    private final Map<String, CachedAuth> authByScope = new ConcurrentHashMap<>();

    private record CachedAuth(String header, Instant expiresAt) {
    }

    public RegistryClient(RegistrySettings settings) {
        this(settings, Duration.ofMillis(500), Clock.systemUTC());
    }

    /** A client whose first retry waits {@code backoff} (doubling after), timing tokens by {@code clock}. */
    public RegistryClient(RegistrySettings settings, Duration backoff, Clock clock) {
        this.settings = settings;
        this.credentials = DockerCredentials.load(settings.dockerConfig());
        this.backoff = backoff;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build();
    }

    /**
     * The manifest or index {@code reference} (a tag or digest) of {@code image}'s repository,
     * verified against the digest asked for, else the {@code Docker-Content-Digest} header.
     */
    public FetchedManifest manifest(ImageReference image, String reference) {
        URI uri = base(image).resolve("manifests/" + reference);
        HttpResponse<InputStream> response = authorized(image, uri, MediaTypes.manifestAccept());
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_MANIFEST_BYTES + 1);
        } catch (IOException e) {
            throw unreachable(image, "reading the manifest failed: " + e.getMessage(), e);
        }
        if (body.length > MAX_MANIFEST_BYTES) {
            throw new ImageException("the manifest of " + image + " is over " + MAX_MANIFEST_BYTES + " bytes;"
                    + " that is no image manifest, check the reference");
        }
        String actual = Digests.sha256(body);
        String expected = reference.startsWith("sha256:") ? reference
                : response.headers().firstValue("Docker-Content-Digest").orElse(actual);
        if (!actual.equals(expected)) {
            throw new DigestMismatchException("the manifest of " + image + " has sha256 " + actual + " but the"
                    + " registry announced " + expected + "; the registry or a proxy altered it, pull again or"
                    + " report it to the registry's operator");
        }
        String mediaType = Manifests.mediaTypeOf(body, response.headers().firstValue("Content-Type").orElse(""));
        return new FetchedManifest(body, mediaType, actual);
    }

    /**
     * Downloads blob {@code blob} of {@code image}'s repository into {@code target} (replaced on
     * every try), checking its size and sha256; {@code progress} gets the bytes written so far.
     *
     * @throws DigestMismatchException when the content is not {@code blob.digest()}; {@code target} is then deleted
     */
    public void downloadBlob(ImageReference image, Descriptor blob, Path target, LongConsumer progress) {
        URI uri = base(image).resolve("blobs/" + blob.digest());
        for (int attempt = 1; ; attempt++) {
            HttpResponse<InputStream> response = authorized(image, uri, "*/*");
            try {
                copyVerified(response.body(), target, blob, progress);
                return;
            } catch (BodyCutShort e) {
                if (attempt >= ATTEMPTS) {
                    deleteQuietly(target);
                    throw unreachable(image, "the download of blob " + blob.digest() + " broke off " + ATTEMPTS
                            + " times (" + e.getCause().getMessage() + ")", e.getCause());
                }
                pause(attempt);
            } catch (RuntimeException e) {
                deleteQuietly(target);
                throw e;
            }
        }
    }

    /** A network read failed part-way through a body: worth a retry, unlike a failed file write. */
    private static final class BodyCutShort extends Exception {
        BodyCutShort(IOException cause) {
            super(cause);
        }
    }

    private static void copyVerified(InputStream body, Path target, Descriptor blob, LongConsumer progress)
            throws BodyCutShort {
        MessageDigest sha = Digests.newSha256();
        long done = 0;
        try (InputStream in = body; OutputStream out = StoreWrites.output(target)) {
            byte[] buffer = new byte[64 * 1024];
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (IOException e) {
                    throw new BodyCutShort(e);
                }
                if (n < 0) {
                    break;
                }
                done += n;
                if (blob.size() >= 0 && done > blob.size()) {
                    throw new DigestMismatchException("blob " + blob.digest() + " is longer than the " + blob.size()
                            + " bytes its manifest says; it was discarded: the registry serves other content");
                }
                sha.update(buffer, 0, n);
                out.write(buffer, 0, n);
                progress.accept(done);
            }
        } catch (IOException e) {
            throw StoreWrites.failure("write blob " + blob.digest(), target, e);
        }
        String actual = Digests.of(sha.digest());
        if (!actual.equals(blob.digest()) || (blob.size() >= 0 && done != blob.size())) {
            throw new DigestMismatchException("blob " + blob.digest() + " arrived as " + done + " bytes with sha256 "
                    + actual + " (expected " + blob.size() + " bytes); it was discarded: pull again, and if it"
                    + " repeats the registry serves corrupt content");
        }
    }

    private URI base(ImageReference image) {
        String scheme = settings.isInsecure(image.registry()) || settings.isInsecure(image.endpoint())
                ? "http" : "https";
        return URI.create(scheme + "://" + image.endpoint() + "/v2/" + image.repository() + "/");
    }

    /**
     * GETs {@code uri} with the cached authorization for the repository, authenticating once on a
     * 401 (also when a cached token expired on the registry's side). Returns a 2xx response.
     */
    private HttpResponse<InputStream> authorized(ImageReference image, URI uri, String accept) {
        String scope = "repository:" + image.repository() + ":pull";
        String key = image.endpoint() + " " + scope;
        for (int round = 0; ; round++) {
            CachedAuth cached = authByScope.get(key);
            String header = cached != null && clock.instant().isBefore(cached.expiresAt()) ? cached.header() : null;
            HttpResponse<InputStream> response = send(image, uri, accept, header);
            int status = response.statusCode();
            if (status / 100 == 2) {
                return response;
            }
            close(response);
            if (status == 401 && round == 0) {
                authByScope.remove(key);
                authByScope.put(key, authenticate(image, response, scope));
                continue;
            }
            if (status == 401 || status == 403) {
                throw new RegistryDeniedException(image.registry() + " denied access to " + image.repository()
                        + " (HTTP " + status + " after authenticating); the repository may not exist, or it needs"
                        + " credentials: run 'docker login " + image.registry() + "' or check the name");
            }
            if (status == 404) {
                throw new ImageNotFoundException(image.registry() + " has no " + uri.getPath().replaceFirst(
                        "^/v2/", "") + " (HTTP 404); check the repository name and tag");
            }
            throw new ImageException(image.registry() + " answered HTTP " + status + " for " + uri
                    + "; the registry may not speak the distribution API at this address");
        }
    }

    /** The authorization for {@code scope} that {@code challenged}'s WWW-Authenticate asks for. */
    private CachedAuth authenticate(ImageReference image, HttpResponse<?> challenged, String scope) {
        String header = challenged.headers().firstValue("WWW-Authenticate").orElse("");
        AuthChallenge challenge = AuthChallenge.parse(header).orElseThrow(() -> new RegistryDeniedException(
                image.registry() + " answered 401 without a WWW-Authenticate challenge; it cannot be pulled from"
                        + " anonymously and Flint does not know how to log in to it"));
        java.util.Optional<String> basic = credentials.basicFor(image.registry());
        if (challenge.isBasic()) {
            String value = basic.orElseThrow(() -> new RegistryDeniedException(image.registry() + " needs a user"
                    + " name and password (Basic auth) and none is configured; run 'docker login "
                    + image.registry() + "'"));
            return new CachedAuth(value, Instant.MAX);
        }
        if (!challenge.isBearer()) {
            throw new RegistryDeniedException(image.registry() + " asks for '" + challenge.scheme()
                    + "' authentication, which Flint does not speak (only Bearer and Basic)");
        }
        String realm = challenge.parameter("realm").orElseThrow(() -> new RegistryDeniedException(
                image.registry() + " sent a Bearer challenge without a realm; it cannot issue tokens"));
        StringBuilder query = new StringBuilder();
        challenge.parameter("service").ifPresent(s -> query.append("service=").append(encode(s)));
        String wanted = challenge.parameter("scope").orElse(scope);
        query.append(query.isEmpty() ? "" : "&").append("scope=").append(encode(wanted));
        URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        HttpResponse<InputStream> response = send(image, tokenUri, "application/json", basic.orElse(null));
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(1024 * 1024);
        } catch (IOException e) {
            throw unreachable(image, "reading a token from " + realm + " failed: " + e.getMessage(), e);
        }
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new RegistryDeniedException("the token service " + realm + " of " + image.registry() + " refused "
                    + (basic.isPresent() ? "the configured credentials" : "an anonymous token") + " (HTTP "
                    + response.statusCode() + "); " + (basic.isPresent() ? "run 'docker login " + image.registry()
                    + "' again" : "the repository may be private: run 'docker login " + image.registry() + "'"));
        }
        if (response.statusCode() / 100 != 2) {
            throw new ImageException("the token service " + realm + " answered HTTP " + response.statusCode()
                    + "; try again later");
        }
        JsonNode json = Manifests.parse(body, "token response from " + realm);
        String token = json.path("token").asText(json.path("access_token").asText(""));
        if (token.isEmpty()) {
            throw new ImageException("the token service " + realm + " sent no 'token' or 'access_token'; try again"
                    + " later or report it to the registry's operator");
        }
        long seconds = json.path("expires_in").asLong(DEFAULT_TOKEN_LIFETIME.toSeconds());
        return new CachedAuth("Bearer " + token, clock.instant().plusSeconds(Math.max(1, seconds)));
    }

    /**
     * One GET with retries for transient failures, following redirects by hand: the
     * {@code Authorization} header goes only to the host and port of {@code uri}.
     */
    private HttpResponse<InputStream> send(ImageReference image, URI uri, String accept, String authorization) {
        for (int attempt = 1; ; attempt++) {
            String failure;
            IOException cause = null;
            try {
                HttpResponse<InputStream> response = sendFollowing(uri, accept, authorization);
                int status = response.statusCode();
                if (status != 429 && status / 100 != 5) {
                    return response;
                }
                close(response);
                failure = "it answered HTTP " + status + (status == 429 ? " (too many requests)" : "");
            } catch (IOException e) {
                failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                cause = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ImageException("interrupted while talking to " + uri.getAuthority(), e);
            }
            if (attempt >= ATTEMPTS) {
                throw unreachable(image, "GET " + uri + " failed " + ATTEMPTS + " times; last: " + failure, cause);
            }
            pause(attempt);
        }
    }

    private HttpResponse<InputStream> sendFollowing(URI uri, String accept, String authorization)
            throws IOException, InterruptedException {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current).GET().timeout(settings.timeout())
                    .header("Accept", accept).header("User-Agent", "flint");
            if (authorization != null && Objects.equals(authority(current), authority(uri))) {
                request.header("Authorization", authorization);
            }
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            boolean redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
            if (!redirect) {
                return response;
            }
            close(response);
            String location = response.headers().firstValue("Location").orElseThrow(() -> new IOException(
                    "redirect " + status + " without a Location"));
            if (hop >= MAX_REDIRECTS) {
                throw new ImageException("more than " + MAX_REDIRECTS + " redirects from " + uri + "; the registry"
                        + " or its storage is misconfigured");
            }
            current = current.resolve(location);
        }
    }

    private static String authority(URI uri) {
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
        return uri.getScheme() + "://" + uri.getHost() + ":" + port;
    }

    private void pause(int attempt) {
        try {
            Thread.sleep(backoff.multipliedBy(1L << (attempt - 1)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException("interrupted while waiting to retry a registry request", e);
        }
    }

    private RegistryUnreachableException unreachable(ImageReference image, String what, Throwable cause) {
        return new RegistryUnreachableException("cannot pull from " + image.endpoint() + ": " + what + "; check the"
                + " network, DNS and proxy settings, and that the registry is up"
                + (settings.isInsecure(image.registry()) ? "" : " (a registry without TLS must be listed in "
                + RegistrySettings.INSECURE_ENV + ")"), cause);
    }

    private static void close(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException e) {
            // The connection is dropped instead of reused: harmless.
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // A leftover temp file is removed when the store is next opened.
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
