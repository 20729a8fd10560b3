package dev.flint.machine.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.machine.wire.MachineJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@code flint server status|stop}: the local server of this {@code FLINT_HOME} ({@link AutoServer}). */
@Command(name = "server", subcommands = {ServerCommand.Status.class, ServerCommand.Stop.class},
        description = {"the local server machine commands start by themselves: status, stop", "",
                "The local Flint server of $FLINT_HOME: the one machine commands start by themselves when no server is"
                        + " given (FLINT_SERVER or --server), or a 'flint serve' running there."},
        footer = ServerCommand.EXIT_TEXT)
final class ServerCommand implements FlintCommand {
    static final String EXIT_TEXT = "Exit status: 0 done (status: it runs); 1 status: no server runs; 2 bad arguments;"
            + " 125 stop: it did not end within 60 s.";
    private static final Duration STOP_WAIT = Duration.ofSeconds(60);

    @Override
    public int run() throws UsageException {
        throw new UsageException("server takes status or stop, got nothing");
    }

    private static Optional<ServerFile> running(Path home) {
        return ServerFile.read(home).filter(ServerFile::alive);
    }

    @Command(name = "status", description = "say whether it runs: its pid, address, start time and log",
            footer = ServerCommand.EXIT_TEXT)
    static final class Status implements FlintCommand {
        @Option(names = "--json", description = "print it as JSON: {\"running\": ..., \"pid\": ..., \"url\": ...}")
        private boolean json;
        private final CliContext context;

        Status(CliContext context) {
            this.context = context;
        }

        @Override
        public int run() {
            Path home = ServerBound.home(context.env());
            Optional<ServerFile> running = running(home);
            if (json) {
                context.out().println(MachineJson.write(json(home, running)));
            } else if (running.isEmpty()) {
                context.out().println("flint: no local server runs for " + home);
            } else {
                ServerFile server = running.get();
                context.out().println("flint: local server pid " + server.pid() + " at " + server.url()
                        + (server.healthy() ? "" : " (not answering)") + ", up since "
                        + Instant.ofEpochMilli(server.startedAtMillis()) + ", log " + home.resolve(AutoServer.LOG));
            }
            return running.isPresent() ? ExitCodes.OK : 1;
        }

        private static ObjectNode json(Path home, Optional<ServerFile> running) {
            ObjectNode status = MachineJson.object().put("home", home.toString()).put("running", running.isPresent());
            running.ifPresent(server -> status.put("pid", server.pid()).put("url", server.url().toString())
                    .put("healthy", server.healthy())
                    .put("startedAt", Instant.ofEpochMilli(server.startedAtMillis()).toString())
                    .put("log", home.resolve(AutoServer.LOG).toString()));
            return status;
        }
    }

    @Command(name = "stop", description = "stop it (SIGTERM: its machines power off, their disks stay) and wait for it",
            footer = ServerCommand.EXIT_TEXT)
    static final class Stop implements FlintCommand {
        private final CliContext context;

        Stop(CliContext context) {
            this.context = context;
        }

        @Override
        public int run() {
            Path home = ServerBound.home(context.env());
            Optional<ServerFile> running = running(home);
            if (running.isEmpty()) {
                context.out().println("flint: no local server runs for " + home);
                return ExitCodes.OK;
            }
            ServerFile server = running.get();
            ProcessHandle process = ProcessHandle.of(server.pid()).orElseThrow();
            process.destroy();
            try {
                process.onExit().get(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                context.err().println("flint: the local server (pid " + server.pid() + ") did not stop within "
                        + STOP_WAIT.toSeconds() + " s; its log is " + home.resolve(AutoServer.LOG) + "; kill -9 "
                        + server.pid() + " ends it");
                return ExitCodes.MACHINE_FAILED;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCodes.MACHINE_FAILED;
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
            server.deleteIfCurrent(home);
            context.out().println("flint: stopped the local server (pid " + server.pid() + ")");
            return ExitCodes.OK;
        }
    }
}
