package dev.flint.examples;

import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.NetworkPolicy;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Sets a machine up once, then forks it: each clone runs on from the parent's memory (copy on
 * write), with the parent's files, and what a clone writes stays its own.
 */
public final class Fork {
    private Fork() {
    }

    public static void main(String[] args) {
        MachineConfig config = MachineConfig.builder()
                .name("fork-" + ProcessHandle.current().pid())
                .network(NetworkPolicy.none())
                .build();
        try (Machine parent = Machine.create(config)) {
            parent.files().write("/tmp/setup.txt", "made before the fork\n".getBytes(StandardCharsets.UTF_8));

            // The parent pauses while it is saved, then runs on; the clones are ours to delete.
            List<Machine> clones = parent.fork(2);
            try {
                for (Machine clone : clones) {
                    clone.exec(List.of("sh", "-c", "echo $(hostname) > /tmp/mine.txt")).assertSuccess();
                }
                for (Machine clone : clones) {
                    String seen = clone.exec(List.of("sh", "-c", "hostname; cat /tmp/setup.txt /tmp/mine.txt"))
                            .assertSuccess().stdout();
                    System.out.print(seen);
                    if (!seen.equals(clone.name() + "\nmade before the fork\n" + clone.name() + "\n")) {
                        throw new IllegalStateException("clone " + clone.name() + " saw " + seen.strip().replace('\n', '|')
                                + ": expected its own hostname, the parent's file and its own file");
                    }
                }
                // The parent never saw what the clones wrote.
                if (parent.exec(List.of("test", "-e", "/tmp/mine.txt")).success()) {
                    throw new IllegalStateException("a clone's write reached the parent's /tmp/mine.txt");
                }
                System.out.println("forked " + parent.name() + " into " + clones.size() + " clones");
            } finally {
                clones.forEach(Machine::close);
            }
        }
    }
}
