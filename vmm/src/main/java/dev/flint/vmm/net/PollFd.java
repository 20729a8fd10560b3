package dev.flint.vmm.net;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** {@code struct pollfd} from poll.h: {@code int fd; short events; short revents;}, with flyweight accessors over an array of them. */
public final class PollFd {
    public static final short POLLIN = 0x001;
    public static final short POLLPRI = 0x002;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents"));
    public static final long SIZE = LAYOUT.byteSize();

    private PollFd() {
    }

    /** Sets entry {@code index} of the array {@code fds} to wait for {@code events} on {@code fd}. */
    public static void set(MemorySegment fds, int index, int fd, int events) {
        long at = index * SIZE;
        fds.set(JAVA_INT, at, fd);
        fds.set(JAVA_SHORT, at + 4, (short) events);
        fds.set(JAVA_SHORT, at + 6, (short) 0);
    }

    /** The events poll reported for entry {@code index}. */
    public static int revents(MemorySegment fds, int index) {
        return Short.toUnsignedInt(fds.get(JAVA_SHORT, index * SIZE + 6));
    }
}
