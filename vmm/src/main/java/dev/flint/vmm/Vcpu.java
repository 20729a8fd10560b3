package dev.flint.vmm;

import dev.flint.vmm.devices.Bus;
import dev.flint.vmm.kvm.KvmExit;
import dev.flint.vmm.kvm.KvmRun;
import dev.flint.vmm.kvm.VcpuFd;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One vCPU's run loop, on its own platform thread ({@code KVM_RUN} would pin a virtual thread's
 * carrier). It dispatches port and MMIO exits to the buses and reports the exit that ends the VM.
 *
 * <p>Kicking: the thread keeps {@link #KICK_SIGNAL} blocked, and tells KVM to unblock it only
 * inside {@code KVM_RUN}. A kick sets {@code immediate_exit} and sends the signal: a vCPU inside
 * {@code KVM_RUN} (even one sleeping in {@code hlt}) returns with EINTR, one about to enter
 * returns at once, and no signal handler ever runs; the pending signal is then taken with
 * {@code sigtimedwait}.
 *
 * <p>An application processor (any vCPU but 0, with the in-kernel irqchip) starts in
 * {@code KVM_MP_STATE_UNINITIALIZED}: its {@code KVM_RUN} sleeps in the kernel until the guest's
 * INIT/SIPI arrives, then returns EAGAIN and the loop enters again, now at the SIPI vector. An AP
 * that never gets its SIPI stays asleep there until a kick, which ends it with EINTR like any
 * other vCPU, so stopping a VM whose guest brought up fewer CPUs than it has needs nothing extra.
 *
 * <p>Pausing: {@link #pause()} kicks the vCPU and the loop parks on a monitor, outside
 * {@code KVM_RUN}, once a {@code KVM_RUN} has returned for the kick. That return is what makes
 * its state whole: KVM finishes the port or MMIO access of the last exit (an {@code in}'s
 * result lands in RAX) at the start of the next {@code KVM_RUN}, so a loop parked straight
 * after an exit would leave it half done in a snapshot. An AP still waiting for its SIPI is
 * kicked out of its wait and parks like the others.
 */
public final class Vcpu implements Runnable {
    /** SIGRTMIN + 6 under glibc: unused by HotSpot. */
    static final int KICK_SIGNAL = 40;

    private final VcpuFd fd;
    private final Bus pio;
    private final Bus mmio;
    private final Consumer<VmExit> onExit;
    private final Object kickLock = new Object();
    private volatile boolean stopRequested;
    private long thread;
    private boolean kickable;
    private volatile long kicksTaken;
    private long exits;
    /** Guards the pause state below; the loop parks on it. */
    private final Object pauseLock = new Object();
    private boolean pauseRequested;
    private boolean parked;
    private boolean launched;
    private boolean ended;
    private Thread loopThread;

    /** A vCPU whose ending exit goes to {@code onExit} (once, from the vCPU thread). */
    public Vcpu(VcpuFd fd, Bus pio, Bus mmio, Consumer<VmExit> onExit) {
        this.fd = fd;
        this.pio = pio;
        this.mmio = mmio;
        this.onExit = onExit;
    }

    /** Starts the run loop on a new platform thread named {@code flint-<vm>-vcpu<N>}. */
    public Thread start(String vmName) {
        synchronized (pauseLock) {
            launched = true;
        }
        return Thread.ofPlatform().name("flint-" + vmName + "-vcpu" + fd.id()).start(this);
    }

    /** Exits handled so far. */
    public long exitCount() {
        return exits;
    }

    @Override
    public void run() {
        synchronized (pauseLock) {
            launched = true;
            loopThread = Thread.currentThread();
        }
        VmExit exit;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment kick = Libc.sigset(arena, KICK_SIGNAL);
            MemorySegment noWait = arena.allocate(16, 8);
            try {
                prepareSignals(arena, kick);
                exit = loop(kick, noWait);
            } catch (ErrnoException | RuntimeException e) {
                exit = new VmExit(VmExit.Reason.CRASH, "vCPU " + fd.id() + ": " + e.getMessage());
            } finally {
                synchronized (kickLock) {
                    kickable = false;
                }
                // Kicks that came after the last KVM_RUN are still pending: take them all, or the
                // JVM's thread teardown could unblock one and its default action would end the
                // process. A real-time signal queues: two kicks (the guest's own power-off, then
                // the host's close) leave two.
                drainKicks(kick, noWait);
                synchronized (pauseLock) {
                    ended = true;
                    pauseLock.notifyAll();
                }
            }
        }
        onExit.accept(exit);
    }

    private void drainKicks(MemorySegment kick, MemorySegment noWait) {
        while (Libc.sigtimedwait(kick, noWait) == KICK_SIGNAL) {
            kicksTaken++;
        }
    }

    /** Kick signals this vCPU's thread has taken off its queue (each {@link #kick} while it runs sends one). */
    public long kicksTaken() {
        return kicksTaken;
    }

    private void prepareSignals(Arena arena, MemorySegment kick) throws ErrnoException {
        MemorySegment current = arena.allocate(Libc.SIGSET_BYTES, 8);
        ErrnoException.check("rt_sigprocmask(SIG_BLOCK, kick)", Libc.sigprocmask(Libc.SIG_BLOCK, kick, current));
        long runMask = current.get(JAVA_LONG, 0) & ~(1L << (KICK_SIGNAL - 1));
        fd.setSignalMask(runMask);
        synchronized (kickLock) {
            thread = Libc.threadId();
            kickable = true;
        }
    }

    private VmExit loop(MemorySegment kick, MemorySegment noWait) throws ErrnoException {
        KvmRun run = fd.runState();
        parkWhilePaused(); // Nothing of the guest's is half done before the first KVM_RUN.
        while (!stopRequested) {
            int reason = fd.run();
            exits++;
            switch (reason) {
                case KvmExit.IO -> handleIo(run);
                case KvmExit.MMIO -> handleMmio(run);
                case KvmExit.INTR -> {
                    run.setImmediateExit(false);
                    drainKicks(kick, noWait);
                    parkWhilePaused();
                }
                case KvmExit.HLT -> {
                    return new VmExit(VmExit.Reason.HALT, "vCPU " + fd.id() + " halted");
                }
                case KvmExit.SHUTDOWN -> {
                    return new VmExit(VmExit.Reason.CRASH, "vCPU " + fd.id() + " triple-faulted (KVM_EXIT_SHUTDOWN)");
                }
                case KvmExit.SYSTEM_EVENT -> {
                    return systemEvent(run.systemEventType());
                }
                case KvmExit.INTERNAL_ERROR -> {
                    return new VmExit(VmExit.Reason.CRASH, "KVM internal error, suberror " + run.internalErrorSuberror());
                }
                case KvmExit.FAIL_ENTRY -> {
                    return new VmExit(VmExit.Reason.CRASH, String.format(
                            "KVM could not enter the guest, hardware reason 0x%x", run.failEntryReason()));
                }
                default -> {
                    return new VmExit(VmExit.Reason.CRASH, "unexpected " + KvmExit.name(reason));
                }
            }
        }
        return new VmExit(VmExit.Reason.STOPPED, "");
    }

    private void handleIo(KvmRun run) {
        MemorySegment data = run.ioData();
        int size = run.ioSize();
        boolean in = run.ioDirection() == KvmExit.IO_IN;
        for (long at = 0; at < data.byteSize(); at += size) {
            MemorySegment item = data.asSlice(at, size);
            if (in) {
                pio.read(run.ioPort(), item);
            } else {
                pio.write(run.ioPort(), item);
            }
        }
    }

    private void handleMmio(KvmRun run) {
        if (run.mmioIsWrite()) {
            mmio.write(run.mmioPhysAddr(), run.mmioData());
        } else {
            mmio.read(run.mmioPhysAddr(), run.mmioData());
        }
    }

    private VmExit systemEvent(int type) {
        return switch (type) {
            case 1 -> new VmExit(VmExit.Reason.POWER_OFF, "guest shutdown event");
            case 2 -> new VmExit(VmExit.Reason.POWER_OFF, "guest reset event");
            default -> new VmExit(VmExit.Reason.CRASH, "guest system event " + type);
        };
    }

    /** Asks the loop to end: it returns {@link VmExit.Reason#STOPPED} unless another exit comes first; a paused loop ends too. */
    public void requestStop() {
        stopRequested = true;
        synchronized (pauseLock) {
            pauseLock.notifyAll();
        }
        kick();
    }

    /**
     * Stops the vCPU outside {@code KVM_RUN} and returns once its loop is parked, has ended or was
     * never started (one started later parks before it enters the guest). Idempotent and safe
     * from any thread; called on this vCPU's own thread (a device handler) it only asks, as the
     * loop parks once the handler returns.
     */
    public void pause() {
        requestPause();
        awaitParked();
    }

    /** Lets a paused vCPU run again; idempotent, safe from any thread. */
    public void resume() {
        synchronized (pauseLock) {
            pauseRequested = false;
            pauseLock.notifyAll();
        }
    }

    /** Whether the loop is parked by {@link #pause()} now. */
    public boolean parked() {
        synchronized (pauseLock) {
            return parked;
        }
    }

    /** The first half of {@link #pause()}: asks and kicks, without waiting. */
    void requestPause() {
        synchronized (pauseLock) {
            pauseRequested = true;
        }
        // After the flag: the loop checks it after clearing immediate_exit, so this kick is never lost.
        kick();
    }

    /** The second half of {@link #pause()}: waits until the loop parked or ended, or a resume withdrew the pause. */
    void awaitParked() {
        boolean interrupted = false;
        synchronized (pauseLock) {
            while (pauseRequested && launched && !parked && !ended && Thread.currentThread() != loopThread) {
                try {
                    pauseLock.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // The caller needs the vCPU parked before it reads its state.
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void parkWhilePaused() {
        synchronized (pauseLock) {
            if (!pauseRequested || stopRequested) {
                return;
            }
            parked = true;
            pauseLock.notifyAll();
            while (pauseRequested && !stopRequested) {
                try {
                    pauseLock.wait();
                } catch (InterruptedException e) {
                    // Nothing interrupts a vCPU thread on purpose; resume or stop ends the wait.
                }
            }
            parked = false;
        }
    }

    /** Makes the vCPU leave {@code KVM_RUN} now; harmless when it is not running. */
    public void kick() {
        synchronized (kickLock) {
            if (kickable) {
                fd.runState().setImmediateExit(true);
                Libc.signalThread(thread, KICK_SIGNAL);
            }
        }
    }
}
