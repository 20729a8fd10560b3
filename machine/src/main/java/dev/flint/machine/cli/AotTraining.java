package dev.flint.machine.cli;

import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleReader;
import java.lang.module.ResolvedModule;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code flint __aot-train}: the workload the launcher runs once under {@code -XX:AOTCacheOutput}
 * so the JVM's AOT cache (JEP 483/514/515) holds the classes, linkage and profiles of a real start.
 *
 * <p>It runs the CLI paths of the common commands, then loads (without initializing) every class
 * of Flint's own modules. {@code run -- true} is the real thing: on a host whose KVM boots Linux it
 * is a whole {@code Machine.create}, {@code exec(["true"])} and close; elsewhere (PVM, no
 * {@code /dev/kvm}) it stops at the host check, and the class loading below puts the classes past
 * that point (devices, vCPU loop, agent client) in the cache all the same, though without profiles.
 * It leaves nothing behind: no server is reached, no image store is touched, and the machine of
 * {@code run -- true} is deleted when its command ends.
 */
@Command(name = Flint.AOT_TRAINING, hidden = true, description = "the launcher's AOT cache training run")
final class AotTraining implements FlintCommand {
    /** Commands whose help is printed: parsing and usage text of each. */
    private static final List<String> COMMANDS = List.of("run", "boot", "doctor", "overhead", "soak", "serve",
            "pull", "images", "create", "ls", "info", "exec", "shell", "logs", "start", "stop", "snapshot",
            "fork", "template", "pool");

    private final CliContext context;

    AotTraining(CliContext context) {
        this.context = context;
    }

    @Override
    public int run() throws InterruptedException {
        PrintStream err = context.err();
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        Map<String, String> noServer = Map.of(AutoServer.SWITCH, "0");   // training starts no server
        Flint.run(List.of("--help"), quiet, quiet, noServer);
        for (String command : COMMANDS) {
            Flint.run(List.of(command, "--help"), quiet, quiet, noServer);
        }
        // Option parsing and config validation, with no server to reach (exit 4) or a bad value (exit 2).
        Flint.run(List.of("create", "web-1", "--cpus", "2", "--memory-mb", "256"), quiet, quiet, noServer);
        Flint.run(List.of("exec", "web-1", "--", "true"), quiet, quiet, noServer);
        Flint.run(List.of("run", "--memory-mb", "1", "--", "true"), quiet, quiet, noServer);
        int run = Flint.run(List.of("run", "--", "true"), quiet, quiet, noServer);
        int loaded = loadFlintClasses();
        err.println("flint: AOT training: 'run -- true' exited " + run + "; " + loaded + " classes of Flint's modules loaded");
        return 0;
    }

    /** Loads every class of the dev.flint modules in the boot layer, without running their initializers. */
    private static int loadFlintClasses() {
        int loaded = 0;
        for (ResolvedModule module : ModuleLayer.boot().configuration().modules()) {
            if (!module.name().startsWith("dev.flint.")) {
                continue;
            }
            ClassLoader loader = ModuleLayer.boot().findLoader(module.name());
            for (String name : classNames(module)) {
                try {
                    Class.forName(name, false, loader);
                    loaded++;
                } catch (ClassNotFoundException | LinkageError e) {
                    // A class needing an absent optional dependency: the cache simply goes without it.
                }
            }
        }
        return loaded;
    }

    private static List<String> classNames(ResolvedModule module) {
        try (ModuleReader reader = module.reference().open(); Stream<String> entries = reader.list()) {
            return entries.filter(e -> e.endsWith(".class") && !e.endsWith("module-info.class") && !e.startsWith("META-INF/"))
                    .map(e -> e.substring(0, e.length() - ".class".length()).replace('/', '.'))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the classes of module " + module.name(), e);
        }
    }
}
