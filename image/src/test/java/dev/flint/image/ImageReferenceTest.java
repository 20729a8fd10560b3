package dev.flint.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageReferenceTest {
    private static final String HEX = "a".repeat(64);

    @ParameterizedTest
    @CsvSource({
            "alpine, docker.io/library/alpine:latest",
            "python:3.12-alpine, docker.io/library/python:3.12-alpine",
            "library/python:3.12, docker.io/library/python:3.12",
            "docker.io/library/python:3.12-alpine, docker.io/library/python:3.12-alpine",
            "index.docker.io/owner/app, docker.io/owner/app:latest",
            "owner/app:v1, docker.io/owner/app:v1",
            "ghcr.io/owner/name/sub:tag, ghcr.io/owner/name/sub:tag",
            "localhost/x, localhost/x:latest",
            "localhost:5000/x/y:t, localhost:5000/x/y:t",
            "127.0.0.1:5000/x, 127.0.0.1:5000/x:latest",
            "[::1]:5000/x:t, [::1]:5000/x:t",
            "my-registry.example.com/a.b/c__d/e-f:T_1.0-x, my-registry.example.com/a.b/c__d/e-f:T_1.0-x",
    })
    void parsesAndNormalizes(String text, String canonical) {
        assertEquals(canonical, ImageReference.parse(text).canonical());
    }

    @Test
    void splitsItsParts() {
        ImageReference ref = ImageReference.parse("python:3.12-alpine");
        assertEquals("docker.io", ref.registry());
        assertEquals("registry-1.docker.io", ref.endpoint());
        assertEquals("library/python", ref.repository());
        assertEquals("3.12-alpine", ref.tag());
        assertNull(ref.digest());
        assertEquals("3.12-alpine", ref.manifestReference());
    }

    @Test
    void aDigestAloneHasNoDefaultTag() {
        ImageReference ref = ImageReference.parse("localhost:5000/x/y@sha256:" + HEX);
        assertNull(ref.tag());
        assertEquals("sha256:" + HEX, ref.digest());
        assertEquals("localhost:5000/x/y@sha256:" + HEX, ref.canonical());
        assertEquals("localhost:5000", ref.endpoint());
    }

    @Test
    void tagAndDigestTogetherPullByDigest() {
        ImageReference ref = ImageReference.parse("alpine:3.20@sha256:" + HEX);
        assertEquals("3.20", ref.tag());
        assertEquals("sha256:" + HEX, ref.manifestReference());
        assertEquals("docker.io/library/alpine:3.20@sha256:" + HEX, ref.canonical());
    }

    @Test
    void aTagOf128CharactersIsFine() {
        assertEquals("t".repeat(128), ImageReference.parse("x:" + "t".repeat(128)).tag());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''| empty",
            "'   '| empty",
            "' alpine'| spaces",
            "Alpine| lowercase",
            "ghcr.io/Owner/x| lowercase",
            "x:bad/tag| port",
            "x:tag?| letters",
            "x:.hidden| must not start",
            "x:-dash| must not start",
            "x:a+b| letters",
            "x@sha256:abc| 64",
            "x@md5:" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + "| sha256",
            "x@sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA| lowercase hex",
            "localhost:0/x| port",
            "localhost:65536/x| port",
            "localhost:abc/x| port",
            "localhost:/x| port",
            "-bad.host/x| host",
            "bad..host/x| host",
            "ghcr.io/| no repository",
            "ghcr.io/a//b| component",
            "a_/b| component",
            "a--/b| component",
            ":tag| no repository",
    })
    void rejectsBadForms(String text, String expected) {
        InvalidReferenceException e = assertThrows(InvalidReferenceException.class, () -> ImageReference.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void rejectsATagOver128Characters() {
        InvalidReferenceException e = assertThrows(InvalidReferenceException.class,
                () -> ImageReference.parse("x:" + "t".repeat(129)));
        assertTrue(e.getMessage().contains("at most 128"), e.getMessage());
    }

    @Test
    void rejectsANameOver255Characters() {
        InvalidReferenceException e = assertThrows(InvalidReferenceException.class,
                () -> ImageReference.parse("ghcr.io/" + "a".repeat(256)));
        assertTrue(e.getMessage().contains("at most 255"), e.getMessage());
    }

    @Test
    void rejectsNull() {
        assertThrows(InvalidReferenceException.class, () -> ImageReference.parse(null));
    }
}
