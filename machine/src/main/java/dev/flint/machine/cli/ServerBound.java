package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FlintException;
import dev.flint.machine.FlintHome;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A command that acts on a server's machines: it checks its request first (a typo is exit 2 even
 * without a server), then finds the server ({@link ServerTarget}, else the local one) and runs.
 */
abstract class ServerBound<R> implements FlintCommand {
    /** A JVM start and a store open: seconds on a host, tens of seconds in the emulated rig. */
    private static final Duration AUTO_SERVER_START = Duration.ofSeconds(120);

    protected final CliContext context;
    @Mixin
    private ServerTarget target;
    @Spec
    protected CommandSpec spec;

    ServerBound(CliContext context) {
        this.context = context;
    }

    /** The checked request of this command line. */
    abstract R request() throws UsageException;

    abstract int run(R request, ConnectOptions server);

    @Override
    public final int run() throws UsageException {
        R request = request();
        ConnectOptions server = target().options(context.env());
        if (server.isLocal()) {
            if (!AutoServer.enabled(context.env())) {
                context.err().println(ServerTarget.noServer(UsageErrors.name(spec.commandLine())));
                return ExitCodes.NO_SERVER;
            }
            try {
                server = AutoServer.connect(home(context.env()), context.err(), context.starter(), AUTO_SERVER_START);
            } catch (FlintException e) {
                context.err().println("flint: " + e.getMessage());
                return ExitCodes.NO_SERVER;
            }
        }
        return run(request, server);
    }

    /** This command's --server and --token, else those given before its subcommand ({@code flint snapshots --server U ls}). */
    ServerTarget target() {
        ServerTarget given = target;
        for (var parent = spec.commandLine().getParent(); given.isEmpty() && parent != null; parent = parent.getParent()) {
            if (parent.getCommand() instanceof ServerBound<?> bound) {
                given = bound.target;
            }
        }
        return given;
    }

    /** $FLINT_HOME as {@code env} gives it, else where {@link FlintHome} finds it. */
    static Path home(Map<String, String> env) {
        String home = env.get("FLINT_HOME");
        return home != null && !home.isBlank() ? Path.of(home).toAbsolutePath() : FlintHome.resolve();
    }
}
