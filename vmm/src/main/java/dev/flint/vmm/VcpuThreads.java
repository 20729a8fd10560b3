package dev.flint.vmm;

import java.util.ArrayList;
import java.util.List;

/**
 * The run loops of one VM's vCPUs, each on its own named platform thread. vCPU 0 boots at once;
 * the application processors block inside {@code KVM_RUN} (KVM keeps them in
 * {@code KVM_MP_STATE_UNINITIALIZED}) until the guest's INIT/SIPI reaches them through the
 * in-kernel local APIC, or until they are kicked.
 *
 * <p>They are stopped together (each one kicked, whether it runs guest code, sleeps in
 * {@code hlt} or still waits for its SIPI) and joined together, so a VM that closes leaves no
 * thread behind and closes no vCPU fd under a running loop.
 */
public final class VcpuThreads {
    private final List<Vcpu> vcpus;
    private final List<Thread> threads = new ArrayList<>();

    /** The run loops of {@code vcpus}, not yet started; the list is fixed from here on. */
    public VcpuThreads(List<Vcpu> vcpus) {
        this.vcpus = List.copyOf(vcpus);
    }

    /** Starts every vCPU on its thread, {@code flint-<vm>-vcpu<N>}. */
    public synchronized void start(String vmName) {
        if (!threads.isEmpty()) {
            throw new IllegalStateException("the vCPU threads of " + vmName + " were already started");
        }
        for (Vcpu vcpu : vcpus) {
            threads.add(vcpu.start(vmName));
        }
    }

    /**
     * Parks every vCPU outside {@code KVM_RUN} ({@link Vcpu#pause()}) and returns once each one
     * is parked or has ended: all are kicked first, then awaited, so they stop together.
     * Idempotent, safe from any thread; a paused VM can still be stopped.
     */
    public void pause() {
        vcpus.forEach(Vcpu::requestPause);
        vcpus.forEach(Vcpu::awaitParked);
    }

    /** Lets every paused vCPU run again; idempotent, safe from any thread. */
    public void resume() {
        vcpus.forEach(Vcpu::resume);
    }

    /** Asks every vCPU to stop and kicks it out of {@code KVM_RUN}; safe from any thread, vCPU threads included. */
    public void requestStop() {
        vcpus.forEach(Vcpu::requestStop);
    }

    /**
     * Waits for every started thread to end. Call after {@link #requestStop()}; an interrupt
     * does not cut the wait short (the fds must outlive the loops) but is kept for the caller.
     */
    public void join() {
        List<Thread> started;
        synchronized (this) {
            started = List.copyOf(threads);
        }
        boolean interrupted = false;
        for (Thread thread : started) {
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The vCPUs, in APIC id order. */
    public List<Vcpu> vcpus() {
        return vcpus;
    }

    /** The threads started so far, in APIC id order. */
    public synchronized List<Thread> threads() {
        return List.copyOf(threads);
    }
}
