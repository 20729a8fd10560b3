package dev.flint.machine.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** {@code flint server status|stop}: the local server of this {@code FLINT_HOME} ({@link AutoServer}). */
final class ServerCommand {
    static final String USAGE = """
            Usage: flint server status|stop

            The local Flint server of $FLINT_HOME: the one machine commands start by themselves
            when no server is given (FLINT_SERVER or --server), or a 'flint serve' running there.
              status   say whether it runs: its pid, address, start time and log
              stop     stop it (SIGTERM: its machines power off, their disks stay) and wait for it

            Options:
              -h, --help   show this help

            Exit status: 0 done (status: it runs); 1 status: no server runs; 2 bad arguments;
            125 stop: it did not end within 60 s.
            """;
    private static final Duration STOP_WAIT = Duration.ofSeconds(60);

    private ServerCommand() {
    }

    static int run(List<String> args, Path home, PrintStream out, PrintStream err) throws UsageException {
        if (args.size() != 1 || !(args.get(0).equals("status") || args.get(0).equals("stop"))) {
            throw new UsageException("server takes status or stop, got " + (args.isEmpty() ? "nothing" : args));
        }
        Optional<ServerFile> running = ServerFile.read(home).filter(ServerFile::alive);
        if (running.isEmpty()) {
            out.println("flint: no local server runs for " + home);
            return args.get(0).equals("status") ? 1 : ExitCodes.OK;
        }
        ServerFile server = running.get();
        if (args.get(0).equals("status")) {
            out.println("flint: local server pid " + server.pid() + " at " + server.url()
                    + (server.healthy() ? "" : " (not answering)") + ", up since "
                    + Instant.ofEpochMilli(server.startedAtMillis()) + ", log " + home.resolve(AutoServer.LOG));
            return ExitCodes.OK;
        }
        ProcessHandle process = ProcessHandle.of(server.pid()).orElseThrow();
        process.destroy();
        try {
            process.onExit().get(STOP_WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            err.println("flint: the local server (pid " + server.pid() + ") did not stop within " + STOP_WAIT.toSeconds()
                    + " s; its log is " + home.resolve(AutoServer.LOG) + "; kill -9 " + server.pid() + " ends it");
            return ExitCodes.MACHINE_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.MACHINE_FAILED;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
        server.deleteIfCurrent(home);
        out.println("flint: stopped the local server (pid " + server.pid() + ")");
        return ExitCodes.OK;
    }
}
