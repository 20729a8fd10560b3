package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FlintException;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The server machine commands use when none is given: the one this {@code FLINT_HOME}'s
 * {@link ServerFile} names, else a new one started in the background, as Docker's daemon or
 * podman's service answer without a manual start. It listens on loopback with a fresh token,
 * logs to {@code $FLINT_HOME/server.log}, and outlives the command, in its own session so the
 * terminal's Ctrl-C does not reach it; {@code flint server stop} ends it. {@code FLINT_AUTO_SERVER=0}
 * turns this off (the commands then exit 4, as with no server at all).
 */
final class AutoServer {
    static final String SWITCH = "FLINT_AUTO_SERVER";
    static final String LOG = "server.log";
    private static final String NATIVE_ACCESS = "--enable-native-access=dev.flint.vmm,org.xerial.sqlitejdbc";
    private static final String MAIN = "dev.flint.machine/dev.flint.machine.cli.Flint";

    /** Starts {@code flint serve} for {@code home} with {@code token}, its output to {@code log}. */
    interface Starter {
        ProcessHandle start(Path home, String token, Path log) throws IOException;
    }

    private AutoServer() {
    }

    static boolean enabled(Map<String, String> env) {
        return !"0".equals(env.get(SWITCH));
    }

    /** The running local server of {@code home}, if there is one that answers. */
    static Optional<ServerFile> running(Path home) {
        return ServerFile.read(home).filter(ServerFile::alive).filter(ServerFile::healthy);
    }

    /**
     * The local server of {@code home}: the running one, or one {@code starter} starts (said on
     * {@code err}, once), waited for up to {@code startTimeout}.
     *
     * @throws FlintException if it cannot start, with its log's last lines
     */
    static ConnectOptions connect(Path home, PrintStream err, Starter starter, Duration startTimeout) {
        Optional<ServerFile> running = running(home);
        if (running.isPresent()) {
            return running.get().options();
        }
        Path log = home.resolve(LOG);
        String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        ProcessHandle process;
        try {
            Files.createDirectories(home);
            process = starter.start(home, token, log);
        } catch (IOException e) {
            throw new FlintException("could not start a local Flint server: " + e.getMessage()
                    + "; start one with 'flint serve &' and set FLINT_SERVER", e);
        }
        long deadline = System.nanoTime() + startTimeout.toNanos();
        while (true) {
            Optional<ServerFile> started = ServerFile.read(home).filter(f -> f.token().equals(Optional.of(token)));
            if (started.isPresent() && started.get().healthy()) {
                err.println("flint: started a local Flint server for your machines (pid " + started.get().pid() + ", "
                        + started.get().url() + ", log " + log + "); they keep running after this command."
                        + " 'flint server stop' stops it and them.");
                return started.get().options();
            }
            if (!process.isAlive()) {
                throw new FlintException("the local Flint server ended as it started; its log " + log + " says:\n"
                        + tail(log) + "\nfix that, or start one with 'flint serve &' and set FLINT_SERVER");
            }
            if (System.nanoTime() > deadline) {
                process.destroy();
                throw new FlintException("the local Flint server did not answer within " + startTimeout.toSeconds()
                        + " s, so it was stopped; its log " + log + " says:\n" + tail(log));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FlintException("interrupted while the local Flint server started", e);
            }
        }
    }

    /**
     * Starts {@code flint serve} with this JVM's runtime and module path, in a session of its own
     * ({@code setsid}) where there is one, so it outlives this command and its terminal.
     */
    static ProcessHandle startServe(Path home, String token, Path log) throws IOException {
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath == null || modulePath.isBlank()) {
            throw new IOException("this flint did not start from a module path (the flint launcher sets one)");
        }
        List<String> command = new ArrayList<>();
        Optional.of(Path.of("/usr/bin/setsid")).filter(Files::isExecutable)
                .or(() -> Optional.of(Path.of("/bin/setsid")).filter(Files::isExecutable))
                .ifPresent(setsid -> command.add(setsid.toString()));
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), NATIVE_ACCESS,
                "-p", modulePath, "-m", MAIN, "serve", "--listen", "127.0.0.1:0", "--token", token));
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectErrorStream(true);
        builder.environment().put("FLINT_HOME", home.toString());
        builder.environment().remove("FLINT_TOKEN");
        return builder.start().toHandle();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
