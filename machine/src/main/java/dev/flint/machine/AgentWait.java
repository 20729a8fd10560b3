package dev.flint.machine;

import dev.flint.agent.AgentClient;
import dev.flint.vmm.VmExit;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;

/**
 * Waits for a booting guest's agent and connects to it: the agent signals once it listens
 * ({@link dev.flint.vmm.devices.GuestSignal#AGENT_LISTENING}), and the host connects then, once,
 * instead of polling a port that refuses until then. The wait ends at once when the VM ends
 * (a crash, or a stop during the boot), and at the boot deadline.
 */
final class AgentWait {
    /**
     * How often a guest whose agent never signals is tried anyway: an agent older than the signal
     * (a custom --initrd) is still reached, up to this much later. Also the longest pause after
     * a connect refused in spite of the signal.
     */
    static final Duration FALLBACK_PERIOD = Duration.ofSeconds(1);
    /**
     * The first pause after a connect refused in spite of the signal, doubled on each refusal up
     * to the fallback period: such a refusal is usually a moment's race (a restored guest's
     * listener not yet back), which a full period would turn into a second's wait.
     */
    static final Duration FIRST_RETRY = Duration.ofMillis(20);
    /** Each connect attempt waits at most this long, so a guest that died is noticed. */
    static final Duration CONNECT_ATTEMPT = Duration.ofSeconds(2);

    /** What the wait needs of the booting guest. */
    interface Guest {
        /** Waits at most {@code timeout}, less when the VM ends; whether the agent has signalled. */
        boolean awaitAgentListening(Duration timeout) throws InterruptedException;

        /** How the VM ended, or null while it runs. */
        VmExit exitIfEnded();

        /** One connect and hello: the stream waits at most {@code attempt}, the hello up to {@code hello}. */
        AgentClient connect(Duration attempt, Duration hello) throws IOException, InterruptedException;
    }

    private final String machine;
    private final ConsoleLog console;
    private final Duration fallbackPeriod;

    AgentWait(String machine, ConsoleLog console) {
        this(machine, console, FALLBACK_PERIOD);
    }

    AgentWait(String machine, ConsoleLog console, Duration fallbackPeriod) {
        this.machine = machine;
        this.console = console;
        this.fallbackPeriod = fallbackPeriod;
    }

    /** The agent of {@code guest}, reached by {@code start + bootTimeout} (System.nanoTime). */
    AgentClient connect(Guest guest, long start, Duration bootTimeout) {
        long deadline = start + bootTimeout.toNanos();
        IOException last = null;
        Duration retry = FIRST_RETRY;
        try {
            while (System.nanoTime() < deadline) {
                failIfEnded(guest);
                boolean listening = guest.awaitAgentListening(atMost(fallbackPeriod, deadline));
                failIfEnded(guest);
                if (System.nanoTime() >= deadline) {
                    break;
                }
                try {
                    return guest.connect(atMost(CONNECT_ATTEMPT, deadline), atMost(bootTimeout, deadline));
                } catch (ConnectException e) {
                    last = e;
                    if (listening) {   // else the wait above was the pause
                        Thread.sleep(atMost(retry, deadline));
                        retry = min(retry.multipliedBy(2), fallbackPeriod);
                    }
                } catch (IOException e) {
                    last = e;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentUnavailableException("interrupted while machine " + machine + " booted", e);
        }
        throw new AgentUnavailableException("the agent of machine " + machine + " did not answer within "
                + bootTimeout.toSeconds() + " s" + (last == null ? "" : " (" + last.getMessage() + ")")
                + "; give it a longer bootTimeout, or check the console:\n" + console.tail(20), last);
    }

    private void failIfEnded(Guest guest) {
        VmExit exit = guest.exitIfEnded();
        if (exit != null && GuestEnding.crashed(exit)) {
            throw new GuestCrashedException(GuestEnding.crashMessage(machine, exit, console));
        }
        if (exit != null) {
            throw new AgentUnavailableException("machine " + machine + " stopped while booting (" + exit
                    + "); last console lines:\n" + console.tail(GuestEnding.CONSOLE_LINES), null);
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** {@code limit}, or less when the deadline comes sooner; at least a nanosecond. */
    private static Duration atMost(Duration limit, long deadline) {
        return Duration.ofNanos(Math.max(1, Math.min(limit.toNanos(), deadline - System.nanoTime())));
    }
}
