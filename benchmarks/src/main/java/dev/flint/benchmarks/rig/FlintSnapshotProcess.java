package dev.flint.benchmarks.rig;

import dev.flint.agent.AgentClient;
import dev.flint.agent.ExecRequest;
import dev.flint.agent.ProcessResult;
import dev.flint.virtio.vsock.VirtioVsock;
import dev.flint.vmm.VirtualMachine;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Flint's VMM snapshot in a fresh JVM, run by {@link FlintRestore} as a child process:
 * {@code save} boots the {@link FlintBoot} VM to the ready line, pauses it and writes its snapshot
 * to DIR; {@code restore} restores that snapshot ({@link VirtualMachine#restore}) with the same
 * devices, waits for the agent's HELLO over Flint's vsock, prints {@link #RESTORED} as a
 * {@link KeyValueLine} (the parent times the process start to that line), checks one exec and
 * powers the guest off.
 *
 * <p>Usage: {@code FlintSnapshotProcess save|restore DIR KERNEL INITRD MEMORY_MB CMDLINE}
 */
public final class FlintSnapshotProcess {
    static final String SAVED = "rig-bench-saved";
    static final String RESTORED = "rig-bench-restored";
    /** The first line a child prints: its JVM is up (a hang after it is the restore's, not the JVM start's). */
    static final String STARTED = "rig-bench-child-started";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private FlintSnapshotProcess() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6 || !(args[0].equals("save") || args[0].equals("restore"))) {
            System.err.println("usage: FlintSnapshotProcess save|restore DIR KERNEL INITRD MEMORY_MB CMDLINE");
            System.exit(2);
        }
        System.out.println(STARTED);
        System.out.flush();
        Path dir = Path.of(args[1]);
        Path kernel = Path.of(args[2]);
        Path initrd = Path.of(args[3]);
        long memoryMb = Long.parseLong(args[4]);
        FileOutputStream stdout = new FileOutputStream(FileDescriptor.out);
        if (args[0].equals("save")) {
            ConsoleWatch console = new ConsoleWatch(FlintBoot.READY, stdout);
            VirtualMachine vm = VirtualMachine.start(FlintBoot.config(kernel, initrd, memoryMb, args[5], console,
                    new VirtioVsock(FlintBoot.GUEST_CID)));
            console.await(TIMEOUT);
            vm.pause();
            vm.snapshot(dir);
            System.out.println(SAVED);
        } else {
            restore(dir, kernel, initrd, memoryMb, args[5], stdout);
        }
        // Not closed: ending a VM has killed the JVM with the vCPU kick signal in the rig (see RigBench).
        System.out.flush();
        System.exit(0);
    }

    private static void restore(Path dir, Path kernel, Path initrd, long memoryMb, String cmdline, FileOutputStream stdout)
            throws Exception {
        long start = System.nanoTime();
        VirtioVsock vsock = new VirtioVsock(FlintBoot.GUEST_CID);
        VirtualMachine vm = VirtualMachine.restore(FlintBoot.config(kernel, initrd, memoryMb, cmdline, stdout, vsock), dir);
        long restored = System.nanoTime() - start;
        try (AgentClient agent = AgentClient.connect(vsock.muxer().connect(FlintBoot.AGENT_PORT, TIMEOUT), TIMEOUT)) {
            long ready = System.nanoTime() - start;
            Map<String, Long> line = new LinkedHashMap<>();
            line.put("restore_ns", restored);
            line.put("restore_to_ready_ns", ready);
            System.out.println(KeyValueLine.format(RESTORED, line));
            System.out.flush();
            // A check that the restored guest runs commands; its latency is timed in the warm JVM.
            ProcessResult result = agent.exec(ExecRequest.builder(RigBench.TRUE).build());
            if (result.exitCode() != 0) {
                throw new IllegalStateException("exec(true) after Flint's restore exited " + result.exitCode());
            }
        }
        FlintBoot.powerOff(vm, vsock);
    }
}
