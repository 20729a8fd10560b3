package dev.flint.vmm.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one syscall(2) handle behind Libc and LibcFs: results, errno, and the calls glibc wrapped differently. */
class SyscallTest {
    /** A real-time signal no one else in the test JVM uses. */
    private static final int SIGNAL = 50;

    @Test
    void aFailedCallIsMinusErrno() {
        assertEquals(-Errno.EBADF, Libc.close(-1));
        assertEquals(-Errno.ENOENT, Libc.open("/no/such/file", Libc.O_RDONLY));
    }

    @Test
    void aHeapSegmentIsRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Libc.read(0, MemorySegment.ofArray(new byte[8])));
        assertTrue(e.getMessage().contains("native memory"), e.getMessage());
    }

    @Test
    void aSignalSentToThisThreadIsBlockedThenTakenBySigtimedwait() {
        // The vCPU kick's path: gettid, rt_sigprocmask, tgkill, rt_sigtimedwait (the kernel's 8-byte sigset).
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = Libc.sigset(arena, SIGNAL);
            MemorySegment old = arena.allocate(Libc.SIGSET_BYTES, 8);
            assertEquals(0, Libc.sigprocmask(Libc.SIG_BLOCK, set, old));
            try {
                MemorySegment now = arena.allocate(Libc.SIGSET_BYTES, 8);
                assertEquals(0, Libc.sigprocmask(Libc.SIG_BLOCK, MemorySegment.NULL, now));
                assertEquals(1L << (SIGNAL - 1), now.get(JAVA_LONG, 0) & (1L << (SIGNAL - 1)), "blocked");
                MemorySegment noWait = arena.allocate(JAVA_LONG, 2);
                assertEquals(-Errno.EAGAIN, Libc.sigtimedwait(set, noWait), "nothing pending yet");
                assertEquals(0, Libc.signalThread(Libc.threadId(), SIGNAL));
                assertEquals(SIGNAL, Libc.sigtimedwait(set, noWait));
            } finally {
                Libc.sigprocmask(Libc.SIG_UNBLOCK, set, MemorySegment.NULL);
            }
        }
    }

    @Test
    void aDeviceNumberWiderThanTheKernelsIsInvalid() {
        assertEquals(-Errno.EINVAL, LibcFs.mknodat(LibcFs.AT_FDCWD, "/nonexistent/x", 0, 1L << 40));
    }
}
