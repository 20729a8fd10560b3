package dev.flint.image.registry;

import dev.flint.image.DigestMismatchException;
import dev.flint.image.ImageNotFoundException;
import dev.flint.image.ImageReference;
import dev.flint.image.RegistryDeniedException;
import dev.flint.image.RegistrySettings;
import dev.flint.image.RegistryUnreachableException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegistryClientTest {
    private FakeRegistry registry;
    private TestImages.Image image;
    private ImageReference ref;
    @TempDir
    Path dir;

    /** A clock the test moves by hand, to expire tokens. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @BeforeEach
    void serveAnImage() throws Exception {
        registry = new FakeRegistry();
        image = TestImages.image(List.of(TestImages.layer("etc/hello", "hi", Compression.GZIP)));
        TestImages.serve(registry, "team/app", "v1", image);
        ref = ImageReference.parse(registry.host() + "/team/app:v1");
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    private RegistryClient client(Path dockerConfig, Clock clock) {
        return new RegistryClient(new RegistrySettings(Set.of(registry.host()), dockerConfig, Duration.ofSeconds(5), 3),
                Duration.ofMillis(5), clock);
    }

    private RegistryClient client() {
        return client(null, Clock.systemUTC());
    }

    @Test
    void fetchesAManifestWithEveryAcceptedTypeAndVerifiesIt() {
        FetchedManifest manifest = client().manifest(ref, "v1");
        assertArrayEquals(image.manifest(), manifest.body());
        assertEquals(image.manifestDigest(), manifest.digest());
        assertEquals(MediaTypes.OCI_MANIFEST, manifest.mediaType());
    }

    @Test
    void anonymousBearerFlowGetsATokenOnceAndReusesIt() {
        registry.auth = FakeRegistry.Auth.BEARER;
        RegistryClient client = client();
        client.manifest(ref, "v1");
        client.manifest(ref, "v1");
        assertEquals(1, registry.count("/token"), "the token is cached per registry and scope");
        assertEquals(3, registry.count("/v2/team/app/manifests/v1"), "401, then 200 twice");
        assertTrue(registry.authorizations.getLast().contains("Bearer "));
    }

    @Test
    void readsAccessTokenWhenThereIsNoToken() {
        registry.auth = FakeRegistry.Auth.BEARER;
        registry.tokenAsAccessToken = true;
        registry.tokenExpiresIn = 0;
        assertEquals(image.manifestDigest(), client().manifest(ref, "v1").digest());
    }

    @Test
    void aTokenTheRegistryExpiredIsRenewedOnce() {
        registry.auth = FakeRegistry.Auth.BEARER;
        RegistryClient client = client();
        client.manifest(ref, "v1");
        registry.revokeTokens();
        client.manifest(ref, "v1");
        assertEquals(2, registry.count("/token"));
    }

    @Test
    void aTokenPastItsExpiresInIsNotSent() {
        registry.auth = FakeRegistry.Auth.BEARER;
        registry.tokenExpiresIn = 0; // absent: 60 s
        ManualClock clock = new ManualClock();
        RegistryClient client = client(null, clock);
        client.manifest(ref, "v1");
        clock.now = clock.now.plusSeconds(59);
        client.manifest(ref, "v1");
        assertEquals(1, registry.count("/token"));
        clock.now = clock.now.plusSeconds(2);
        client.manifest(ref, "v1");
        assertEquals(2, registry.count("/token"));
    }

    private Path dockerConfig(String host, String userPass) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"auths\":{\"" + host + "\":{\"auth\":\""
                + Base64.getEncoder().encodeToString(userPass.getBytes()) + "\"}}}");
        return config;
    }

    @Test
    void sendsDockerConfigCredentialsToTheTokenRealm() throws Exception {
        registry.auth = FakeRegistry.Auth.BEARER;
        registry.credentials = "alice:s3cret";
        client(dockerConfig(registry.host(), "alice:s3cret"), Clock.systemUTC()).manifest(ref, "v1");
        assertTrue(registry.authorizations.contains("/token -> " + FakeRegistry.basic("alice:s3cret")));
    }

    @Test
    void wrongCredentialsAtTheTokenRealmAreDenied() throws Exception {
        registry.auth = FakeRegistry.Auth.BEARER;
        registry.credentials = "alice:s3cret";
        RegistryDeniedException e = assertThrows(RegistryDeniedException.class,
                () -> client(dockerConfig(registry.host(), "alice:wrong"), Clock.systemUTC()).manifest(ref, "v1"));
        assertTrue(e.getMessage().contains("docker login"), e.getMessage());
        assertThrows(RegistryDeniedException.class, () -> client().manifest(ref, "v1"));
    }

    @Test
    void basicRegistriesGetTheCredentialsDirectly() throws Exception {
        registry.auth = FakeRegistry.Auth.BASIC;
        registry.credentials = "bob:pw";
        assertEquals(image.manifestDigest(),
                client(dockerConfig("http://" + registry.host() + "/v1/", "bob:pw"), Clock.systemUTC())
                        .manifest(ref, "v1").digest());
        assertEquals(0, registry.count("/token"));
        RegistryDeniedException e = assertThrows(RegistryDeniedException.class, () -> client().manifest(ref, "v1"));
        assertTrue(e.getMessage().contains("Basic"), e.getMessage());
    }

    @Test
    void aRedirectToAnotherHostDoesNotCarryTheAuthorization() throws Exception {
        try (FakeRegistry storage = new FakeRegistry()) {
            registry.auth = FakeRegistry.Auth.BEARER;
            TestImages.Layer layer = image.layers().getFirst();
            storage.addBlob(layer.blob());
            registry.redirectBlobsTo = "http://localhost:" + storage.port();
            registry.blobs.clear();
            Path target = dir.resolve("blob");
            client().downloadBlob(ref, new Descriptor(layer.mediaType(), layer.digest(), layer.blob().length, null),
                    target, done -> { });
            assertArrayEquals(layer.blob(), Files.readAllBytes(target));
            assertEquals(1, storage.count("/storage/" + layer.digest()));
            assertTrue(storage.authorizations.stream().allMatch(a -> a.endsWith(" -> ")), storage.authorizations.toString());
            assertTrue(registry.authorizations.getLast().contains("Bearer "), "the registry itself got the token");
        }
    }

    @Test
    void aManifestWhoseDigestIsNotTheAnnouncedOneIsRejected() {
        registry.announcedDigests.put("team/app:v1", "sha256:" + "0".repeat(64));
        assertThrows(DigestMismatchException.class, () -> client().manifest(ref, "v1"));
        registry.manifests.put("team/app:sha256:" + "1".repeat(64), registry.manifests.get("team/app:v1"));
        assertThrows(DigestMismatchException.class, () -> client().manifest(ref, "sha256:" + "1".repeat(64)),
                "a manifest asked for by digest must have that digest, whatever the header says");
    }

    @Test
    void aBlobWithOtherContentIsRejectedAndDeleted() {
        TestImages.Layer layer = image.layers().getFirst();
        registry.blobs.put(layer.digest(), "tampered".getBytes());
        Path target = dir.resolve("blob");
        assertThrows(DigestMismatchException.class, () -> client().downloadBlob(ref,
                new Descriptor(layer.mediaType(), layer.digest(), layer.blob().length, null), target, done -> { }));
        assertFalse(Files.exists(target));
    }

    @Test
    void aBlobLongerThanItsDescriptorIsCutOff() {
        TestImages.Layer layer = image.layers().getFirst();
        Path target = dir.resolve("blob");
        DigestMismatchException e = assertThrows(DigestMismatchException.class, () -> client().downloadBlob(ref,
                new Descriptor(layer.mediaType(), layer.digest(), layer.blob().length - 1, null), target, done -> { }));
        assertTrue(e.getMessage().contains("longer"), e.getMessage());
        assertFalse(Files.exists(target));
    }

    @Test
    void unknownTagsAreNotFound() {
        ImageNotFoundException e = assertThrows(ImageNotFoundException.class, () -> client().manifest(ref, "nope"));
        assertTrue(e.getMessage().contains("team/app/manifests/nope"), e.getMessage());
    }

    @Test
    void transientFailuresAreRetried() {
        registry.failRequests.set(2);
        registry.failStatus = 503;
        assertEquals(image.manifestDigest(), client().manifest(ref, "v1").digest());
        registry.failRequests.set(2);
        registry.failStatus = 429;
        assertEquals(image.manifestDigest(), client().manifest(ref, "v1").digest());
    }

    @Test
    void persistentFailuresSayTheRegistryIsUnreachable() {
        registry.failRequests.set(RegistryClient.ATTEMPTS);
        RegistryUnreachableException e = assertThrows(RegistryUnreachableException.class,
                () -> client().manifest(ref, "v1"));
        assertTrue(e.getMessage().contains(registry.host()) && e.getMessage().contains("503"), e.getMessage());
    }

    @Test
    void aClosedPortIsUnreachableAfterRetries() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ImageReference nowhere = ImageReference.parse("127.0.0.1:" + port + "/x:1");
        RegistryClient client = new RegistryClient(new RegistrySettings(Set.of("127.0.0.1:" + port), null,
                Duration.ofSeconds(2), 3), Duration.ofMillis(5), Clock.systemUTC());
        RegistryUnreachableException e = assertThrows(RegistryUnreachableException.class,
                () -> client.manifest(nowhere, "1"));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port) && e.getMessage().contains("network"), e.getMessage());
    }

    @Test
    void registriesNotListedInsecureAreSpokenToOverHttps() {
        RegistryClient client = new RegistryClient(new RegistrySettings(Set.of(), null, Duration.ofMillis(500), 3),
                Duration.ofMillis(5), Clock.systemUTC());
        RegistryUnreachableException e = assertThrows(RegistryUnreachableException.class,
                () -> client.manifest(ref, "v1"));
        assertTrue(e.getMessage().contains("https://" + registry.host()), e.getMessage());
        assertTrue(e.getMessage().contains(RegistrySettings.INSECURE_ENV), e.getMessage());
    }

    @Test
    void aBlobCutOffMidwayIsFetchedAgain() throws Exception {
        registry.dropBlobs.set(1);
        TestImages.Layer layer = image.layers().getFirst();
        Path target = dir.resolve("blob");
        client().downloadBlob(ref, new Descriptor(layer.mediaType(), layer.digest(), layer.blob().length, null), target,
                done -> { });
        assertArrayEquals(layer.blob(), Files.readAllBytes(target));
        assertEquals(2, registry.blobRequests(layer.digest()));
    }
}
