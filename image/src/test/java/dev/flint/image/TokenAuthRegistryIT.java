package dev.flint.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.flint.image.registry.Manifests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Pulls from Debian's {@code docker-registry} (distribution 2.8) configured for token auth, as
 * Docker Hub is: the registry answers 401 with a Bearer challenge naming this test's token server,
 * which checks Basic credentials and issues RS256 JWTs signed by a key {@code keytool} made, its
 * certificate in the JWT's {@code x5c} and in the registry's {@code rootcertbundle}. The image is
 * built by {@code umoci} and pushed by {@code skopeo} with credentials. Skips unless
 * docker-registry, skopeo, umoci and the JDK's keytool are there.
 */
class TokenAuthRegistryIT {
    private static final String USER = "flint";
    /** Authenticates with the same password but is granted nothing: the registry must refuse its token. */
    private static final String NO_RIGHTS = "nobody";
    private static final String SERVICE = "flint-registry";
    private static final String ISSUER = "flint-token-issuer";
    private static final long LIFETIME_SECONDS = 60;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request to the token server: the Basic user (null: none), the scopes asked, whether a token was issued. */
    record TokenRequest(String user, String service, List<String> scopes, boolean issued) {
    }

    @TempDir
    static Path dir;
    private static final List<TokenRequest> tokenRequests = new CopyOnWriteArrayList<>();
    private static String password;
    private static PrivateKey signingKey;
    private static String certificateDer;
    private static HttpServer tokenServer;
    private static Process registry;
    private static String host;
    private static String realm;

    @BeforeAll
    static void start() throws Exception {
        RegistryTools.assumeTools();
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        assumeTrue(Files.isExecutable(keytool), "needs the JDK's keytool at " + keytool);
        password = UUID.randomUUID().toString();

        String storePass = UUID.randomUUID().toString();
        Path keystore = dir.resolve("token.p12");
        Path bundle = dir.resolve("token.pem");
        RegistryTools.run(dir, keytool.toString(), "-genkeypair", "-alias", "token", "-keyalg", "RSA", "-keysize",
                "2048", "-dname", "CN=flint-token", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                keystore.toString(), "-storepass", storePass);
        RegistryTools.run(dir, keytool.toString(), "-exportcert", "-rfc", "-alias", "token", "-keystore",
                keystore.toString(), "-storepass", storePass, "-file", bundle.toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keystore)) {
            store.load(in, storePass.toCharArray());
        }
        signingKey = (PrivateKey) store.getKey("token", storePass.toCharArray());
        certificateDer = Base64.getEncoder().encodeToString(store.getCertificate("token").getEncoded());

        tokenServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        tokenServer.createContext("/token", TokenAuthRegistryIT::issue);
        tokenServer.start();
        realm = "http://127.0.0.1:" + tokenServer.getAddress().getPort() + "/token";

        host = "127.0.0.1:" + RegistryTools.freePort();
        registry = RegistryTools.startRegistry(dir, host, """
                auth:
                  token:
                    realm: %s
                    service: %s
                    issuer: %s
                    rootcertbundle: %s
                """.formatted(realm, SERVICE, ISSUER, bundle));

        push(RegistryTools.buildImage(dir, "one", "one", "token auth one " + UUID.randomUUID()), "team/app:1");
        push(RegistryTools.buildImage(dir, "two", "two", "token auth two " + UUID.randomUUID()), "team/app:2");
        assertTrue(tokenRequests.stream().anyMatch(r -> USER.equals(r.user()) && r.issued()
                        && r.scopes().contains("repository:team/app:pull,push")),
                "skopeo's push asked for no push token: " + tokenRequests);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            RegistryTools.stop(registry);
        } finally {
            if (tokenServer != null) {
                tokenServer.stop(0);
            }
        }
    }

    @BeforeEach
    void forgetTokenRequests() {
        tokenRequests.clear();
    }

    private static void push(Path layout, String repositoryAndTag) throws Exception {
        RegistryTools.run(dir, "skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds",
                USER + ":" + password, "oci:" + layout + ":t", "docker://" + host + "/" + repositoryAndTag);
    }

    /** The token endpoint of the distribution token spec: GET ?service=..&scope=.. with Basic credentials. */
    private static void issue(HttpExchange exchange) throws IOException {
        try (exchange) {
            String service = null;
            List<String> scopes = new ArrayList<>();
            String query = exchange.getRequestURI().getRawQuery();
            for (String pair : query == null ? new String[0] : query.split("&")) {
                int equals = pair.indexOf('=');
                String key = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
                String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
                if (key.equals("service")) {
                    service = value;
                } else if (key.equals("scope")) {
                    scopes.add(value);
                }
            }
            String user = null;
            boolean authenticated = false;
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
                String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()),
                        StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                user = colon < 0 ? decoded : decoded.substring(0, colon);
                authenticated = decoded.equals(USER + ":" + password) || decoded.equals(NO_RIGHTS + ":" + password);
            }
            if (!exchange.getRequestMethod().equals("GET") || !SERVICE.equals(service)) {
                tokenRequests.add(new TokenRequest(user, service, List.copyOf(scopes), false));
                respond(exchange, 400, "{\"errors\":[{\"code\":\"UNSUPPORTED\",\"message\":\"GET with service="
                        + SERVICE + " only\"}]}");
                return;
            }
            if (!authenticated) {
                tokenRequests.add(new TokenRequest(user, service, List.copyOf(scopes), false));
                exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"flint-token\"");
                respond(exchange, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}");
                return;
            }
            long now = Instant.now().getEpochSecond();
            ObjectNode claims = JSON.createObjectNode().put("iss", ISSUER).put("sub", user).put("aud", service)
                    .put("exp", now + LIFETIME_SECONDS).put("nbf", now).put("iat", now)
                    .put("jti", UUID.randomUUID().toString());
            ArrayNode access = claims.putArray("access");
            for (String scope : scopes) {
                int first = scope.indexOf(':');
                int last = scope.lastIndexOf(':');
                if (first > 0 && last > first && !NO_RIGHTS.equals(user)) {
                    ObjectNode entry = access.addObject().put("type", scope.substring(0, first))
                            .put("name", scope.substring(first + 1, last));
                    ArrayNode actions = entry.putArray("actions");
                    for (String action : scope.substring(last + 1).split(",")) {
                        actions.add(action);
                    }
                }
            }
            ObjectNode header = JSON.createObjectNode().put("typ", "JWT").put("alg", "RS256");
            header.putArray("x5c").add(certificateDer);
            String signed = base64Url(JSON.writeValueAsBytes(header)) + "." + base64Url(JSON.writeValueAsBytes(claims));
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(signingKey);
            rsa.update(signed.getBytes(StandardCharsets.US_ASCII));
            String jwt = signed + "." + base64Url(rsa.sign());
            tokenRequests.add(new TokenRequest(user, service, List.copyOf(scopes), true));
            respond(exchange, 200, JSON.writeValueAsString(JSON.createObjectNode().put("token", jwt)
                    .put("expires_in", LIFETIME_SECONDS).put("issued_at", Instant.ofEpochSecond(now).toString())));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("signing the token failed", e);
        }
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A docker config.json holding {@code user:secret} for the registry. */
    private static Path dockerConfig(String name, String user, String secret) throws IOException {
        Path config = dir.resolve("docker-" + name).resolve("config.json");
        Files.createDirectories(config.getParent());
        String auth = Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
        Files.writeString(config, "{\"auths\": {\"" + host + "\": {\"auth\": \"" + auth + "\"}}}");
        return config;
    }

    private static ImageStore store(Path dockerConfig) {
        RegistrySettings settings = new RegistrySettings(Set.of(host), dockerConfig, Duration.ofSeconds(30), 3);
        return ImageStore.open(dir.resolve("images-" + UUID.randomUUID()), settings);
    }

    private static PulledImage pull(ImageStore store, String tag) {
        return store.pull(ImageReference.parse(host + "/team/app:" + tag), PullPolicy.ALWAYS, PullListener.NONE);
    }

    private static String layerText(PulledImage image) throws IOException {
        return new String(Files.readAllBytes(image.layers().getLast().uncompressedTar()), StandardCharsets.ISO_8859_1);
    }

    @Test
    void pullsWithATokenForTheConfiguredCredentials() throws Exception {
        try (ImageStore store = store(dockerConfig("good", USER, password))) {
            PulledImage image = pull(store, "1");
            assertEquals(Manifests.diffIds(image.configJson()),
                    image.layers().stream().map(LayerFile::diffId).toList());
            assertTrue(layerText(image).contains("etc/one") && layerText(image).contains("token auth one"));
        }
        assertEquals(List.of(new TokenRequest(USER, SERVICE, List.of("repository:team/app:pull"), true)),
                tokenRequests);
    }

    @Test
    void withoutCredentialsThePullIsDenied() {
        try (ImageStore store = store(null)) {
            RegistryDeniedException denied = assertThrows(RegistryDeniedException.class, () -> pull(store, "1"));
            assertTrue(denied.getMessage().contains(host) && denied.getMessage().contains("anonymous"),
                    denied.getMessage());
        }
        assertEquals(List.of(new TokenRequest(null, SERVICE, List.of("repository:team/app:pull"), false)),
                tokenRequests);
    }

    @Test
    void aWrongPasswordIsDenied() throws Exception {
        try (ImageStore store = store(dockerConfig("wrong", USER, "not-" + password))) {
            RegistryDeniedException denied = assertThrows(RegistryDeniedException.class, () -> pull(store, "1"));
            assertTrue(denied.getMessage().contains(host) && denied.getMessage().contains("configured credentials"),
                    denied.getMessage());
        }
        assertEquals(List.of(new TokenRequest(USER, SERVICE, List.of("repository:team/app:pull"), false)),
                tokenRequests);
    }

    @Test
    void aTokenWithoutAccessIsRefusedByTheRegistry() throws Exception {
        try (ImageStore store = store(dockerConfig("norights", NO_RIGHTS, password))) {
            RegistryDeniedException denied = assertThrows(RegistryDeniedException.class, () -> pull(store, "1"));
            assertTrue(denied.getMessage().contains(host) && denied.getMessage().contains("after authenticating"),
                    denied.getMessage());
        }
        assertEquals(List.of(new TokenRequest(NO_RIGHTS, SERVICE, List.of("repository:team/app:pull"), true)),
                tokenRequests);
    }

    @Test
    void aSecondPullWithinTheTokenLifetimeReusesTheToken() throws Exception {
        try (ImageStore store = store(dockerConfig("reuse", USER, password))) {
            assertTrue(layerText(pull(store, "1")).contains("token auth one"));
            assertTrue(layerText(pull(store, "2")).contains("token auth two"));
        }
        assertEquals(1, tokenRequests.size(), "token requests: " + tokenRequests);
        assertTrue(tokenRequests.getFirst().issued(), tokenRequests.toString());
    }
}
