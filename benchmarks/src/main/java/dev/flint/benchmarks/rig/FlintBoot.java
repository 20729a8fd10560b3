package dev.flint.benchmarks.rig;

import dev.flint.agent.AgentClient;
import dev.flint.virtio.mmio.VirtioMmioAttacher;
import dev.flint.virtio.rng.VirtioRng;
import dev.flint.virtio.vsock.VirtioVsock;
import dev.flint.vmm.BootTimeline;
import dev.flint.vmm.KvmHost;
import dev.flint.vmm.VirtualMachine;
import dev.flint.vmm.VmConfig;
import dev.flint.vmm.VmExit;
import dev.flint.vmm.VmmException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One boot of Flint's VMM to the agent's ready line, with the devices a Flint machine has
 * (virtio-vsock and virtio-rng on virtio-mmio), split by the VMM's own marks: host setup up to the
 * first KVM_RUN, kernel to the agent's boot marker (init running), init to the ready line. The VM
 * is stopped once the line is out.
 */
final class FlintBoot {
    private static final Duration POWER_OFF_TIMEOUT = Duration.ofSeconds(30);

    static final String READY = "flint-agent: ready";
    static final long GUEST_CID = 3;
    static final int AGENT_PORT = 1024;

    private FlintBoot() {
    }

    /**
     * Boots, hands the phases in nanoseconds (host_setup_ns, kernel_to_init_ns, init_to_ready_ns,
     * init_to_agent_listening_ns, start_to_ready_ns) to {@code onReady} while the guest still runs, then powers it off.
     */
    static void toReady(Path kernel, Path initrd, long memoryMb, String cmdline, OutputStream consoleCopy,
                        Consumer<Map<String, Long>> onReady) throws VmmException, InterruptedException {
        // The host check VirtualMachine.start repeats is then warm, so the clock below starts
        // within a fraction of a millisecond of the VM's own creation mark.
        KvmHost.local().requireLinuxGuests();
        ConsoleWatch console = new ConsoleWatch(READY, consoleCopy);
        VirtioVsock vsock = new VirtioVsock(GUEST_CID);
        VmConfig config = config(kernel, initrd, memoryMb, cmdline, console, vsock);
        long start = System.nanoTime();
        try (VirtualMachine vm = VirtualMachine.start(config)) {
            long startToReady = console.await(Duration.ofMinutes(5)) - start;
            long setup = vm.setupNanos();
            long marker = vm.bootMarkerNanos().orElseThrow(() -> new IllegalStateException(
                    "the guest never wrote Flint's boot marker; is the initramfs Flint's (./flint build)?"));
            Map<String, Long> phases = new LinkedHashMap<>();
            phases.put("host_setup_ns", setup);
            phases.put("kernel_to_init_ns", marker - setup);
            phases.put("init_to_ready_ns", startToReady - marker);
            // The agent's own signal, without the console line's trip through the serial port.
            phases.put("init_to_agent_listening_ns", vm.agentListeningNanos().orElseThrow(() -> new IllegalStateException(
                    "the guest's agent never signalled that it listens; is the initramfs current (./flint build)?")) - marker);
            phases.put("start_to_ready_ns", startToReady);
            phases.putAll(setupSteps(vm.timeline()));
            // Reported before the power-off: ending a VM has killed the JVM with the vCPU kick
            // signal (SIGRTMIN+6) in the rig; see RigBench.
            onReady.accept(phases);
            powerOff(vm, vsock);
        }
    }

    /** The key prefix of {@link #setupSteps}. */
    static final String SETUP_STEP = "setup.";

    /** Each host-setup step's own nanoseconds, keyed by {@link #stepKey}. */
    static Map<String, Long> setupSteps(BootTimeline timeline) {
        Map<String, Long> steps = new LinkedHashMap<>();
        long previous = 0;
        for (BootTimeline.Step step : timeline.steps()) {
            steps.merge(stepKey(step.name()), step.endNanos() - previous, Long::sum);
            previous = step.endNanos();
        }
        return steps;
    }

    /** "open /dev/kvm (links the libc bindings)" is {@code setup.open_dev_kvm_ns}: no remark, no space. */
    static String stepKey(String step) {
        String name = step.replaceAll("\\(.*\\)", "").strip().toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
        return SETUP_STEP + name + "_ns";
    }

    /**
     * The VM every Flint measurement here runs: 1 vCPU, {@code vsock} and a virtio-rng on
     * virtio-mmio, in that order (a restore attaches the same devices in the same order).
     */
    static VmConfig config(Path kernel, Path initrd, long memoryMb, String cmdline, OutputStream console,
                           VirtioVsock vsock) {
        return new VmConfig("bench", kernel, Optional.of(initrd), cmdline, memoryMb, 1, console,
                List.of(new VirtioMmioAttacher(vsock), new VirtioMmioAttacher(new VirtioRng())));
    }

    /**
     * Ends the VM the way Machine does, through the agent's POWER_OFF, so the vCPU leaves KVM_RUN
     * by itself rather than by a kick from another thread.
     */
    static void powerOff(VirtualMachine vm, VirtioVsock vsock) throws InterruptedException {
        try (AgentClient agent = AgentClient.connect(vsock.muxer().connect(AGENT_PORT, POWER_OFF_TIMEOUT),
                POWER_OFF_TIMEOUT)) {
            agent.powerOff();
            if (vm.awaitExit(POWER_OFF_TIMEOUT).reason() == VmExit.Reason.TIMEOUT) {
                throw new IllegalStateException("the guest did not power off within " + POWER_OFF_TIMEOUT.toSeconds()
                        + " s of the agent's POWER_OFF");
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not reach the agent to power the guest off: " + e.getMessage(), e);
        }
    }
}
