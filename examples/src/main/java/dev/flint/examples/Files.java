package dev.flint.examples;

import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.MachineFiles;
import dev.flint.machine.NetworkPolicy;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Writes a file into a machine, sorts it there with {@code sort}, and reads the result back out. */
public final class Files {
    private Files() {
    }

    public static void main(String[] args) {
        MachineConfig config = MachineConfig.builder()
                .name("files-" + ProcessHandle.current().pid())
                .network(NetworkPolicy.none())      // no network device: this example needs none
                .build();
        try (Machine m = Machine.create(config)) {
            // Files move through the agent: no process is started for them.
            MachineFiles files = m.files();
            files.mkdirs("/tmp/work");
            files.write("/tmp/work/fruit.txt", "cherry\napple\nbanana\n".getBytes(StandardCharsets.UTF_8));

            m.exec(List.of("sh", "-c", "sort /tmp/work/fruit.txt > /tmp/work/sorted.txt")).assertSuccess();

            String sorted = new String(files.read("/tmp/work/sorted.txt"), StandardCharsets.UTF_8);
            System.out.print(sorted);
            System.out.println(files.stat("/tmp/work/sorted.txt").size() + " bytes in /tmp/work/sorted.txt");
            if (!sorted.equals("apple\nbanana\ncherry\n")) {
                throw new IllegalStateException("sort in the guest gave " + sorted.strip().replace('\n', ' ')
                        + ", expected apple banana cherry");
            }
        }
    }
}
