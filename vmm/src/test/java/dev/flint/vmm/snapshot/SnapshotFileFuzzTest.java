package dev.flint.vmm.snapshot;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Fuzz target {@code snapshot}: the fuzzer's bytes as a {@code vm.state} through
 * {@link SnapshotFile#decode} (all of {@link SnapshotFile#read} but the file I/O and the memory
 * file's size). With the first byte odd the magic, version and CRC32C are set right, so the
 * fuzzer reaches the header parser behind the checksum it cannot guess. The oracle: nothing but a
 * {@link SnapshotException} escapes, and a file that is accepted encodes back to the same bytes.
 * {@code ./flint fuzz snapshot}; the unit tests replay {@code SnapshotFileFuzzTestInputs/replay}.
 */
public class SnapshotFileFuzzTest {
    private static final byte[] PREFIX = ByteBuffer.allocate(12)
            .put("FLINTSNP".getBytes(StandardCharsets.US_ASCII)).putInt(SnapshotFile.FORMAT_VERSION).array();
    private static final String VENDOR = "GenuineIntel";

    public static void fuzzerTestOneInput(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] file = Arrays.copyOfRange(input, 1, input.length);
        if ((input[0] & 1) == 1) {
            System.arraycopy(PREFIX, 0, file, 0, Math.min(PREFIX.length, file.length));
            if (file.length >= PREFIX.length + 4) {
                CRC32C crc = new CRC32C();
                crc.update(file, 0, file.length - 4);
                ByteBuffer.wrap(file).putInt(file.length - 4, (int) crc.getValue());
            }
        }
        SnapshotFile.Contents contents;
        try {
            contents = SnapshotFile.decode(file, "fuzz/vm.state", VENDOR);
        } catch (SnapshotException expected) {
            return;
        }
        byte[] again;
        try {
            again = SnapshotFile.encode(contents.header(), contents.state());
        } catch (SnapshotException e) {
            throw new IllegalStateException("an accepted snapshot cannot be written back: " + e.getMessage(), e);
        }
        if (!Arrays.equals(file, again)) {
            throw new IllegalStateException("an accepted snapshot encodes to other bytes");
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) {
        fuzzerTestOneInput(input);
    }
}
