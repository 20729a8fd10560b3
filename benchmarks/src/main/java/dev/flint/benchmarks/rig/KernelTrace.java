package dev.flint.benchmarks.rig;

import dev.flint.agent.AgentClient;
import dev.flint.agent.ExecRequest;
import dev.flint.kernel.GuestImages;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.NetworkPolicy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where the guest kernel spends its boot, on Flint and on QEMU microvm with the same kernel and
 * command line plus {@code initcall_debug printk.time=1}: boots QEMU once and Flint twice and
 * prints each guest's dmesg (then its interrupt counts, CPU flags and command line), each line
 * prefixed by its side ({@code qemu| }, {@code flint-cold| } for Flint's first boot in this JVM,
 * {@code flint| } for its second), to compare the timelines: which initcall, or which gap
 * between two messages, is slower on which side.
 * Run inside the nested rig: {@code KernelTrace QEMU_BINARY}.
 */
public final class KernelTrace {
    static final String TRACE_ARGS = "initcall_debug printk.time=1";
    /** The kernel's log, then what else differs between the two guests: interrupts taken, CPU flags, command line. */
    private static final List<String> REPORT = List.of("sh", "-c",
            "dmesg; cat /proc/interrupts; grep -m1 '^flags' /proc/cpuinfo; cat /proc/cmdline");

    private KernelTrace() {
    }

    public static void main(String[] args) throws Exception {
        GuestImages.Images images = GuestImages.locate();
        Path qemu = Path.of(args[0]);
        String cmdline = RigBench.CMDLINE + " " + TRACE_ARGS;
        QemuMicrovm peer = new QemuMicrovm(qemu, images.vmlinux(), images.initramfs(), cmdline, 256, 1,
                OptionalLong.of(FlintBoot.GUEST_CID));
        try (WatchedProcess process = WatchedProcess.start(peer.command())) {
            process.await(line -> line.contains(FlintBoot.READY), "QEMU's guest's ready line", Duration.ofMinutes(5));
            try (AgentClient agent = RigBench.connectOverVsock()) {
                print("qemu", agent.exec(ExecRequest.builder(REPORT).build()).stdoutText());
            }
        }
        // Twice: the first boot runs while this JVM still loads and compiles Flint's code, the
        // second in a warm JVM; the difference is what the JVM's warm-up costs the guest.
        for (String side : List.of("flint-cold", "flint")) {
            try (Machine machine = Machine.create(MachineConfig.builder().name(side).cpus(1).memoryMb(256)
                    .network(NetworkPolicy.none()).bootArgs(TRACE_ARGS).bootTimeout(Duration.ofMinutes(5)).build())) {
                print(side, machine.exec(REPORT).stdout());
            }
        }
    }

    private static void print(String side, String dmesg) {
        for (String line : dmesg.split("\n")) {
            System.out.println(side + "| " + line);
        }
    }
}
