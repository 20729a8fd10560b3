package dev.flint.machine.cli;

import dev.flint.machine.ExecOptions;
import dev.flint.machine.ExecResult;
import dev.flint.machine.FlintException;
import dev.flint.machine.Machine;
import dev.flint.machine.TerminalSession;
import dev.flint.vmm.sys.HostTerminal;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code flint exec -it} and {@code flint shell MACHINE}: a command on a terminal in the machine,
 * this process's terminal in raw mode meanwhile (restored on every way out: the end, an error,
 * Ctrl-C reaching the guest rather than us, a signal ending the JVM). Keys go straight through;
 * the window's size is followed (polled: the JVM has no SIGWINCH).
 */
final class InteractiveSession {
    private static final int STDIN = 0;
    private static final int STDOUT = 1;
    private static final long SIZE_POLL_MS = 250;

    private InteractiveSession() {
    }

    static int run(Machine machine, List<String> argv, ExecOptions options, PrintStream err) {
        int[] size = HostTerminal.size(STDOUT).orElse(new int[] {24, 80});
        OutputStream screen = new FileOutputStream(FileDescriptor.out);
        Optional<HostTerminal.Raw> raw = HostTerminal.raw(STDIN);
        Thread restore = new Thread(() -> raw.ifPresent(HostTerminal.Raw::close), "flint-terminal-restore");
        Runtime.getRuntime().addShutdownHook(restore);
        try (TerminalSession session = machine.openTerminal(argv, options, size[0], size[1], chunk -> {
            try {
                screen.write(chunk);
                screen.flush();
            } catch (IOException e) {
                // the screen is gone: the command runs on until it ends
            }
        })) {
            Thread.ofVirtual().name("flint-terminal-keys").start(() -> type(new FileInputStream(FileDescriptor.in), session));
            Thread.ofVirtual().name("flint-terminal-size").start(() -> followSize(session, size));
            ExecResult result = session.waitFor();
            return result.signal() != 0 ? 128 + result.signal() : result.exitCode();
        } catch (FlintException e) {
            raw.ifPresent(HostTerminal.Raw::close);
            err.println("flint: " + e.getMessage());
            return ExitCodes.of(e);
        } finally {
            raw.ifPresent(HostTerminal.Raw::close);
            try {
                Runtime.getRuntime().removeShutdownHook(restore);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook restores the terminal
            }
        }
    }

    private static void type(InputStream keys, TerminalSession session) {
        byte[] buffer = new byte[4096];
        try {
            for (int n; (n = keys.read(buffer)) > 0; ) {
                session.write(Arrays.copyOf(buffer, n));
            }
        } catch (IOException | FlintException e) {
            // the keyboard or the command ended
        }
    }

    private static void followSize(TerminalSession session, int[] initial) {
        int[] last = initial;
        try {
            while (session.waitFor(java.time.Duration.ofMillis(SIZE_POLL_MS)).isEmpty()) {
                int[] now = HostTerminal.size(STDOUT).orElse(last);
                if (!Arrays.equals(now, last)) {
                    session.resize(now[0], now[1]);
                    last = now;
                }
            }
        } catch (FlintException e) {
            // the command ended
        }
    }
}
