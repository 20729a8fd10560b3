package dev.flint.vmm.snapshot;

import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vm.state}: written and read back, and every way it can be damaged or foreign is a clear error. */
class SnapshotFileTest {
    private static final String INTEL = "GenuineIntel";
    private static final List<CpuidEntry> CPUID = List.of(
            new CpuidEntry(0, 0, 0, 0x16, 0x756e6547, 0x6c65746e, 0x49656e69),
            new CpuidEntry(7, 1, CpuidEntry.FLAG_SIGNIFICANT_INDEX, 1, -2, 3, 0x8000_0000));
    private static final List<MemoryRange> LAYOUT = List.of(new MemoryRange(0, 2 << 20),
            new MemoryRange(1L << 32, 1 << 20));
    private static final SnapshotHeader HEADER = new SnapshotHeader(INTEL, CPUID, LAYOUT);
    private static final byte[] STATE = new StateOutput().writeSection("vcpu0", out -> out.writeLong(42))
            .writeSection("serial", out -> out.writeInt(7)).toByteArray();

    @TempDir
    Path dir;

    @Test
    void readsBackWhatWasWritten() throws Exception {
        writeSnapshot();
        SnapshotFile.Contents contents = SnapshotFile.read(dir, INTEL);
        assertEquals(HEADER, contents.header());
        assertEquals(3L << 20, contents.header().memoryFileSize());
        assertArrayEquals(STATE, contents.state());
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "vm.state and memory, no temp file left");
        }
    }

    @Test
    void theFileIsTheDocumentedLayout() throws Exception {
        writeSnapshot();
        StateOutput header = new StateOutput().writeString(INTEL).writeInt(2);
        for (CpuidEntry e : CPUID) {
            header.writeInt(e.function()).writeInt(e.index()).writeInt(e.flags())
                    .writeInt(e.eax()).writeInt(e.ebx()).writeInt(e.ecx()).writeInt(e.edx());
        }
        header.writeInt(2).writeLong(0).writeLong(2 << 20).writeLong(1L << 32).writeLong(1 << 20).writeLong(3 << 20);
        assertArrayEquals(frame(SnapshotFile.FORMAT_VERSION, header.toByteArray(), STATE), stateBytes());
    }

    @Test
    void writingAgainReplacesTheFileWhole() throws Exception {
        writeSnapshot();
        byte[] other = {1, 2, 3};
        SnapshotFile.write(dir, HEADER, other);
        assertArrayEquals(other, SnapshotFile.read(dir, INTEL).state());
    }

    @Test
    void anInvalidatedSnapshotIsNoSnapshotAndItsMemoryFileStays() throws Exception {
        writeSnapshot();
        SnapshotFile.invalidate(dir);
        assertMessage("there is no snapshot in " + dir);
        assertTrue(Files.exists(dir.resolve("memory")));
        SnapshotFile.invalidate(dir); // nothing left to remove: no error
    }

    @Test
    void aDirectoryWithoutVmStateIsNoSnapshot() {
        assertMessage("there is no snapshot in " + dir + ": it has no vm.state");
    }

    @Test
    void anotherFileIsNotAFlintSnapshot() throws Exception {
        Files.writeString(dir.resolve("vm.state"), "{\"json\": true, \"more\": 1}");
        assertMessage("is not a Flint snapshot: it starts with 7b 22 6a 73 6f 6e 22 3a, not \"FLINTSNP\"");
    }

    @Test
    void anotherFormatVersionSaysWhichThisFlintReads() throws Exception {
        writeSnapshot();
        byte[] bytes = stateBytes();
        ByteBuffer.wrap(bytes).putInt(8, 2);   // version 2: taken before the vsock state had the host's next port
        Files.write(dir.resolve("vm.state"), bytes);
        assertMessage("is a snapshot of format version 2; this Flint reads version 3: restore it with the Flint that took it");
    }

    @Test
    void anotherCpuVendorIsRefused() throws Exception {
        writeSnapshot();
        assertMessage("was taken on GenuineIntel, this host is AuthenticAMD: a snapshot restores only on the same CPU vendor",
                "AuthenticAMD");
    }

    @Test
    void incompatibilityNamesAnotherVendorOrVersionFromTheHeaderAlone() throws Exception {
        writeSnapshot();
        assertEquals(Optional.empty(), SnapshotFile.incompatibility(dir, INTEL), "restorable here");
        String vendor = SnapshotFile.incompatibility(dir, "AuthenticAMD").orElseThrow();
        assertEquals(assertThrows(SnapshotException.class, () -> SnapshotFile.read(dir, "AuthenticAMD")).getMessage(),
                vendor, "the same words as the restore's refusal");
        byte[] bytes = stateBytes();
        int other = SnapshotFile.FORMAT_VERSION + 1;
        ByteBuffer.wrap(bytes).putInt(8, other);
        Files.write(dir.resolve("vm.state"), java.util.Arrays.copyOf(bytes, 12), java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
        assertTrue(SnapshotFile.incompatibility(dir, INTEL).orElseThrow()
                .endsWith("vm.state is a snapshot of format version " + other + "; this Flint reads version "
                        + SnapshotFile.FORMAT_VERSION + ": restore it with the Flint that took it, or take the snapshot again"),
                "the version alone decides it");
    }

    @Test
    void incompatibilityLeavesMissingForeignAndDamagedFilesToTheRestore() throws Exception {
        assertEquals(Optional.empty(), SnapshotFile.incompatibility(dir, INTEL), "no vm.state");
        writeSnapshot();
        byte[] good = stateBytes();
        byte[] damagedCrc = good.clone();
        damagedCrc[good.length - 1] ^= 0x01;
        byte[] hugeHeader = good.clone();
        ByteBuffer.wrap(hugeHeader).putInt(12, Integer.MAX_VALUE);
        // Unreadable up to the vendor: nothing said even to another vendor's host.
        for (byte[] bad : List.of("not a snapshot".getBytes(StandardCharsets.US_ASCII), java.util.Arrays.copyOf(good, 14),
                hugeHeader)) {
            Files.write(dir.resolve("vm.state"), bad);
            assertEquals(Optional.empty(), SnapshotFile.incompatibility(dir, "AuthenticAMD"));
            assertThrows(SnapshotException.class, () -> SnapshotFile.read(dir, INTEL), "read refuses it");
        }
        // The checksum is the restore's to check: only the header is read.
        Files.write(dir.resolve("vm.state"), damagedCrc);
        assertEquals(Optional.empty(), SnapshotFile.incompatibility(dir, INTEL));
        assertThrows(SnapshotException.class, () -> SnapshotFile.read(dir, INTEL));
    }

    @Test
    void aTruncatedFileSaysSoAtEveryCut() throws Exception {
        writeSnapshot();
        byte[] bytes = stateBytes();
        int headerLength = ByteBuffer.wrap(bytes).getInt(12);
        int stateStart = 16 + headerLength + 4;
        for (int cut : new int[] {0, 3, 8, 10, 12, 15, 16, 16 + headerLength / 2, 16 + headerLength,
                16 + headerLength + 2, stateStart, stateStart + STATE.length / 2, bytes.length - 4, bytes.length - 1}) {
            Files.write(dir.resolve("vm.state"), java.util.Arrays.copyOf(bytes, cut));
            assertMessage(" is truncated: it ends after " + cut + " bytes");
        }
    }

    @Test
    void aFlippedByteAnywhereIsCaughtAndNamed() throws Exception {
        writeSnapshot();
        byte[] good = stateBytes();
        int headerLength = ByteBuffer.wrap(good).getInt(12);
        int stateLengthAt = 16 + headerLength;
        for (int at = 0; at < good.length; at++) {
            byte[] bad = good.clone();
            bad[at] ^= 0x01;
            Files.write(dir.resolve("vm.state"), bad);
            String message = assertThrows(SnapshotException.class, () -> SnapshotFile.read(dir, INTEL),
                    "byte " + at + " flipped").getMessage();
            if (at < 8) {
                assertTrue(message.contains("is not a Flint snapshot"), message);
            } else if (at < 12) {
                assertTrue(message.contains("is a snapshot of format version"), message);
            } else if (at < 16 || (at >= stateLengthAt && at < stateLengthAt + 4)) {
                // A length: longer than the file (truncated), over its cap or shorter (corrupt).
                assertTrue(message.contains("is truncated") || message.contains("is corrupt"), "byte " + at + ": " + message);
            } else {
                assertTrue(message.contains("is corrupt: its CRC32C checksum reads"), "byte " + at + ": " + message);
            }
        }
    }

    @Test
    void theMemoryFileMustBeThereAndOfTheLayoutsSize() throws Exception {
        writeSnapshot();
        Files.delete(dir.resolve("memory"));
        assertMessage("the snapshot's memory file " + dir.resolve("memory") + " is missing");
        try (RandomAccessFile memory = new RandomAccessFile(dir.resolve("memory").toFile(), "rw")) {
            memory.setLength((3 << 20) - 4096);
        }
        assertMessage("holds " + ((3 << 20) - 4096) + " bytes, its memory layout needs " + (3 << 20));
    }

    @Test
    void headerFieldsOutOfBoundsAreRefusedEvenWithAGoodChecksum() throws Exception {
        createMemoryFile();
        assertHeaderRefused(h -> h.writeString("").writeInt(0), "the CPU vendor \"\"");
        assertHeaderRefused(h -> h.writeString("Genuine\u0001Intel").writeInt(0), "the CPU vendor \"Genuine?Intel\"");
        assertHeaderRefused(h -> h.writeString(INTEL).writeInt(257), "the CPUID entry count is 257, outside 0..256");
        assertHeaderRefused(h -> h.writeString(INTEL).writeInt(-1), "the CPUID entry count is -1");
        assertHeaderRefused(h -> h.writeString(INTEL).writeInt(0).writeInt(0), "the memory region count is 0, outside 1..64");
        assertHeaderRefused(h -> h.writeString(INTEL).writeInt(0).writeInt(65), "the memory region count is 65");
        assertHeaderRefused(h -> regions(h, 0, 4097), "which is not page-aligned");
        assertHeaderRefused(h -> regions(h, -4096, 4096), "memory region 0 at -4096");
        assertHeaderRefused(h -> regions(h, 0, 0), "memory region 0 at 0 of 0 bytes");
        assertHeaderRefused(h -> regions(h, 0, 8192, 4096, 4096), "overlaps the one before it");
        assertHeaderRefused(h -> regions(h, 1L << 52, 4096), "ends past 2^52");
        assertHeaderRefused(h -> regions(h, 0, 3 << 20).writeLong(4 << 20),
                "a memory file size of " + (4 << 20) + " for regions of " + (3 << 20));
        assertHeaderRefused(h -> regions(h, 0, 3 << 20).writeLong(3 << 20).writeByte(0), "1 bytes are left unread");
        assertHeaderRefused(h -> h.writeString(INTEL).writeInt(1).writeInt(0), "it ends after");
    }

    @Test
    void lengthsOverTheFormatsCapsAreCorruptNotAllocated() throws Exception {
        writeSnapshot();
        byte[] bytes = stateBytes();
        ByteBuffer.wrap(bytes).putInt(12, SnapshotFile.MAX_HEADER_BYTES + 1);
        Files.write(dir.resolve("vm.state"), bytes);
        assertMessage("is corrupt: its header length reads 65537, over the 65536 a snapshot allows");

        bytes = stateBytes();
        ByteBuffer.wrap(bytes).putInt(8, SnapshotFile.FORMAT_VERSION).putInt(12, -1);
        Files.write(dir.resolve("vm.state"), bytes);
        assertMessage("its header length reads 4294967295");
    }

    @Test
    void aHeaderOutsideTheBoundsCannotBeWritten() {
        assertThrows(IllegalArgumentException.class, () -> new SnapshotHeader("", CPUID, LAYOUT));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotHeader(INTEL, CPUID, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotHeader(INTEL,
                java.util.Collections.nCopies(257, CPUID.get(0)), LAYOUT));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotHeader(INTEL, CPUID,
                List.of(new MemoryRange(1 << 20, 4096), new MemoryRange(0, 4096))));
    }

    private static StateOutput regions(StateOutput header, long... startsAndSizes) {
        header.writeString(INTEL).writeInt(0).writeInt(startsAndSizes.length / 2);
        for (long value : startsAndSizes) {
            header.writeLong(value);
        }
        if (startsAndSizes.length > 2) {
            header.writeLong(startsAndSizes[1] + startsAndSizes[3]);
        }
        return header;
    }

    private void assertHeaderRefused(Consumer<StateOutput> header, String detail) throws Exception {
        StateOutput out = new StateOutput();
        header.accept(out);
        Files.write(dir.resolve("vm.state"), frame(SnapshotFile.FORMAT_VERSION, out.toByteArray(), STATE));
        String message = assertThrows(SnapshotException.class, () -> SnapshotFile.read(dir, INTEL)).getMessage();
        assertTrue(message.contains(detail), message);
    }

    /** vm.state as SNAPSHOT-FORMAT.md gives it, built here independently of SnapshotFile. */
    private static byte[] frame(int version, byte[] header, byte[] state) {
        ByteBuffer buffer = ByteBuffer.allocate(8 + 4 + 4 + header.length + 4 + state.length + 4);
        buffer.put("FLINTSNP".getBytes(StandardCharsets.US_ASCII)).putInt(version)
                .putInt(header.length).put(header).putInt(state.length).put(state);
        CRC32C crc = new CRC32C();
        crc.update(buffer.array(), 0, buffer.position());
        return buffer.putInt((int) crc.getValue()).array();
    }

    private void writeSnapshot() throws Exception {
        createMemoryFile();
        SnapshotFile.write(dir, HEADER, STATE);
    }

    private void createMemoryFile() throws Exception {
        try (RandomAccessFile memory = new RandomAccessFile(dir.resolve("memory").toFile(), "rw")) {
            memory.setLength(3 << 20);
        }
    }

    private byte[] stateBytes() throws Exception {
        return Files.readAllBytes(dir.resolve("vm.state"));
    }

    private void assertMessage(String detail) {
        assertMessage(detail, INTEL);
    }

    private void assertMessage(String detail, String hostVendor) {
        String message = assertThrows(SnapshotException.class, () -> SnapshotFile.read(dir, hostVendor)).getMessage();
        assertTrue(message.contains(detail), message);
    }
}
