package dev.flint.benchmarks.rig;

import dev.flint.virtio.mmio.VirtioMmioAttacher;
import dev.flint.virtio.rng.VirtioRng;
import dev.flint.virtio.vsock.VirtioVsock;
import dev.flint.vmm.KvmHost;
import dev.flint.vmm.VirtualMachine;
import dev.flint.vmm.VmConfig;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Flint side of a cold boot, run by {@link RigBench} as a fresh JVM each time: boots the guest
 * with the devices a Flint machine has (virtio-vsock and virtio-rng on virtio-mmio), copies the
 * console to stdout, and once the agent's ready line is out prints the VMM's own split of the
 * boot as one {@link KeyValueLine}, then stops the VM and exits.
 *
 * <p>Usage: {@code FlintColdBoot KERNEL INITRD MEMORY_MB CMDLINE}
 */
public final class FlintColdBoot {
    static final String PHASES = "rig-bench-phases";
    static final String READY = "flint-agent: ready";
    static final long GUEST_CID = 3;

    private FlintColdBoot() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: FlintColdBoot KERNEL INITRD MEMORY_MB CMDLINE");
            System.exit(2);
        }
        // The host check VirtualMachine.start repeats is then warm, so the clock below starts
        // within a fraction of a millisecond of the VM's own creation mark.
        KvmHost.local().requireLinuxGuests();
        ConsoleWatch console = new ConsoleWatch(READY, new FileOutputStream(FileDescriptor.out));
        VmConfig config = new VmConfig("bench", Path.of(args[0]), Optional.of(Path.of(args[1])), args[3],
                Long.parseLong(args[2]), 1, console,
                List.of(new VirtioMmioAttacher(new VirtioVsock(GUEST_CID)), new VirtioMmioAttacher(new VirtioRng())));
        long start = System.nanoTime();
        try (VirtualMachine vm = VirtualMachine.start(config)) {
            long readyAt = console.await(Duration.ofMinutes(5));
            long startToReady = readyAt - start;
            long setup = vm.setupNanos();
            long marker = vm.bootMarkerNanos().orElseThrow(() -> new IllegalStateException(
                    "the guest never wrote Flint's boot marker; is the initramfs Flint's (./flint build)?"));
            Map<String, Long> phases = new LinkedHashMap<>();
            phases.put("host_setup_ns", setup);
            phases.put("kernel_to_init_ns", marker - setup);
            phases.put("init_to_ready_ns", startToReady - marker);
            phases.put("start_to_ready_ns", startToReady);
            phases.put("rss_kib", WatchedProcess.residentKib(Path.of("/proc/self/status")));
            System.out.println(KeyValueLine.format(PHASES, phases));
            System.out.flush();
            vm.stop();
        }
        System.exit(0);
    }
}
