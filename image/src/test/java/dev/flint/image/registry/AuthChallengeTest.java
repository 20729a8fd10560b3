package dev.flint.image.registry;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthChallengeTest {
    @Test
    void parsesABearerChallenge() {
        AuthChallenge c = AuthChallenge.parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                + "scope=\"repository:library/alpine:pull,push\"").orElseThrow();
        assertTrue(c.isBearer());
        assertEquals("https://auth.docker.io/token", c.parameter("realm").orElseThrow());
        assertEquals("registry.docker.io", c.parameter("service").orElseThrow());
        assertEquals("repository:library/alpine:pull,push", c.parameter("scope").orElseThrow());
    }

    @Test
    void parsesBasicAndUnquotedValues() {
        AuthChallenge c = AuthChallenge.parse("basic Realm=registry, charset=UTF-8").orElseThrow();
        assertTrue(c.isBasic());
        assertEquals("registry", c.parameter("realm").orElseThrow());
        assertEquals("UTF-8", c.parameter("charset").orElseThrow());
    }

    @Test
    void noHeaderIsNoChallenge() {
        assertTrue(AuthChallenge.parse(null).isEmpty());
        assertTrue(AuthChallenge.parse(" ").isEmpty());
    }
}
