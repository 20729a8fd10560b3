package dev.flint.vmm.net;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Optional;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The libslirp 4.x calls Flint makes, bound by hand through FFM from {@code libslirp.so.0}.
 *
 * <p>The library is looked up once, when this class initialises; when it is missing every call
 * throws {@link SlirpUnavailableException} naming the Debian package to install, and
 * {@link #unavailableReason()} lets callers (and tests) check first. libslirp is not
 * thread-safe: callers serialise all calls on one {@code Slirp*} ({@link SlirpStack} does).
 */
public final class LibSlirp {
    /** The soname Debian 12's {@code libslirp0} (libslirp 4.7) installs. */
    public static final String LIBRARY = "libslirp.so.0";
    public static final int POLL_IN = 1;
    public static final int POLL_OUT = 2;
    public static final int POLL_PRI = 4;
    public static final int POLL_ERR = 8;
    public static final int POLL_HUP = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CALL_STATE_SEGMENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private static final Throwable LOAD_FAILURE;
    private static final SymbolLookup LOOKUP;

    static {
        SymbolLookup lookup = null;
        Throwable failure = null;
        try {
            lookup = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        } catch (IllegalArgumentException | IllegalCallerException e) {
            failure = e;
        }
        LOOKUP = lookup;
        LOAD_FAILURE = failure;
    }

    private static final MethodHandle SLIRP_NEW = bind("slirp_new",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS), false);
    private static final MethodHandle SLIRP_CLEANUP = bind("slirp_cleanup",
            FunctionDescriptor.ofVoid(ADDRESS), false);
    private static final MethodHandle SLIRP_POLLFDS_FILL = bind("slirp_pollfds_fill",
            FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS), false);
    private static final MethodHandle SLIRP_POLLFDS_POLL = bind("slirp_pollfds_poll",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS, ADDRESS), false);
    private static final MethodHandle SLIRP_INPUT = bind("slirp_input",
            FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT), false);
    private static final MethodHandle SLIRP_HANDLE_TIMER = bind("slirp_handle_timer",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS), false);
    // struct in_addr is passed by value: declared as the one-u32 struct it is.
    private static final MethodHandle SLIRP_ADD_HOSTFWD = bind("slirp_add_hostfwd",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, SlirpConfigStruct.IN_ADDR, JAVA_INT,
                    SlirpConfigStruct.IN_ADDR, JAVA_INT), true);
    private static final MethodHandle SLIRP_REMOVE_HOSTFWD = bind("slirp_remove_hostfwd",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, SlirpConfigStruct.IN_ADDR, JAVA_INT), false);
    private static final MethodHandle SLIRP_VERSION_STRING = bind("slirp_version_string",
            FunctionDescriptor.of(ADDRESS), false);

    private LibSlirp() {
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, boolean captureErrno) {
        if (LOOKUP == null) {
            return null;
        }
        MemorySegment symbol = LOOKUP.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError(LIBRARY + " has no symbol " + name
                        + "; Flint needs libslirp 4.x (Debian 12: libslirp0 4.7)"));
        return captureErrno ? LINKER.downcallHandle(symbol, descriptor, Linker.Option.captureCallState("errno"))
                : LINKER.downcallHandle(symbol, descriptor);
    }

    /** Why libslirp cannot be used on this host, or empty when it loaded. */
    public static Optional<String> unavailableReason() {
        return LOAD_FAILURE == null ? Optional.empty() : Optional.of(unavailableMessage());
    }

    private static String unavailableMessage() {
        return "user-mode networking needs " + LIBRARY + ", which could not be loaded (" + LOAD_FAILURE.getMessage()
                + "); install the Debian package libslirp0 (apt-get install libslirp0), or use a TAP backend";
    }

    /** Throws when the library is missing, so no call reaches a null handle. */
    public static void requireAvailable() throws SlirpUnavailableException {
        if (LOAD_FAILURE != null) {
            throw new SlirpUnavailableException(unavailableMessage(), LOAD_FAILURE);
        }
    }

    /** {@code slirp_version_string()}, e.g. {@code 4.7.0}. */
    public static String versionString() throws SlirpUnavailableException {
        requireAvailable();
        try {
            MemorySegment version = (MemorySegment) SLIRP_VERSION_STRING.invokeExact();
            return version.reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw linkageFailure("slirp_version_string", t);
        }
    }

    /** {@code slirp_new(cfg, callbacks, opaque)}: the stack, or NULL when libslirp rejected the config. */
    static MemorySegment slirpNew(MemorySegment config, MemorySegment callbacks, MemorySegment opaque) {
        try {
            return (MemorySegment) SLIRP_NEW.invokeExact(config, callbacks, opaque);
        } catch (Throwable t) {
            throw linkageFailure("slirp_new", t);
        }
    }

    static void slirpCleanup(MemorySegment slirp) {
        try {
            SLIRP_CLEANUP.invokeExact(slirp);
        } catch (Throwable t) {
            throw linkageFailure("slirp_cleanup", t);
        }
    }

    /** {@code slirp_pollfds_fill}: {@code timeout} points at a u32 of milliseconds slirp may lower. */
    static void pollfdsFill(MemorySegment slirp, MemorySegment timeout, MemorySegment addPoll, MemorySegment opaque) {
        try {
            SLIRP_POLLFDS_FILL.invokeExact(slirp, timeout, addPoll, opaque);
        } catch (Throwable t) {
            throw linkageFailure("slirp_pollfds_fill", t);
        }
    }

    static void pollfdsPoll(MemorySegment slirp, boolean pollFailed, MemorySegment getRevents, MemorySegment opaque) {
        try {
            SLIRP_POLLFDS_POLL.invokeExact(slirp, pollFailed ? 1 : 0, getRevents, opaque);
        } catch (Throwable t) {
            throw linkageFailure("slirp_pollfds_poll", t);
        }
    }

    static void input(MemorySegment slirp, MemorySegment frame, int length) {
        try {
            SLIRP_INPUT.invokeExact(slirp, frame, length);
        } catch (Throwable t) {
            throw linkageFailure("slirp_input", t);
        }
    }

    static void handleTimer(MemorySegment slirp, int timerId, MemorySegment callbackOpaque) {
        try {
            SLIRP_HANDLE_TIMER.invokeExact(slirp, timerId, callbackOpaque);
        } catch (Throwable t) {
            throw linkageFailure("slirp_handle_timer", t);
        }
    }

    /**
     * {@code slirp_add_hostfwd}: 0, or {@code -errno} when it failed (libslirp reports a bind
     * failure as -1 with errno from {@code bind}; {@code -EINVAL} stands in when errno is 0).
     */
    static int addHostForward(MemorySegment slirp, boolean udp, MemorySegment hostAddress, int hostPort,
                              MemorySegment guestAddress, int guestPort) {
        try {
            MemorySegment state = CALL_STATE_SEGMENT.get();
            int rc = (int) SLIRP_ADD_HOSTFWD.invokeExact(state, slirp, udp ? 1 : 0, hostAddress, hostPort,
                    guestAddress, guestPort);
            if (rc == 0) {
                return 0;
            }
            int errno = (int) ERRNO.get(state, 0L);
            return errno == 0 ? -dev.flint.vmm.sys.Errno.EINVAL : -errno;
        } catch (Throwable t) {
            throw linkageFailure("slirp_add_hostfwd", t);
        }
    }

    static int removeHostForward(MemorySegment slirp, boolean udp, MemorySegment hostAddress, int hostPort) {
        try {
            return (int) SLIRP_REMOVE_HOSTFWD.invokeExact(slirp, udp ? 1 : 0, hostAddress, hostPort);
        } catch (Throwable t) {
            throw linkageFailure("slirp_remove_hostfwd", t);
        }
    }

    private static IllegalStateException linkageFailure(String call, Throwable t) {
        return new IllegalStateException("native call " + call + " could not be made: " + t, t);
    }
}
