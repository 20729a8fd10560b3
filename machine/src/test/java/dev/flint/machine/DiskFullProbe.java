package dev.flint.machine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The disk-full fault, run by {@link SoakE2EIT} inside the rig: one machine whose extra disk
 * is an ext4 image on a host file system smaller than the image. The guest writes a file
 * until the host runs out of space, then each later step is its own exec, so the agent and the
 * machine are seen to survive: the write's error, a file written before it read back after a
 * remount, the machine's state. It prints {@code key=value} lines; the test judges them.
 * Arguments: the image, the guest memory in MiB.
 */
final class DiskFullProbe {
    private DiskFullProbe() {
    }

    public static void main(String[] args) {
        Path image = Path.of(args[0]);
        MachineConfig config = MachineConfig.builder().name("disk-full").memoryMb(Integer.parseInt(args[1]))
                .network(NetworkPolicy.none()).disk(image, false).bootTimeout(Duration.ofMinutes(5)).build();
        ExecOptions options = ExecOptions.builder().timeout(Duration.ofMinutes(5)).build();
        try (Machine machine = Machine.create(config)) {
            step(machine, options, "mount", "mkdir -p /d && mount -t ext4 /dev/vda /d"
                    + " && head -c 1048576 /dev/urandom > /d/keep && sync && sha256sum /d/keep | cut -c1-64");
            // O_DIRECT: the host's error reaches dd itself, not only the guest's page cache.
            step(machine, options, "fill", "dd if=/dev/zero of=/d/fill bs=1M count=256 oflag=direct");
            step(machine, options, "after", "rm /d/fill && sync && umount /d && mount -t ext4 /dev/vda /d"
                    + " && sha256sum /d/keep | cut -c1-64 && umount /d");
            step(machine, options, "alive", "echo still-answering");
            System.out.println("state=" + machine.status());
            machine.stop();
            System.out.println("stopped=" + machine.status());
        }
    }

    private static void step(Machine machine, ExecOptions options, String name, String script) {
        ExecResult result = machine.exec(List.of("sh", "-c", script + " 2>&1"), options);
        System.out.println(name + "-exit=" + result.exitCode());
        result.stdout().lines().forEach(line -> System.out.println(name + ": " + line));
    }
}
