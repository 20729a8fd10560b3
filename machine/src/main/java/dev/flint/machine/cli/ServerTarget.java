package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.InvalidConfigException;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which Flint server a machine command talks to: {@code --server URL} and {@code --token T}
 * (anywhere before {@code --}), else {@code FLINT_SERVER} and {@code FLINT_TOKEN}. Without one
 * the machine commands use the local server ({@link AutoServer}), or with that turned off stop with
 * exit 4: a machine made by one command must outlive it, and only
 * a server keeps it (an embedded engine ends with the command's JVM). {@code flint run} needs none.
 */
record ServerTarget(ConnectOptions options, List<String> rest) {
    static final String OPTIONS_TEXT = """
              --server URL          the Flint server (default: $FLINT_SERVER), e.g. http://127.0.0.1:8080
              --token TOKEN         its Bearer token (default: $FLINT_TOKEN)
            """;

    /** Takes {@code --server}/{@code --token} out of {@code args}; the rest keep their order. */
    static ServerTarget extract(List<String> args, Map<String, String> env) throws UsageException {
        List<String> rest = new ArrayList<>();
        String server = null;
        String token = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                rest.addAll(args.subList(i, args.size()));
                break;
            }
            if (arg.equals("--server") || arg.equals("--token")) {
                if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                    throw new UsageException(arg + " needs a value");
                }
                if (arg.equals("--server")) {
                    server = args.get(++i);
                } else {
                    token = args.get(++i);
                }
                continue;
            }
            rest.add(arg);
        }
        try {
            ConnectOptions options;
            if (server != null) {
                String effectiveToken = token != null ? token : env.get(ConnectOptions.TOKEN_VARIABLE);
                options = ConnectOptions.server(URI.create(server),
                        effectiveToken == null || effectiveToken.isBlank() ? null : effectiveToken);
            } else {
                options = ConnectOptions.fromEnvironment(env);
                if (token != null) {
                    if (options.isLocal()) {
                        throw new UsageException("--token needs a server: give --server URL or set FLINT_SERVER");
                    }
                    options = ConnectOptions.server(options.serverUri().orElseThrow(), token);
                }
            }
            return new ServerTarget(options, rest);
        } catch (InvalidConfigException | IllegalArgumentException e) {
            throw new UsageException("--server: " + e.getMessage());
        }
    }

    boolean hasServer() {
        return !options.isLocal();
    }

    /** The message for a machine command run without a server. */
    static String noServer(String command) {
        return "flint " + command + " needs a Flint server: machines made by one command must outlive it, and this"
                + " command's JVM ends when it does.\nStart one with 'flint serve &' and export"
                + " FLINT_SERVER=http://127.0.0.1:8080 (or pass --server URL), or unset FLINT_AUTO_SERVER=0 to let"
                + " the command start one; for a one-off command use 'flint run'.";
    }
}
