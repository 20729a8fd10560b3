package dev.flint.virtio.blk;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flint.virtio.queue.FuzzGuest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz target {@code blk}: virtio-blk requests from a hostile guest (any type, sector and
 * buffer layout, raw descriptors and ring pokes) against a 64 KiB disk image. Oracle: nothing
 * escapes the device, and the image keeps its size (requests past the end fail, they do not
 * grow it). {@code ./flint fuzz blk}; the unit tests replay {@code VirtioBlkFuzzTestInputs/replay}.
 */
public class VirtioBlkFuzzTest {
    private static final int IMAGE_BYTES = 64 << 10;
    private static final Path IMAGE = image();

    private static Path image() {
        try {
            Path image = Files.createTempFile("flint-fuzz-blk", ".img");
            image.toFile().deleteOnExit();
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void fuzzerTestOneInput(byte[] input) throws IOException {
        Files.write(IMAGE, new byte[IMAGE_BYTES]);
        boolean readOnly = input.length > 0 && (input[0] & 0x80) != 0;
        try (VirtioBlk blk = new VirtioBlk(IMAGE, readOnly, "fuzz")) {
            new FuzzGuest(blk, 16, false).play(input);
        }
        if (Files.size(IMAGE) != IMAGE_BYTES) {
            throw new AssertionError("the guest changed the disk's size to " + Files.size(IMAGE));
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) throws IOException {
        fuzzerTestOneInput(input);
    }

    @AfterAll
    static void removeImage() throws IOException {
        Files.deleteIfExists(IMAGE);
    }
}
