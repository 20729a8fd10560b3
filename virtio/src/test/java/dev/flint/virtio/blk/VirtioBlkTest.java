package dev.flint.virtio.blk;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.MockDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.flint.virtio.queue.MockDriver.Part.read;
import static dev.flint.virtio.queue.MockDriver.Part.write;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every request type and error path of the block device, over a temporary image file. */
class VirtioBlkTest {
    private static final int SECTORS = 64;

    @TempDir
    Path dir;

    private final MockDriver driver = new MockDriver(16);
    private final AtomicInteger interrupts = new AtomicInteger();
    private final AtomicInteger broken = new AtomicInteger();
    private VirtioBlk blk;
    private Path image;

    private VirtioBlk open(boolean readOnly) throws Exception {
        return activate(new VirtioBlk(writeImage(), readOnly, "flint-disk-0"));
    }

    private Path writeImage() throws Exception {
        image = dir.resolve("disk.img");
        byte[] contents = new byte[SECTORS * 512];
        for (int i = 0; i < contents.length; i++) {
            contents[i] = (byte) (i / 512);
        }
        return Files.write(image, contents);
    }

    private VirtioBlk activate(VirtioBlk device) {
        blk = device;
        blk.activate(List.of(driver.queue(false)), VirtioDevice.F_VERSION_1, new VirtioDevice.DriverSignals() {
            @Override
            public void usedBuffers() {
                interrupts.incrementAndGet();
            }

            @Override
            public void deviceBroken() {
                broken.incrementAndGet();
            }
        });
        return blk;
    }

    @AfterEach
    void close() throws Exception {
        if (blk != null) {
            blk.close();
        }
    }

    private static byte[] header(int type, long sector) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(type).putInt(0).putLong(sector).array();
    }


    /** Sends one request; returns the status byte the device wrote. */
    private int submit(MockDriver.Part... parts) {
        int head = driver.chain(parts);
        driver.publish(head);
        blk.queueNotify(0);
        List<MockDriver.Used> used = driver.used();
        assertEquals(1, used.size());
        int statusDescriptor = head + parts.length - 1;
        return driver.read(driver.bufferOf(statusDescriptor % 16), 1)[0];
    }


    @Test
    void configSpaceHasTheCapacityAndFeaturesMatchTheMode() throws Exception {
        open(false);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capacity = arena.allocate(8);
            blk.readConfig(0, capacity);
            assertEquals(SECTORS, capacity.get(JAVA_LONG_UNALIGNED, 0));
            MemorySegment mayUnmap = arena.allocate(1);
            blk.readConfig(56, mayUnmap);
            assertEquals(1, mayUnmap.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0), "write_zeroes_may_unmap");
        }
        assertEquals(0, blk.features() & VirtioBlk.F_RO);
        assertTrue((blk.features() & VirtioBlk.F_FLUSH) != 0);
        blk.close();
        open(true);
        assertTrue((blk.features() & VirtioBlk.F_RO) != 0);
        assertEquals(0, blk.features() & VirtioBlk.F_DISCARD);
    }

    @Test
    void readsLandInGuestMemory() throws Exception {
        open(false);
        int head = driver.chain(read(header(VirtioBlk.T_IN, 3)), write(512), write(512), write(1));
        driver.publish(head);
        blk.queueNotify(0);
        MockDriver.Used used = driver.used().get(0);
        assertEquals(1025, used.length(), "two sectors and the status byte");
        assertEquals(3, driver.read(driver.bufferOf(head + 1), 512)[100]);
        assertEquals(4, driver.read(driver.bufferOf(head + 2), 512)[511]);
        assertEquals(VirtioBlk.S_OK, driver.read(driver.bufferOf(head + 3), 1)[0]);
        assertEquals(1, interrupts.get());
    }

    @Test
    void writesReachTheFile() throws Exception {
        open(false);
        byte[] data = new byte[1024];
        Arrays.fill(data, (byte) 0x5a);
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_OUT, 10)), read(data), write(1)));
        byte[] file = Files.readAllBytes(image);
        assertEquals(0x5a, file[10 * 512]);
        assertEquals(0x5a, file[12 * 512 - 1]);
        assertEquals(12, file[12 * 512], "the next sector is untouched");
    }

    @Test
    void onAnOverlayTheGuestReadsItsWritesAndTheBaseIsLeftAlone() throws Exception {
        byte[] before = Files.readAllBytes(writeImage());
        Path overlay = dir.resolve("fork.ovl");
        activate(new VirtioBlk(OverlayStore.create(image, overlay), false, "flint-disk-0"));
        byte[] data = new byte[1024];
        Arrays.fill(data, (byte) 0x5a);
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_OUT, 10)), read(data), write(1)));
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_WRITE_ZEROES, 0)), read(range(20, 1)), write(1)));
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_FLUSH, 0)), write(1)));
        int head = driver.chain(read(header(VirtioBlk.T_IN, 9)), write(512), write(1024), write(1));
        driver.publish(head);
        blk.queueNotify(0);
        assertEquals(512 + 1024 + 1, driver.used().get(0).length());
        assertEquals(9, driver.read(driver.bufferOf(head + 1), 512)[511], "sector 9 from the base");
        assertEquals(0x5a, driver.read(driver.bufferOf(head + 2), 1024)[1023], "sectors 10 and 11 from the overlay");
        assertEquals(VirtioBlk.S_OK, driver.read(driver.bufferOf(head + 3), 1)[0]);
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_OUT, SECTORS - 1)), read(data), write(1)),
                "bounded by the base's capacity");
        blk.close();
        blk = null;
        assertArrayEquals(before, Files.readAllBytes(image), "the base is never written");
        try (OverlayStore reopened = OverlayStore.open(overlay)) {
            ByteBuffer disk = ByteBuffer.allocate(SECTORS * 512);
            reopened.read(0, disk);
            assertEquals(0x5a, disk.get(10 * 512));
            assertEquals(0, disk.get(20 * 512 + 1));
            assertEquals(21, disk.get(21 * 512));
        }
    }

    @Test
    void aReplacedStoreServesTheNextRequests() throws Exception {
        open(false);
        Path frozen = dir.resolve("frozen.img");
        Files.copy(image, frozen);
        BlockStore old = blk.replaceStore(OverlayStore.create(frozen, dir.resolve("next.ovl")));
        old.close();
        byte[] data = new byte[512];
        Arrays.fill(data, (byte) 0x6b);
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_OUT, 3)), read(data), write(1)));
        assertEquals(3, Files.readAllBytes(image)[3 * 512], "the old image is no longer written");
        assertEquals(3, Files.readAllBytes(frozen)[3 * 512], "nor the new base");
        assertEquals(0x6b, Files.readAllBytes(dir.resolve("next.ovl"))[3 * 512]);
        try (RawImageStore small = RawImageStore.open(Files.write(dir.resolve("small.img"), new byte[512]), true)) {
            assertThrows(IllegalArgumentException.class, () -> blk.replaceStore(small));
        }
    }

    @Test
    void aFullHostDiskIsAnIoErrorForThatRequestAndTheDeviceGoesOn() throws Exception {
        Path path = writeImage();
        activate(new VirtioBlk(new FullDiskChannel(FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE),
                1536), SECTORS * 512L, false, "flint-disk-0"));
        byte[] data = new byte[1024];
        Arrays.fill(data, (byte) 0x5a);
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_OUT, 2)), read(data), write(1)), "room for it");
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_OUT, 10)), read(data), write(1)),
                "half fits, then ENOSPC");
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_WRITE_ZEROES, 0)), read(range(20, 1)), write(1)));
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_FLUSH, 0)), write(1)), "fsync lost the write-back");
        assertEquals(0, broken.get(), "a host I/O error is the request's, not the device's");
        assertEquals(3, blk.ioErrors());
        int head = driver.chain(read(header(VirtioBlk.T_IN, 2)), write(512), write(1));
        driver.publish(head);
        blk.queueNotify(0);
        assertEquals(0x5a, driver.read(driver.bufferOf(head + 1), 512)[511], "what was written before reads back");
        assertEquals(VirtioBlk.S_OK, driver.read(driver.bufferOf(head + 2), 1)[0]);
        byte[] file = Files.readAllBytes(path);
        assertEquals(0x5a, file[10 * 512 + 511], "the part that fitted was written");
        assertEquals(11, file[11 * 512], "nothing past the full disk");
        assertEquals(20, file[20 * 512], "zeroes that did not fit left the range as it was");
    }

    @Test
    void requestsBeyondTheDiskFailWithIoErrorAndTouchNothing() throws Exception {
        open(false);
        byte[] before = Files.readAllBytes(image);
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_OUT, SECTORS - 1)), read(new byte[1024]), write(1)));
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_IN, SECTORS)), write(512), write(1)));
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_IN, -1L)), write(512), write(1)));
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_IN, 0)), write(100), write(1)), "not whole sectors");
        assertArrayEquals(before, Files.readAllBytes(image));
    }

    @Test
    void aReadOnlyDiskRefusesWritesDiscardsAndZeroes() throws Exception {
        open(true);
        byte[] before = Files.readAllBytes(image);
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_OUT, 0)), read(new byte[512]), write(1)));
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_WRITE_ZEROES, 0)), read(range(0, 1)), write(1)));
        assertArrayEquals(before, Files.readAllBytes(image));
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_IN, 0)), write(512), write(1)), "reads still work");
    }

    private static byte[] range(long sector, int count) {
        return range(sector, count, 0);
    }

    private static byte[] range(long sector, int count, int flags) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(sector).putInt(count).putInt(flags).array();
    }

    @Test
    void writeZeroesAndDiscardZeroTheRanges() throws Exception {
        open(false);
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_WRITE_ZEROES, 0)), read(range(5, 2)), write(1)));
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_DISCARD, 0)), read(range(20, 1)), write(1)));
        byte[] file = Files.readAllBytes(image);
        assertEquals(0, file[5 * 512 + 7]);
        assertEquals(0, file[7 * 512 - 1]);
        assertEquals(7, file[7 * 512]);
        assertEquals(0, file[20 * 512 + 300]);
        assertEquals(21, file[21 * 512]);
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_WRITE_ZEROES, 0)), read(range(SECTORS - 1, 2)), write(1)));
    }

    @Test
    void discardAndUnmappingWriteZeroesFreeTheImagesBlocksAndPlainWriteZeroesKeepsThem() throws Exception {
        open(false);
        long full = AllocatedBytes.of(image);
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_WRITE_ZEROES, 0)), read(range(0, 16)), write(1)));
        assertEquals(full, AllocatedBytes.of(image), "without the unmap flag the space stays allocated");
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_DISCARD, 0)), read(range(16, 16)), write(1)));
        long discarded = AllocatedBytes.of(image);
        assertTrue(discarded <= full - 16 * 512, "a discard of 8 KiB freed " + (full - discarded) + " bytes");
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_WRITE_ZEROES, 0)),
                read(range(32, 16, VirtioBlk.FLAG_UNMAP)), write(1)));
        assertTrue(AllocatedBytes.of(image) <= discarded - 16 * 512, "write-zeroes with unmap frees the range too");
        byte[] file = Files.readAllBytes(image);
        assertEquals(SECTORS * 512, file.length, "the image keeps its size");
        for (int i = 0; i < 48 * 512; i++) {
            assertEquals(0, file[i], "byte " + i);
        }
        assertEquals(48, file[48 * 512], "the next sector is untouched");
    }

    @Test
    void unknownFlagsAndUnmapOnADiscardAreUnsupportedAndTouchNothing() throws Exception {
        open(false);
        byte[] before = Files.readAllBytes(image);
        assertEquals(VirtioBlk.S_UNSUPP, submit(read(header(VirtioBlk.T_DISCARD, 0)),
                read(range(0, 8, VirtioBlk.FLAG_UNMAP)), write(1)));
        assertEquals(VirtioBlk.S_UNSUPP, submit(read(header(VirtioBlk.T_WRITE_ZEROES, 0)), read(range(0, 8, 2)), write(1)));
        assertArrayEquals(before, Files.readAllBytes(image));
    }


    @Test
    void flushGetIdAndUnknownTypes() throws Exception {
        open(false);
        assertEquals(VirtioBlk.S_OK, submit(read(header(VirtioBlk.T_FLUSH, 0)), write(1)));
        int head = driver.chain(read(header(VirtioBlk.T_GET_ID, 0)), write(20), write(1));
        driver.publish(head);
        blk.queueNotify(0);
        assertEquals(21, driver.used().get(0).length());
        assertEquals("flint-disk-0", new String(driver.read(driver.bufferOf(head + 1), 12)));
        assertEquals(VirtioBlk.S_UNSUPP, submit(read(header(99, 0)), write(1)));
        assertEquals(VirtioBlk.S_IOERR, submit(read(header(VirtioBlk.T_GET_ID, 0)), write(8), write(1)), "id buffer too small");
    }

    @Test
    void requestsWithoutHeaderOrStatusAreDroppedAndMalformedChainsBreakTheDevice() throws Exception {
        open(false);
        driver.publish(driver.chain(read(new byte[4]), write(1)));
        blk.queueNotify(0);
        assertEquals(0, driver.used().get(0).length(), "dropped, nothing written");
        driver.descriptor(MockDriver.DESC, 9, (4 << 20) - 4, 64, 0, 0);
        driver.publish(9);
        blk.queueNotify(0);
        assertEquals(1, broken.get());
    }

    @Test
    void badImagesAreRefusedWithAClearMessage() throws Exception {
        Path ragged = Files.write(dir.resolve("ragged.img"), new byte[1000]);
        assertTrue(assertThrows(java.io.IOException.class, () -> new VirtioBlk(ragged, false, "x")).getMessage()
                .contains("multiple of 512"));
        assertThrows(java.io.IOException.class, () -> new VirtioBlk(dir.resolve("missing.img"), false, "x"));
        Path fine = Files.write(dir.resolve("fine.img"), new byte[512]);
        assertThrows(IllegalArgumentException.class, () -> new VirtioBlk(fine, false, "x".repeat(21)));
    }
}
