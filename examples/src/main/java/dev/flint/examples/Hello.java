package dev.flint.examples;

import dev.flint.machine.ExecResult;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;

import java.util.List;

/** Boots a machine, runs {@code uname -a} in it and prints what it said. */
public final class Hello {
    private Hello() {
    }

    public static void main(String[] args) {
        // Names are unique per host: the pid keeps two runs at once apart.
        MachineConfig config = MachineConfig.builder()
                .name("hello-" + ProcessHandle.current().pid())
                .cpus(1)
                .memoryMb(256)
                .build();
        // create returns once the guest's agent answered; close() deletes the machine.
        try (Machine m = Machine.create(config)) {
            ExecResult uname = m.exec(List.of("uname", "-a")).assertSuccess();
            System.out.print(uname.stdout());
            System.out.println("machine " + m.name() + " (" + m.id() + ") booted in "
                    + m.bootDuration().toMillis() + " ms");
        }
    }
}
