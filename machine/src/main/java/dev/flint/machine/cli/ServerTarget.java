package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.InvalidConfigException;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.Map;

/**
 * Which Flint server a machine command talks to: {@code --server URL} and {@code --token T},
 * else {@code FLINT_SERVER} and {@code FLINT_TOKEN}. Without one the machine commands use the
 * local server ({@link AutoServer}), or with that turned off stop with exit 4: a machine made by
 * one command must outlive it, and only a server keeps it (an embedded engine ends with the
 * command's JVM). {@code flint run} needs none.
 */
final class ServerTarget {
    // Listed after each command's own options (order), then -h.
    @Option(names = "--server", paramLabel = "URL", order = 1000,
            description = "the Flint server (default: $FLINT_SERVER), e.g. http://127.0.0.1:8080")
    String server;
    @Option(names = "--token", paramLabel = "TOKEN", order = 1001, description = "its Bearer token (default: $FLINT_TOKEN)")
    String token;

    boolean isEmpty() {
        return server == null && token == null;
    }

    /** The server the options and {@code env} name; {@link ConnectOptions#isLocal()} when none. */
    ConnectOptions options(Map<String, String> env) throws UsageException {
        try {
            if (server != null) {
                String effectiveToken = token != null ? token : env.get(ConnectOptions.TOKEN_VARIABLE);
                return ConnectOptions.server(URI.create(server),
                        effectiveToken == null || effectiveToken.isBlank() ? null : effectiveToken);
            }
            ConnectOptions options = ConnectOptions.fromEnvironment(env);
            if (token == null) {
                return options;
            }
            if (options.isLocal()) {
                throw new UsageException("--token needs a server: give --server URL or set FLINT_SERVER");
            }
            return ConnectOptions.server(options.serverUri().orElseThrow(), token);
        } catch (InvalidConfigException | IllegalArgumentException e) {
            throw new UsageException("--server: " + e.getMessage());
        }
    }

    /** The message for a machine command run without a server. */
    static String noServer(String command) {
        return "flint " + command + " needs a Flint server: machines made by one command must outlive it, and this"
                + " command's JVM ends when it does.\nStart one with 'flint serve &' and export"
                + " FLINT_SERVER=http://127.0.0.1:8080 (or pass --server URL), or unset FLINT_AUTO_SERVER=0 to let"
                + " the command start one; for a one-off command use 'flint run'.";
    }
}
