package dev.flint.virtio.blk;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.MockDriver;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One request's data is bounded however the guest's descriptors alias its RAM. */
class VirtioBlkLimitsTest {
    private static final int QUEUE_SIZE = 128;
    private static final long RAM = 32 << 20;

    @TempDir
    Path dir;

    @Test
    void aReadOverTheTransferMaximumThroughAliasedBuffersFailsWithoutTouchingTheDisk() throws Exception {
        Path image = dir.resolve("big.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(8L << 30);
        }
        GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, RAM)));
        MockDriver driver = new MockDriver(memory, QUEUE_SIZE, 0);
        try (VirtioBlk blk = new VirtioBlk(image, true, "big")) {
            blk.activate(List.of(driver.queue(false)), VirtioDevice.F_VERSION_1, new VirtioDevice.DriverSignals() {
                @Override
                public void usedBuffers() {
                }

                @Override
                public void deviceBroken() {
                    throw new AssertionError("the device broke");
                }
            });
            long header = driver.buffer(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(VirtioBlk.T_IN)
                    .putInt(0).putLong(0).array(), 16);
            long status = driver.buffer(new byte[1], 1);
            // 126 writable descriptors, each over all 32 MiB of RAM: almost 4 GiB of disk asked for at once.
            driver.descriptor(driver.descAddress(), 0, header, 16, 1, 1);
            for (int i = 1; i < QUEUE_SIZE - 1; i++) {
                driver.descriptor(driver.descAddress(), i, 0, (int) RAM, 1 | 2, i + 1);
            }
            driver.descriptor(driver.descAddress(), QUEUE_SIZE - 1, status, 1, 2, 0);
            driver.publish(0);
            blk.queueNotify(0);

            assertEquals(List.of(new MockDriver.Used(0, 1)), driver.used(), "only the status byte written");
            assertEquals(VirtioBlk.S_IOERR, driver.read(status, 1)[0]);
            assertEquals(0, blk.bytesRead());
        }
    }
}
