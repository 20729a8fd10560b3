package dev.flint.virtio.blk;

import dev.flint.vmm.sys.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a raw image zeroes ranges (holes where the file system can, written zeros where it refuses) and moves a request's buffers. */
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

    /** Scatter and gather: one request's buffers, of any sizes (an empty one too), in order, in native memory as guest RAM is. */
    @Test
    void aScatterReadAndAGatherWriteCoverEveryBufferInOrder() throws Exception {
        Path image = image();
        try (RawImageStore store = RawImageStore.open(image, false); Arena arena = Arena.ofConfined()) {
            ByteBuffer[] out = {filled(arena, 512, 1), filled(arena, 0, 2), filled(arena, 4096, 3), filled(arena, 1536, 4)};
            store.write(8192, out);
            assertTrue(Arrays.stream(out).noneMatch(ByteBuffer::hasRemaining), "every byte was taken");
            ByteBuffer[] in = {arena.allocate(1000).asByteBuffer(), arena.allocate(6144).asByteBuffer()};
            store.read(8192 - 500, in);   // [7692, 8692) and [8692, 14836)
            assertEquals(0x5a, in[0].get(499), "the byte before the write");
            assertEquals(1, in[0].get(500));
            assertEquals(1, in[1].get(11));
            assertEquals(3, in[1].get(12), "the third buffer's bytes follow the first's: the empty one took none");
            assertEquals(4, in[1].get(14335 - 8692));
            assertEquals(0x5a, in[1].get(14336 - 8692), "the byte after the write");
            assertThrows(IndexOutOfBoundsException.class,
                    () -> store.read(SIZE - 512, new ByteBuffer[] {arena.allocate(512).asByteBuffer(), arena.allocate(1).asByteBuffer()}));
        }
        byte[] file = Files.readAllBytes(image);
        assertEquals(1, file[8192]);
        assertEquals(4, file[8192 + 512 + 4096 + 1535]);
        assertEquals(0x5a, file[8192 + 512 + 4096 + 1536]);
    }

    private static ByteBuffer filled(Arena arena, int length, int value) {
        MemorySegment segment = arena.allocate(Math.max(length, 1)).asSlice(0, length);
        segment.fill((byte) value);
        return segment.asByteBuffer();
    }
}
