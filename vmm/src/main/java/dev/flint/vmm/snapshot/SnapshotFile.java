package dev.flint.vmm.snapshot;

import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.sys.AtomicFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A snapshot's {@code vm.state}: one versioned file holding the {@link SnapshotHeader} and the
 * machine's state (the bytes a {@link StateOutput} composed of vCPU, VM and device sections),
 * beside the memory file {@code memory} ({@link dev.flint.vmm.memory.GuestMemory#writeTo}).
 * The layout is in {@code vmm/SNAPSHOT-FORMAT.md}: magic {@code FLINTSNP}, the format version,
 * the header and the state as length-prefixed byte strings, and a CRC32C of everything before it.
 *
 * <p>Reading checks, in this order, that it is a Flint snapshot, of this format version, whole,
 * not corrupt (checksum), with a header inside its bounds, taken on this host's CPU vendor, and
 * that the memory file beside it is there and of the layout's size. Each failure is a
 * {@link SnapshotException} that says which and what to do.
 */
public final class SnapshotFile {
    public static final String STATE_FILE = "vm.state";
    public static final String MEMORY_FILE = "memory";
    /**
     * The format version this Flint writes and reads (2: the state has the agent signal's section;
     * 3: the vsock device's state has the host's next local port).
     */
    public static final int FORMAT_VERSION = 3;
    public static final int MAX_HEADER_BYTES = 64 * 1024;
    /** The most bytes of machine state (vCPUs, VM, devices: well under a MiB in practice). */
    public static final int MAX_STATE_BYTES = 64 << 20;

    private static final byte[] MAGIC = "FLINTSNP".getBytes(StandardCharsets.US_ASCII);
    /** Magic, version, header length; then after the header the state length; after the state the CRC. */
    private static final int PREFIX_BYTES = MAGIC.length + 8;
    private static final int CPUID_ENTRY_INTS = 7;

    /** A snapshot as read: its header and the machine's state bytes. */
    public record Contents(SnapshotHeader header, byte[] state) {
    }

    private SnapshotFile() {
    }

    /**
     * Writes {@code dir/vm.state} (creating {@code dir}): into a temp file, fsynced, renamed over
     * any old one. Write the memory file first: {@code vm.state} is what makes the directory a
     * snapshot.
     */
    public static void write(Path dir, SnapshotHeader header, byte[] state) throws SnapshotException {
        byte[] bytes = encode(header, state);
        Path file = dir.resolve(STATE_FILE);
        try {
            Files.createDirectories(dir);
            AtomicFile.replace(file, out -> out.write(bytes));
        } catch (IOException e) {
            throw new SnapshotException("could not write the snapshot " + file + ": " + e
                    + "; check that the disk has space and the directory is writable", e);
        }
    }

    /**
     * Removes {@code dir/vm.state}, if any, durably: the first step of replacing a snapshot in
     * place, so that a crash before the new {@code vm.state} is written leaves no snapshot rather
     * than the old state beside the new memory file.
     */
    public static void invalidate(Path dir) throws SnapshotException {
        try {
            if (Files.deleteIfExists(dir.resolve(STATE_FILE))) {
                AtomicFile.syncDirectory(dir);
            }
        } catch (IOException e) {
            throw new SnapshotException("could not remove the old snapshot " + dir.resolve(STATE_FILE) + ": " + e
                    + "; check that the directory is writable", e);
        }
    }

    /**
     * Reads {@code dir/vm.state} and checks it and the memory file beside it, for a restore on a
     * host whose CPUID vendor is {@code hostVendor}.
     */
    public static Contents read(Path dir, String hostVendor) throws SnapshotException {
        Path file = dir.resolve(STATE_FILE);
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > PREFIX_BYTES + MAX_HEADER_BYTES + 4L + MAX_STATE_BYTES + 4) {
                throw new SnapshotException(file + " is corrupt: it has " + size + " bytes, more than any Flint snapshot"
                        + " state; take the snapshot again");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new SnapshotException("there is no snapshot in " + dir + ": it has no " + STATE_FILE
                    + " (a snapshot is the directory with " + STATE_FILE + " and " + MEMORY_FILE + ")", e);
        } catch (IOException e) {
            throw new SnapshotException("could not read the snapshot " + file + ": " + e, e);
        }
        Contents contents = decode(bytes, file.toString(), hostVendor);
        checkMemoryFile(dir.resolve(MEMORY_FILE), contents.header().memoryFileSize());
        return contents;
    }

    /** The bytes of a {@code vm.state}. */
    static byte[] encode(SnapshotHeader header, byte[] state) throws SnapshotException {
        if (state.length > MAX_STATE_BYTES) {
            throw new SnapshotException("the machine's state is " + state.length + " bytes, over the "
                    + MAX_STATE_BYTES + " a snapshot holds");
        }
        StateOutput out = new StateOutput();
        for (byte b : MAGIC) {
            out.writeByte(b);
        }
        out.writeInt(FORMAT_VERSION).writeBytes(encodeHeader(header)).writeBytes(state);
        byte[] body = out.toByteArray();
        return ByteBuffer.allocate(body.length + 4).put(body).putInt(crc32c(body, body.length)).array();
    }

    private static byte[] encodeHeader(SnapshotHeader header) {
        StateOutput out = new StateOutput().writeString(header.cpuVendor()).writeInt(header.cpuid().size());
        for (CpuidEntry e : header.cpuid()) {
            out.writeInt(e.function()).writeInt(e.index()).writeInt(e.flags())
                    .writeInt(e.eax()).writeInt(e.ebx()).writeInt(e.ecx()).writeInt(e.edx());
        }
        out.writeInt(header.memory().size());
        for (MemoryRange range : header.memory()) {
            out.writeLong(range.start()).writeLong(range.size());
        }
        return out.writeLong(header.memoryFileSize()).toByteArray();
    }

    /** Parses and checks the bytes of a {@code vm.state} (named {@code where} in errors), all but the memory file. */
    static Contents decode(byte[] bytes, String where, String hostVendor) throws SnapshotException {
        if (!startsWithMagic(bytes)) {
            if (bytes.length < MAGIC.length && Arrays.equals(bytes, 0, bytes.length, MAGIC, 0, bytes.length)) {
                throw truncated(where, bytes.length, MAGIC.length);
            }
            throw new SnapshotException(where + " is not a Flint snapshot: it starts with "
                    + HexFormat.ofDelimiter(" ").formatHex(bytes, 0, Math.min(8, bytes.length))
                    + ", not \"FLINTSNP\"; restore from a directory that 'snapshot' wrote");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        in.position(MAGIC.length);
        int version = intAt(in, where);
        if (version != FORMAT_VERSION) {
            throw new SnapshotException(otherVersion(where, version));
        }
        byte[] header = bytesAt(in, MAX_HEADER_BYTES, "header", where);
        byte[] state = bytesAt(in, MAX_STATE_BYTES, "state", where);
        int end = in.position();
        int expected = intAt(in, where);
        if (in.hasRemaining()) {
            throw new SnapshotException(where + " is corrupt: it goes on " + in.remaining()
                    + " bytes past the end its lengths give; take the snapshot again");
        }
        int actual = crc32c(bytes, end);
        if (actual != expected) {
            throw new SnapshotException(String.format("%s is corrupt: its CRC32C checksum reads %08x, its content"
                    + " gives %08x; the file was damaged since it was written: take the snapshot again", where, expected, actual));
        }
        SnapshotHeader parsed = decodeHeader(new StateInput(header, where + " header"), where);
        if (!parsed.cpuVendor().equals(hostVendor)) {
            throw new SnapshotException(otherVendor(where, parsed.cpuVendor(), hostVendor));
        }
        return new Contents(parsed, state);
    }

    /**
     * Why the snapshot in {@code dir} can never restore with this Flint on a host whose CPUID vendor
     * is {@code hostVendor}, however intact it is: it has another format version, or was taken on
     * another CPU vendor. Empty otherwise, also for a missing, foreign or damaged file: {@link #read}
     * says what is wrong with those. Reads only the start of {@code vm.state} (the header); callers
     * that can do without the snapshot (a template boots cold) ask this before a restore.
     */
    public static Optional<String> incompatibility(Path dir, String hostVendor) {
        Path file = dir.resolve(STATE_FILE);
        byte[] start;
        try (InputStream in = Files.newInputStream(file)) {
            start = in.readNBytes(PREFIX_BYTES + MAX_HEADER_BYTES);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!startsWithMagic(start) || start.length < MAGIC.length + 4) {
            return Optional.empty();
        }
        ByteBuffer prefix = ByteBuffer.wrap(start);
        int version = prefix.getInt(MAGIC.length);
        if (version != FORMAT_VERSION) {
            return Optional.of(otherVersion(file.toString(), version));
        }
        int headerLength = start.length < PREFIX_BYTES ? -1 : prefix.getInt(MAGIC.length + 4);
        if (headerLength < 0 || headerLength > start.length - PREFIX_BYTES) {
            return Optional.empty();
        }
        try {
            String vendor = new StateInput(Arrays.copyOfRange(start, PREFIX_BYTES, PREFIX_BYTES + headerLength), file
                    + " header").readString(SnapshotHeader.MAX_VENDOR_BYTES);
            return SnapshotHeader.vendorProblem(vendor) != null || vendor.equals(hostVendor) ? Optional.empty()
                    : Optional.of(otherVendor(file.toString(), vendor, hostVendor));
        } catch (SnapshotException e) {
            return Optional.empty();
        }
    }

    private static String otherVersion(String where, int version) {
        return where + " is a snapshot of format version " + Integer.toUnsignedString(version) + "; this Flint reads"
                + " version " + FORMAT_VERSION + ": restore it with the Flint that took it, or take the snapshot again";
    }

    private static String otherVendor(String where, String vendor, String hostVendor) {
        return "the snapshot " + where + " was taken on " + vendor + ", this host is " + hostVendor
                + ": a snapshot restores only on the same CPU vendor";
    }

    private static SnapshotHeader decodeHeader(StateInput in, String where) throws SnapshotException {
        String vendor = in.readString(SnapshotHeader.MAX_VENDOR_BYTES);
        String problem = SnapshotHeader.vendorProblem(vendor);
        if (problem != null) {
            throw outOfBounds(where, problem);
        }
        int cpuidCount = in.readInt(0, SnapshotHeader.MAX_CPUID_ENTRIES, "the CPUID entry count");
        List<CpuidEntry> cpuid = new ArrayList<>(cpuidCount);
        for (int i = 0; i < cpuidCount; i++) {
            int[] r = new int[CPUID_ENTRY_INTS];
            for (int j = 0; j < r.length; j++) {
                r[j] = in.readInt();
            }
            cpuid.add(new CpuidEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6]));
        }
        int regionCount = in.readInt(1, SnapshotHeader.MAX_MEMORY_REGIONS, "the memory region count");
        List<MemoryRange> memory = new ArrayList<>(regionCount);
        for (int i = 0; i < regionCount; i++) {
            long start = in.readLong();
            long size = in.readLong();
            if (start < 0 || size <= 0 || size > SnapshotHeader.MAX_GUEST_ADDRESS) {
                throw outOfBounds(where, "memory region " + i + " at " + start + " of " + size + " bytes");
            }
            memory.add(new MemoryRange(start, size));
        }
        problem = SnapshotHeader.layoutProblem(memory);
        if (problem != null) {
            throw outOfBounds(where, problem);
        }
        long memoryFileSize = in.readLong();
        in.expectEnd();
        SnapshotHeader header = new SnapshotHeader(vendor, cpuid, memory);
        if (memoryFileSize != header.memoryFileSize()) {
            throw outOfBounds(where, "a memory file size of " + memoryFileSize + " for regions of "
                    + header.memoryFileSize() + " bytes");
        }
        return header;
    }

    private static void checkMemoryFile(Path memory, long expected) throws SnapshotException {
        long size;
        try {
            size = Files.size(memory);
        } catch (NoSuchFileException e) {
            throw new SnapshotException("the snapshot's memory file " + memory + " is missing: a snapshot is "
                    + STATE_FILE + " and " + MEMORY_FILE + " together; copy both, or take the snapshot again", e);
        } catch (IOException e) {
            throw new SnapshotException("could not read the snapshot's memory file " + memory + ": " + e, e);
        }
        if (size != expected) {
            throw new SnapshotException("the snapshot's memory file " + memory + " holds " + size
                    + " bytes, its memory layout needs " + expected + ": it was truncated or belongs to another"
                    + " snapshot; take the snapshot again");
        }
    }

    private static boolean startsWithMagic(byte[] bytes) {
        return bytes.length >= MAGIC.length && Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    private static int intAt(ByteBuffer in, String where) throws SnapshotException {
        if (in.remaining() < 4) {
            throw truncated(where, in.limit(), in.position() + 4);
        }
        return in.getInt();
    }

    /** A length-prefixed byte string of at most {@code max} bytes, followed by at least 4 more (a length or the CRC). */
    private static byte[] bytesAt(ByteBuffer in, int max, String what, String where) throws SnapshotException {
        int length = intAt(in, where);
        if (length < 0 || length > max) {
            throw new SnapshotException(where + " is corrupt: its " + what + " length reads "
                    + Integer.toUnsignedString(length) + ", over the " + max + " a snapshot allows; take the snapshot again");
        }
        if (in.remaining() < length + 4L) {
            throw truncated(where, in.limit(), in.position() + length + 4L);
        }
        byte[] value = new byte[length];
        in.get(value);
        return value;
    }

    private static SnapshotException truncated(String where, long size, long needed) {
        return new SnapshotException(where + " is truncated: it ends after " + size + " bytes, its content needs "
                + needed + " or more; the snapshot was not written completely: take it again");
    }

    private static SnapshotException outOfBounds(String where, String problem) {
        return new SnapshotException(where + " has a header Flint cannot restore: " + problem
                + "; take the snapshot again");
    }

    private static int crc32c(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}
