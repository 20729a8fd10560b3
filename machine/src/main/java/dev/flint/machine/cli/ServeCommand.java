package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.Engine;
import dev.flint.machine.FlintException;
import dev.flint.machine.FlintHome;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.server.ListenAddress;
import dev.flint.machine.server.MachineServer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code flint serve}: hosts machines in this process behind the HTTP/JSON API until stopped. */
@Command(name = "serve", description = {"host machines behind the HTTP/JSON API (default 127.0.0.1:8080)", "",
        "Hosts machines in this process and serves the HTTP/JSON API (openapi.yaml) for the flint commands, the Java"
                + " client (ConnectOptions.server) and anything that speaks HTTP. Machines and their state are recorded"
                + " in $FLINT_HOME/flint.db (default ~/.local/share/flint): after a restart (or a crash) the server"
                + " finds them stopped, with their disks, ready to start. Ctrl-C or SIGTERM stops the machines (their"
                + " disks stay) and the server."},
        footer = {"Then, in another shell: export FLINT_SERVER=http://127.0.0.1:8080; flint create web-1", "",
                "Exit status: 0 stopped by a signal; 2 bad arguments (e.g. a public address without a token); 125 the"
                        + " server could not start (port taken, store unreadable)."})
final class ServeCommand implements FlintCommand {
    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "where to listen (default 127.0.0.1:8080; port 0 picks a free one)")
    private String listen;
    @Option(names = "--token", paramLabel = "TOKEN", description = "require 'Authorization: Bearer TOKEN' (default:"
            + " $FLINT_TOKEN); needed to listen on anything but loopback; at least 8 characters")
    private String token;
    private final CliContext context;

    record Options(ListenAddress listen, Optional<String> token) {
    }

    ServeCommand(CliContext context) {
        this.context = context;
    }

    static Options parse(List<String> args, Map<String, String> env) throws UsageException {
        return Flint.parse(Flint.withCommand("serve", args), env, ServeCommand.class).options();
    }

    @Override
    public int run() throws UsageException, InterruptedException {
        return run(options(), context.out(), context.err());
    }

    Options options() throws UsageException {
        try {
            ListenAddress address = listen == null ? ListenAddress.DEFAULT : ListenAddress.parse(listen);
            Optional<String> effective = Optional.ofNullable(token != null ? token : context.env().get(ConnectOptions.TOKEN_VARIABLE))
                    .filter(t -> !t.isBlank());
            if (effective.isEmpty() && !address.isLoopback()) {
                throw new UsageException("listening on " + address + " needs --token (or FLINT_TOKEN): anyone who can"
                        + " reach it could run commands in your machines");
            }
            return new Options(address, effective);
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static int run(Options options, PrintStream out, PrintStream err) throws InterruptedException {
        Path home = FlintHome.resolve();
        MachineServer server;
        try {
            server = MachineServer.start(Engine.persistent(home), options.listen(), options.token());
        } catch (InvalidConfigException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.USAGE;
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.MACHINE_FAILED;
        }
        String url = "http://" + (options.listen().host().contains(":") ? "[" + options.listen().host() + "]"
                : options.listen().host()) + ":" + server.port();
        // Recorded so machine commands given no server use this one (AutoServer); gone when it stops.
        ServerFile record = ServerFile.ofThisProcess(java.net.URI.create(url), options.token());
        try {
            record.write(home);
        } catch (java.io.IOException e) {
            err.println("flint: could not record this server in " + ServerFile.path(home) + " (" + e.getMessage()
                    + "); machine commands find it only through FLINT_SERVER");
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            record.deleteIfCurrent(home);
            server.close();
        }, "flint-serve-shutdown"));
        out.println("flint: serving on " + url + (options.token().isPresent() ? " (token required)" : "")
                + ", state in " + home);
        out.println("flint: export FLINT_SERVER=" + url);
        out.flush();
        server.awaitClose();
        return ExitCodes.OK;
    }
}
