package dev.flint.vmm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * This process's own terminal, for an interactive session in a machine ({@code flint exec -it}):
 * whether a descriptor is one, its size, and raw mode (every key straight through, no echo, no
 * signals from Ctrl-C), restored by {@link Raw#close()}.
 */
public final class HostTerminal {
    private static final int TCSANOW = 0;
    private static final long TIOCGWINSZ = 0x5413;
    /** glibc's {@code struct termios} is 60 bytes; room to spare. */
    private static final long TERMIOS_BYTES = 128;

    private HostTerminal() {
    }

    /** A terminal in raw mode until closed, which puts its settings back as they were. */
    public static final class Raw implements AutoCloseable {
        private final int fd;
        private final MemorySegment saved;
        private boolean closed;

        private Raw(int fd, MemorySegment saved) {
            this.fd = fd;
            this.saved = saved;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                call(Calls.TCSETATTR, fd, TCSANOW, saved);
            }
        }
    }

    private static final class Calls {
        static final Linker LINKER = Linker.nativeLinker();
        static final MethodHandle ISATTY = bind("isatty", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle TCGETATTR = bind("tcgetattr", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        static final MethodHandle TCSETATTR = bind("tcsetattr", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        static final MethodHandle CFMAKERAW = bind("cfmakeraw", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle IOCTL = LINKER.downcallHandle(LINKER.defaultLookup().find("ioctl").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));

        private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
            return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor);
        }
    }

    public static boolean isTerminal(int fd) {
        try {
            return (int) Calls.ISATTY.invokeExact(fd) == 1;
        } catch (Throwable e) {
            throw new IllegalStateException("isatty", e);
        }
    }

    /** Rows and columns of terminal {@code fd}, if it is one that knows its size. */
    public static Optional<int[]> size(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment winsize = arena.allocate(8);
            int rc = (int) Calls.IOCTL.invokeExact(fd, TIOCGWINSZ, winsize);
            int rows = Short.toUnsignedInt(winsize.get(JAVA_SHORT, 0));
            int columns = Short.toUnsignedInt(winsize.get(JAVA_SHORT, 2));
            return rc == 0 && rows > 0 && columns > 0 ? Optional.of(new int[] {rows, columns}) : Optional.empty();
        } catch (Throwable e) {
            throw new IllegalStateException("ioctl(TIOCGWINSZ)", e);
        }
    }

    /** Puts terminal {@code fd} in raw mode; empty if it is not a terminal. */
    public static Optional<Raw> raw(int fd) {
        MemorySegment saved = Arena.global().allocate(TERMIOS_BYTES);
        if (call(Calls.TCGETATTR, fd, saved) != 0) {
            return Optional.empty();
        }
        MemorySegment raw = Arena.global().allocate(TERMIOS_BYTES);
        raw.copyFrom(saved);
        try {
            Calls.CFMAKERAW.invokeExact(raw);
        } catch (Throwable e) {
            throw new IllegalStateException("cfmakeraw", e);
        }
        if (call(Calls.TCSETATTR, fd, TCSANOW, raw) != 0) {
            return Optional.empty();
        }
        return Optional.of(new Raw(fd, saved));
    }

    private static int call(MethodHandle handle, int fd, MemorySegment termios) {
        try {
            return (int) handle.invokeExact(fd, termios);
        } catch (Throwable e) {
            throw new IllegalStateException("tcgetattr", e);
        }
    }

    private static int call(MethodHandle handle, int fd, int action, MemorySegment termios) {
        try {
            return (int) handle.invokeExact(fd, action, termios);
        } catch (Throwable e) {
            throw new IllegalStateException("tcsetattr", e);
        }
    }
}
