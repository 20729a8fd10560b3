package dev.flint.virtio.blk;

import dev.flint.vmm.sys.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a raw image zeroes ranges: holes where the file system can, written zeros where it refuses. */
class RawImageStoreTest {
    private static final int SIZE = 64 * 1024;

    @TempDir
    Path dir;

    private Path image() throws IOException {
        byte[] bytes = new byte[SIZE];
        Arrays.fill(bytes, (byte) 0x5a);
        return Files.write(dir.resolve("disk.img"), bytes);
    }

    private static RawImageStore store(Path image, FileHoles.Fallocate fallocate) throws IOException {
        FileChannel file = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new RawImageStore(file, SIZE, new FileHoles(-1, image, fallocate));
    }

    @Test
    void aPunchedRangeReadsZerosAndGivesItsSpaceBack() throws Exception {
        Path image = image();
        try (RawImageStore store = RawImageStore.open(image, false)) {
            store.flush();
            long full = AllocatedBytes.of(image);
            store.zero(16 * 1024, 32 * 1024, true);
            store.flush();
            assertTrue(AllocatedBytes.of(image) <= full - 32 * 1024, "freed " + (full - AllocatedBytes.of(image)));
        }
        byte[] file = Files.readAllBytes(image);
        assertEquals(SIZE, file.length);
        assertEquals(0x5a, file[16 * 1024 - 1]);
        assertEquals(0, file[16 * 1024]);
        assertEquals(0, file[48 * 1024 - 1]);
        assertEquals(0x5a, file[48 * 1024]);
    }

    @Test
    void aFileSystemWithoutTheModeGetsZerosWrittenAndIsAskedOnce() throws Exception {
        Path image = image();
        AtomicInteger punches = new AtomicInteger();
        AtomicInteger zeroRanges = new AtomicInteger();
        try (RawImageStore store = store(image, (fd, mode, offset, length) -> {
            (mode == (0x02 | 0x01) ? punches : zeroRanges).incrementAndGet();
            return -Errno.EOPNOTSUPP;
        })) {
            store.zero(0, 4096, true);
            store.zero(8192, 4096, true);
            store.zero(20000, 1000, false);
        }
        assertEquals(1, punches.get(), "refused once, not asked again");
        assertEquals(1, zeroRanges.get(), "each mode is asked on its own");
        byte[] file = Files.readAllBytes(image);
        assertEquals(0, file[4095]);
        assertEquals(0x5a, file[4096]);
        assertEquals(0, file[8192 + 4095]);
        assertEquals(0, file[20999]);
        assertEquals(0x5a, file[21000]);
    }

    @Test
    void aFailingFileSystemIsAnIOErrorThatNamesTheErrno() throws Exception {
        Path image = image();
        try (RawImageStore store = store(image, (fd, mode, offset, length) -> -Errno.EIO)) {
            IOException e = assertThrows(IOException.class, () -> store.zero(0, 4096, true));
            assertTrue(e.getMessage().contains("EIO") && e.getMessage().contains("PUNCH_HOLE"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> store.zero(SIZE - 512, 1024, true));
        }
    }
}
