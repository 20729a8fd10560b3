package dev.flint.machine.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/** Checks {@code Authorization: Bearer TOKEN} when the server has a token; compares in constant time. */
final class BearerAuth {
    private final Optional<byte[]> token;

    BearerAuth(Optional<String> token) {
        this.token = token.map(t -> t.getBytes(StandardCharsets.UTF_8));
    }

    boolean required() {
        return token.isPresent();
    }

    boolean allows(Optional<String> authorization) {
        if (token.isEmpty()) {
            return true;
        }
        if (authorization.isEmpty() || !authorization.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = authorization.get().substring(7).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token.get());
    }
}
