package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where machines run, how the environment picks it; queries, cursors and ids. */
class ConnectOptionsTest {
    @Test
    void theEnvironmentPicksTheServerAndItsToken() {
        assertTrue(ConnectOptions.fromEnvironment(Map.of()).isLocal());
        assertTrue(ConnectOptions.fromEnvironment(Map.of("FLINT_SERVER", " ")).isLocal());
        ConnectOptions remote = ConnectOptions.fromEnvironment(Map.of("FLINT_SERVER", "http://127.0.0.1:8080",
                "FLINT_TOKEN", "s3cret"));
        assertEquals(URI.create("http://127.0.0.1:8080"), remote.serverUri().orElseThrow());
        assertEquals("s3cret", remote.token().orElseThrow());
        assertFalse(remote.toString().contains("s3cret"), "the token is never printed");
        assertTrue(ConnectOptions.fromEnvironment(Map.of("FLINT_SERVER", "http://h:1")).token().isEmpty());
    }

    @Test
    void badServersAndTokensAreRejectedClearly() {
        assertTrue(assertThrows(InvalidConfigException.class, () -> ConnectOptions.server(URI.create("ftp://h"), null))
                .getMessage().contains("http:// or https://"));
        assertThrows(InvalidConfigException.class, () -> ConnectOptions.server(URI.create("http://h:1/?x=1"), null));
        assertTrue(assertThrows(InvalidConfigException.class, () -> ConnectOptions.server(URI.create("http://h:1"), "a b"))
                .getMessage().contains("token"));
        assertTrue(assertThrows(InvalidConfigException.class,
                () -> ConnectOptions.fromEnvironment(Map.of("FLINT_SERVER", "http://bad host"))).getMessage()
                .contains("FLINT_SERVER"));
    }

    @Test
    void queriesCheckLimitAndCursor() {
        assertTrue(assertThrows(InvalidConfigException.class, () -> MachineQuery.builder().limit(0).build()).getMessage()
                .contains("limit must be between 1 and 1000"));
        assertTrue(assertThrows(InvalidConfigException.class, () -> MachineQuery.builder().cursor("zzz").build())
                .getMessage().contains("cursor 'zzz'"));
        assertEquals(7, MachineQuery.builder().cursor(MachineQuery.cursorAfter(7)).build().after());
        assertEquals(0, MachineQuery.all().after());
    }

    @Test
    void idsAreRandomBase32WithAPrefix() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = MachineId.next();
            assertTrue(MachineId.isId(id), id);
            ids.add(id);
        }
        assertEquals(1000, ids.size());
        assertFalse(MachineId.isId("web-1"));
    }
}
