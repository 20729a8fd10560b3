package dev.flint.virtio.fs;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.mmio.VirtioMmioAttacher;
import dev.flint.virtio.mmio.VirtioMmioTransport;
import dev.flint.virtio.queue.MockDriver;
import dev.flint.vmm.devices.BusDevice;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.sys.EventFd;
import dev.flint.vmm.sys.LibcFs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.stream.Stream;

import static dev.flint.virtio.fs.FuseDriver.Args;
import static dev.flint.virtio.fs.FuseDriver.ROOT;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The device around the FUSE server: config space, validation, attachment, fds, resets, native guest memory. */
class VirtioFsDeviceTest {
    @TempDir
    Path share;

    private static byte[] config(VirtioFs fs, long offset, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(length);
            fs.readConfig(offset, data);
            return data.toArray(JAVA_BYTE);
        }
    }

    @Test
    void configSpaceHoldsTheTagAndOneRequestQueue() throws Exception {
        try (VirtioFs fs = new VirtioFs("myshare", share, false)) {
            byte[] config = config(fs, 0, 40);
            assertEquals("myshare", new String(config, 0, 7, StandardCharsets.UTF_8));
            for (int i = 7; i < 36; i++) {
                assertEquals(0, config[i], "NUL padding at " + i);
            }
            assertEquals(1, ByteBuffer.wrap(config).order(ByteOrder.LITTLE_ENDIAN).getInt(36), "num_request_queues");
            assertEquals('s', config(fs, 2, 1)[0], "byte reads at an offset");
            assertArrayEquals(new byte[8], config(fs, 40, 8), "beyond the config space reads zero");
            assertEquals(26, fs.deviceId());
            assertEquals(2, fs.queueCount());
            assertTrue((fs.features() & VirtioDevice.F_VERSION_1) != 0);
            assertTrue((fs.features() & VirtioDevice.F_RING_INDIRECT_DESC) != 0);
            assertEquals("myshare", fs.tag());
        }
        try (VirtioFs fs = new VirtioFs("t".repeat(36), share, true)) {
            assertEquals("t".repeat(36), new String(config(fs, 0, 36), StandardCharsets.UTF_8), "a full-length tag has no NUL");
        }
    }

    @Test
    void badTagsAndDirectoriesAreRefusedWithAClearMessage() throws Exception {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new VirtioFs("", share, false))
                .getMessage().contains("1 to 36 bytes"));
        assertThrows(IllegalArgumentException.class, () -> new VirtioFs("x".repeat(37), share, false));
        assertThrows(IllegalArgumentException.class, () -> new VirtioFs("é".repeat(19), share, false), "38 bytes of UTF-8");
        assertTrue(assertThrows(IOException.class, () -> new VirtioFs("t", share.resolve("missing"), false))
                .getMessage().contains("does not exist"));
        Path file = Files.createFile(share.resolve("file"));
        assertTrue(assertThrows(IOException.class, () -> new VirtioFs("t", file, false))
                .getMessage().contains("is not a directory"));
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void closeClosesEveryHostFd() throws Exception {
        Files.createDirectory(share.resolve("d"));
        Files.writeString(share.resolve("d/f"), "x");
        long before = openFds();
        FuseDriver guest = new FuseDriver(share, false);
        guest.init();
        long d = guest.lookup(ROOT, "d").nodeId();
        long f = guest.lookup(d, "f").nodeId();
        guest.open(f, LibcFs.O_RDONLY);
        guest.opendirReply(d).ok();
        guest.create(d, "g", LibcFs.O_RDWR, 0644);
        assertTrue(openFds() >= before + 7, "root, /proc/self/fd, 3 nodes, 3 handles");
        guest.close();
        assertEquals(before, openFds(), "every fd the device opened is closed");
        guest.close();
        assertEquals(-1, guest.submit(MockDriver.Part.read(new byte[40]), MockDriver.Part.write(16)),
                "a closed device serves nothing");
    }

    @Test
    void requestsAreServedOnTheSharesWorkerAndNotificationsMeanwhileScheduleOnePass() throws Exception {
        List<Runnable> scheduled = new ArrayList<>();
        RecordingContext vm = new RecordingContext();
        vm.worker = scheduled::add;
        try (VirtioFs fs = new VirtioFs("share", share, false)) {
            fs.attached(vm);
            FuseDriver guest = new FuseDriver(fs, vm.memory);
            assertEquals(-1, guest.submit(MockDriver.Part.read(new byte[40]), MockDriver.Part.write(16)),
                    "not served on the notifying thread");
            fs.queueNotify(VirtioFs.REQUESTS);
            fs.queueNotify(VirtioFs.REQUESTS);
            assertEquals(1, scheduled.size(), "one pass waits, however often the guest rings");
            Thread worker = Thread.ofPlatform().start(scheduled.get(0));
            worker.join(10_000);
            assertEquals(1, guest.requests.used().size(), "the pass served the request");
            assertEquals(1, guest.interrupts.get());
            fs.queueNotify(VirtioFs.HIPRIO);
            fs.queueNotify(VirtioFs.REQUESTS);
            assertEquals(3, scheduled.size(), "after the pass began, a notification schedules the next; each queue its own");
        }
    }

    @Test
    void resetDropsHandlesAndNodesAndTheGuestCanInitAgain() throws Exception {
        Files.writeString(share.resolve("f"), "x");
        FuseDriver guest = new FuseDriver(share, false);
        guest.init();
        guest.open(guest.lookup(ROOT, "f").nodeId(), LibcFs.O_RDONLY);
        guest.fs.reset();
        assertEquals(1, guest.fs.liveNodes());
        assertEquals(0, guest.fs.openHandles());
        try (FuseDriver again = new FuseDriver(guest.fs, GuestMemory.onHeap(List.of(new MemoryRange(0, 8 << 20))))) {
            again.init();
            assertEquals(1, again.lookup(ROOT, "f").size());
        }
    }

    @Test
    void requestsInIndirectTablesAreServed() throws Exception {
        Files.writeString(share.resolve("f"), "indirect");
        try (FuseDriver guest = new FuseDriver(share, false)) {
            guest.init();
            byte[] args = Args.of().name("f").build();
            int head = guest.requests.indirectChain(
                    MockDriver.Part.read(FuseDriver.header(FuseInHeader.BYTES + args.length, FuseOpcode.LOOKUP, 5, ROOT)),
                    MockDriver.Part.read(args), MockDriver.Part.write(16), MockDriver.Part.write(FuseEncoding.ENTRY_OUT_BYTES));
            guest.requests.publish(head);
            guest.fs.queueNotify(VirtioFs.REQUESTS);
            assertEquals(16 + FuseEncoding.ENTRY_OUT_BYTES, guest.requests.used().get(0).length());
        }
    }

    @Test
    void oneMebibyteMovesThroughNativeGuestMemory() throws Exception {
        try (GuestMemory memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, 16 << 20)));
             FuseDriver guest = new FuseDriver(new VirtioFs("native", share, false), memory)) {
            assertTrue(memory.slice(0, 1).isNative(), "the zero-copy path for real guest RAM");
            guest.init();
            long fh = guest.create(ROOT, "big", LibcFs.O_RDWR, 0644)[1];
            byte[] data = new byte[1 << 20];
            new Random(7).nextBytes(data);
            assertEquals(data.length, guest.write(fh, 0, data).ok().buffer().getInt(0));
            assertArrayEquals(data, Files.readAllBytes(share.resolve("big")));
            assertArrayEquals(data, guest.read(fh, 0, data.length).ok().payload());
        }
    }

    /** A VM as far as attaching a device goes: one MMIO slot, doorbells recorded, a real eventfd for the interrupt. */
    private static final class RecordingContext implements DeviceContext {
        final GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 8 << 20)));
        final Map<Long, Runnable> doorbells = new HashMap<>();
        final List<String> bootArgs = new ArrayList<>();
        final List<EventFd> eventFds = new ArrayList<>();
        BusDevice mmio;

        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public MmioSlot attachMmio(BusDevice device) {
            mmio = device;
            return new MmioSlot(0xd000_0000L, 5);
        }

        @Override
        public EventFd interruptLine(int gsi) throws dev.flint.vmm.sys.ErrnoException {
            EventFd fd = EventFd.create();
            eventFds.add(fd);
            return fd;
        }

        @Override
        public void onMmioWrite(long address, int length, OptionalLong datamatch, Runnable handler) {
            assertEquals(0xd000_0000L + VirtioMmioTransport.QUEUE_NOTIFY, address);
            doorbells.put(datamatch.orElseThrow(), handler);
        }

        @Override
        public EventFd onSignal(Runnable handler) {
            throw new AssertionError("virtio-fs needs no extra event sources");
        }

        /** By default tasks run at once on the thread that gives them, as if the worker were instant. */
        java.util.concurrent.Executor worker = Runnable::run;

        @Override
        public java.util.concurrent.Executor ioWorker(String name) {
            return worker;
        }

        @Override
        public void appendKernelArgs(String args) {
            bootArgs.add(args);
        }

        int read(int offset) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = arena.allocate(4);
                mmio.read(offset, data);
                return data.get(JAVA_INT_UNALIGNED, 0);
            }
        }

        void write(int offset, int value) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = arena.allocate(4);
                data.set(JAVA_INT_UNALIGNED, 0, value);
                mmio.write(offset, data);
            }
        }
    }

    @Test
    void attachesThroughVirtioMmioLikeEveryOtherDevice() throws Exception {
        RecordingContext vm = new RecordingContext();
        try (VirtioFs fs = new VirtioFs("share", share, false)) {
            new VirtioMmioAttacher(fs).attach(vm);
            assertEquals(List.of(VirtioMmioTransport.kernelArg(0xd000_0000L, 5)), vm.bootArgs);
            assertEquals(2, vm.doorbells.size(), "one ioeventfd doorbell per queue");
            assertEquals(0x74726976, vm.read(0x000));
            assertEquals(26, vm.read(0x008), "device id");
            assertEquals(ByteBuffer.wrap("shar".getBytes(StandardCharsets.US_ASCII)).order(ByteOrder.LITTLE_ENDIAN).getInt(),
                    vm.read(0x100), "the tag at the start of the config space");
            assertEquals(1, vm.read(0x100 + 36), "num_request_queues");

            // Probe the way Linux's virtio_mmio does, with both queues, then send FUSE_INIT on queue 1.
            vm.write(0x070, 0);
            vm.write(0x070, 1 | 2);
            vm.write(0x024, 1);
            vm.write(0x020, 1); // VIRTIO_F_VERSION_1 (bit 32)
            vm.write(0x070, 1 | 2 | 8);
            List<MockDriver> queues = new ArrayList<>();
            for (int q = 0; q < 2; q++) {
                MockDriver queue = new MockDriver(vm.memory, 64, 0x40000L * q);
                queues.add(queue);
                vm.write(0x030, q);
                assertTrue(vm.read(0x034) >= 64);
                vm.write(0x038, 64);
                vm.write(0x080, (int) queue.descAddress());
                vm.write(0x090, (int) queue.availAddress());
                vm.write(0x0a0, (int) queue.usedAddress());
                vm.write(0x044, 1);
            }
            vm.write(0x070, 1 | 2 | 8 | 4);
            assertEquals(1 | 2 | 8 | 4, vm.read(0x070), "DRIVER_OK, not NEEDS_RESET");

            byte[] init = Args.of().u32(7).u32(37).u32(0).u32(0).build();
            MockDriver requests = queues.get(1);
            int head = requests.chain(MockDriver.Part.read(FuseDriver.header(FuseInHeader.BYTES + init.length, FuseOpcode.INIT, 1, 0)),
                    MockDriver.Part.read(init), MockDriver.Part.write(16), MockDriver.Part.write(FuseSession.INIT_OUT_BYTES));
            requests.publish(head);
            vm.doorbells.get(1L).run(); // what the event loop does when the ioeventfd fires
            assertEquals(16 + FuseSession.INIT_OUT_BYTES, requests.used().get(0).length());
            ByteBuffer outHeader = ByteBuffer.wrap(requests.read(requests.bufferOf(head + 2), 16)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0, outHeader.getInt(4), "INIT succeeded");
            assertEquals(1, outHeader.getLong(8), "for our unique id");
            assertEquals(7, ByteBuffer.wrap(requests.read(requests.bufferOf(head + 3), 8)).order(ByteOrder.LITTLE_ENDIAN)
                    .getInt(0), "protocol major 7");
            assertNotEquals(0, vm.eventFds.get(0).drain(), "the used-buffer interrupt was raised through the irqfd");
        } finally {
            vm.eventFds.forEach(EventFd::close);
        }
    }
}
