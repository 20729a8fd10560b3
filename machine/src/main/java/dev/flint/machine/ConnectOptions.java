package dev.flint.machine;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where machines run: {@link #local()} in this JVM (the default; they end with it), or
 * {@link #server(URI, String)} in a Flint server ({@code flint serve}), where they outlive the
 * caller and any process can {@link Machine#connect} to them again.
 * {@link #fromEnvironment()} reads {@code FLINT_SERVER} and {@code FLINT_TOKEN}.
 *
 * <pre>{@code
 * ConnectOptions server = ConnectOptions.server(URI.create("http://127.0.0.1:8080"), System.getenv("FLINT_TOKEN"));
 * Machine.create(MachineConfig.builder().name("w1").build(), server);    // runs on after this JVM ends
 * // later, from any process:
 * try (Machine w1 = Machine.connect("w1", server)) {                     // close() only lets go
 *     System.out.print(w1.exec(List.of("uptime")).stdout());
 * }
 * Machine.delete("w1", server);
 * }</pre>
 */
public final class ConnectOptions {
    /** The variable {@link #fromEnvironment()} reads the server's URL from. */
    public static final String SERVER_VARIABLE = "FLINT_SERVER";
    /** The variable {@link #fromEnvironment()} reads the server's Bearer token from. */
    public static final String TOKEN_VARIABLE = "FLINT_TOKEN";
    private static final ConnectOptions LOCAL = new ConnectOptions(null, null);

    private final URI server;
    private final String token;

    private ConnectOptions(URI server, String token) {
        this.server = server;
        this.token = token;
    }

    /** Machines run in this JVM. */
    public static ConnectOptions local() {
        return LOCAL;
    }

    /**
     * Machines run in the Flint server at {@code server} (e.g. {@code http://127.0.0.1:8080}),
     * authenticating with {@code token} as a Bearer token, or with none when {@code token} is null.
     */
    public static ConnectOptions server(URI server, String token) {
        Objects.requireNonNull(server, "server");
        String scheme = server.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || server.getHost() == null) {
            throw new InvalidConfigException("server must be an http:// or https:// URL with a host, e.g."
                    + " http://127.0.0.1:8080; got '" + server + "'");
        }
        if (server.getRawQuery() != null || server.getRawFragment() != null) {
            throw new InvalidConfigException("server URL must not have a query or fragment; got '" + server + "'");
        }
        if (token != null && (token.isEmpty() || token.chars().anyMatch(c -> c <= 0x20 || c > 0x7e))) {
            throw new InvalidConfigException("token must be printable ASCII without spaces");
        }
        return new ConnectOptions(server, token);
    }

    /** {@code FLINT_SERVER} (and {@code FLINT_TOKEN}) when set, else {@link #local()}. */
    public static ConnectOptions fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** As {@link #fromEnvironment()}, from the given variables (a launcher's, or a test's). */
    public static ConnectOptions fromEnvironment(Map<String, String> environment) {
        String server = environment.get(SERVER_VARIABLE);
        String token = environment.get(TOKEN_VARIABLE);
        if (server == null || server.isBlank()) {
            return local();
        }
        try {
            return server(URI.create(server.strip()), token == null || token.isBlank() ? null : token.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(SERVER_VARIABLE + " is not a URL (" + e.getMessage()
                    + "); set it like http://127.0.0.1:8080");
        }
    }

    /** Whether machines run in this JVM ({@link #local()}) rather than in a server. */
    public boolean isLocal() {
        return server == null;
    }

    /** The server's URL; empty for {@link #local()}. */
    public Optional<URI> serverUri() {
        return Optional.ofNullable(server);
    }

    /** The Bearer token; empty when none was given. */
    public Optional<String> token() {
        return Optional.ofNullable(token);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ConnectOptions o && Objects.equals(server, o.server) && Objects.equals(token, o.token);
    }

    @Override
    public int hashCode() {
        return Objects.hash(server, token);
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return server == null ? "local" : server + (token == null ? "" : " (with token)");
    }
}
