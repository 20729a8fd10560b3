package dev.flint.agent;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The EXEC payload's byte layout (PROTOCOL.md) with the groups and image-root fields. */
class ExecRequestTest {
    private static String string(ByteBuffer payload) {
        byte[] bytes = new byte[payload.getInt()];
        payload.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Reads the fields every request has, up to and including env. */
    private static void skipToGroups(ByteBuffer payload) {
        payload.position(16);
        string(payload);
        for (int lists = 0; lists < 2; lists++) {
            int count = payload.getInt();
            for (int i = 0; i < count; i++) {
                string(payload);
            }
        }
    }

    @Test
    void groupsFollowTheEnvironmentAndAnImageRootFollowsThem() {
        ExecRequest request = ExecRequest.builder(List.of("id", "-G")).env("PATH", "/bin").user(65534, 65534)
                .groups(List.of(65534, 4242)).imageRoot("/.flint/images/abc123", "/.flint/disk/images/abc123")
                .timeout(Duration.ofSeconds(2)).build();
        ByteBuffer payload = ByteBuffer.wrap(request.encode());
        assertEquals(ExecRequest.FLAG_IMAGE_ROOT, payload.getInt(0), "flags: image root, stdin closed");
        skipToGroups(payload);
        assertEquals(2, payload.getInt(), "group count");
        assertEquals(65534, payload.getInt());
        assertEquals(4242, payload.getInt());
        assertEquals("/.flint/images/abc123", string(payload));
        assertEquals("/.flint/disk/images/abc123", string(payload));
        assertFalse(payload.hasRemaining());
    }

    @Test
    void withoutGroupsOrImageRootOnlyAZeroGroupCountIsAdded() {
        ExecRequest request = ExecRequest.builder(List.of("true")).stdin(new byte[0]).build();
        ByteBuffer payload = ByteBuffer.wrap(request.encode());
        assertEquals(ExecRequest.FLAG_STDIN_OPEN, payload.getInt(0));
        skipToGroups(payload);
        assertEquals(0, payload.getInt());
        assertFalse(payload.hasRemaining());
        assertEquals(List.of(), request.groups());
        assertTrue(request.imageRoot().isEmpty());
    }

    @Test
    void aFreshUpperIsAnEmptyString() {
        ExecRequest request = ExecRequest.builder(List.of("true")).imageRoot("/.flint/images/abc", "").build();
        assertTrue(request.imageRoot().orElseThrow().freshUpper());
        ByteBuffer payload = ByteBuffer.wrap(request.encode());
        skipToGroups(payload);
        assertEquals(0, payload.getInt());
        assertEquals("/.flint/images/abc", string(payload));
        assertEquals("", string(payload));
        assertFalse(payload.hasRemaining());
    }

    @Test
    void theOldConstructorStillWorks() {
        ExecRequest request = new ExecRequest(List.of("true"), Map.of(), "/", 0, 0, Optional.empty(), Optional.empty());
        assertEquals(List.of(), request.groups());
        assertEquals(Optional.empty(), request.imageRoot());
    }

    @Test
    void badGroupsAndImagePathsAreRejected() {
        ExecRequest.Builder builder = ExecRequest.builder(List.of("x"));
        assertThrows(IllegalArgumentException.class, () -> builder.groups(Collections.nCopies(65, 1)));
        assertThrows(IllegalArgumentException.class, () -> builder.groups(List.of(-1)));
        for (String bad : List.of("relative", "/", "/a/", "/a//b", "/a/./b", "/a/../b", "/a\0b", "/a,b", "/a:b", "/a\\b",
                "/" + "x".repeat(1023))) {
            assertThrows(IllegalArgumentException.class, () -> builder.imageRoot(bad, ""), bad);
            assertThrows(IllegalArgumentException.class, () -> builder.imageRoot("/l", bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> builder.imageRoot("/l", null));
        builder.groups(Collections.nCopies(64, 1)).imageRoot("/l", "/u");
    }
}
