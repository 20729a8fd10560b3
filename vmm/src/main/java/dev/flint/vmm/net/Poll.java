package dev.flint.vmm.net;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code poll(2)} bound through FFM for the network backends' own threads (libslirp hands out
 * its sockets one poll round at a time, which suits poll better than a long-lived epoll set).
 * Returns the ready count or {@code -errno}, with errno captured per calling thread like
 * {@link dev.flint.vmm.sys.Libc}. Not critical: it blocks.
 */
public final class Poll {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CALL_STATE_SEGMENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));
    private static final MethodHandle POLL = LINKER.downcallHandle(
            LINKER.defaultLookup().find("poll").orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol poll")),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
            Linker.Option.captureCallState("errno"));

    private Poll() {
    }

    /** {@code poll(fds, count, timeoutMillis)}: entries ready, 0 on timeout, or {@code -errno}. */
    public static int poll(MemorySegment fds, int count, int timeoutMillis) {
        try {
            MemorySegment state = CALL_STATE_SEGMENT.get();
            int rc = (int) POLL.invokeExact(state, fds, (long) count, timeoutMillis);
            return rc == -1 ? -(int) ERRNO.get(state, 0L) : rc;
        } catch (Throwable t) {
            throw new IllegalStateException("native call poll could not be made: " + t, t);
        }
    }
}
