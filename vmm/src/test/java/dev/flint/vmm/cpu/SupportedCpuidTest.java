package dev.flint.vmm.cpu;

import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.ErrnoException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SupportedCpuidTest {
    private static final List<CpuidEntry> LEAVES = List.of(new CpuidEntry(0, 0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65),
            new CpuidEntry(1, 0, 0, 0xa20f10, 0, 0, 0));

    @Test
    void asksOnceForManyVmsStartingTogether() throws Exception {
        SupportedCpuid cpuid = new SupportedCpuid();
        AtomicInteger asked = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        SupportedCpuid.Query slowQuery = () -> {
            asked.incrementAndGet();
            try {
                Thread.sleep(50);   // the others arrive while the first still asks
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return new ArrayList<>(LEAVES);
        };
        List<Future<List<CpuidEntry>>> answers = new ArrayList<>();
        try (ExecutorService vms = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 8; i++) {
                answers.add(vms.submit(() -> {
                    start.await();
                    return cpuid.get(slowQuery);
                }));
            }
            start.countDown();
            for (Future<List<CpuidEntry>> answer : answers) {
                assertSame(answers.getFirst().get(), answer.get(), "every VM gets the one answer");
            }
        }
        assertEquals(1, asked.get(), "KVM_GET_SUPPORTED_CPUID is asked once");
        assertEquals(LEAVES, answers.getFirst().get());
        assertThrows(UnsupportedOperationException.class, () -> answers.getFirst().get().clear(),
                "the kept leaves cannot be changed by one VM for the next");
    }

    @Test
    void aFailureIsNotKept() throws Exception {
        SupportedCpuid cpuid = new SupportedCpuid();
        assertThrows(ErrnoException.class, () -> cpuid.get(() -> {
            throw new ErrnoException("ioctl(KVM_GET_SUPPORTED_CPUID)", Errno.E2BIG);
        }));
        assertEquals(LEAVES, cpuid.get(() -> LEAVES));
        assertEquals(LEAVES, cpuid.get(() -> {
            throw new AssertionError("asked again after an answer");
        }));
    }

    @Test
    void offersTheTscDeadlineTimerInLeafOneOnlyWhereKvmEmulatesIt() {
        List<CpuidEntry> offered = SupportedCpuid.withTscDeadline(LEAVES, true);
        assertEquals(SupportedCpuid.ECX_TSC_DEADLINE, offered.get(1).ecx());
        assertEquals(LEAVES.getFirst(), offered.getFirst(), "the other leaves stay as KVM gave them");
        assertSame(LEAVES, SupportedCpuid.withTscDeadline(LEAVES, false));
    }
}
