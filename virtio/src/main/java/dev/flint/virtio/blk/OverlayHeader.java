package dev.flint.virtio.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The last 4 KiB of an overlay file: which base image the overlay is over, and how that base
 * looked when the overlay was made (size, modification time, SHA-256 of its first and last MiB),
 * so that an overlay over a base that changed since is refused instead of showing a corrupt disk.
 * Big-endian, fixed offsets, a CRC32C over the rest; written once at create, never changed.
 *
 * <pre>
 *   0  magic "FLINTOVL"      8  version u32       12  cluster size u32
 *  16  capacity u64 (the base's size)            24  base mtime, ns since the epoch, i64
 *  32  base fingerprint, 32 bytes                  64  base path length u16, then its UTF-8 bytes
 * 4092 CRC32C of bytes 0..4091
 * </pre>
 */
record OverlayHeader(long capacity, long baseMtimeNanos, byte[] baseFingerprint, Path base) {
    static final int BYTES = 4096;
    static final int VERSION = 1;
    /** Big enough for 256 million clusters (a 32 MiB map in memory); a bigger one is a corrupt header. */
    static final long MAX_CAPACITY = 16L << 40;
    private static final byte[] MAGIC = "FLINTOVL".getBytes(StandardCharsets.US_ASCII);
    private static final int PATH_AT = 66;
    private static final int MAX_PATH = BYTES - PATH_AT - 4;
    private static final int CRC_AT = BYTES - 4;
    private static final int FINGERPRINT_BYTES = 32;
    /** The fingerprint hashes this much at each end of the base: a partition table, a superblock, a GPT backup. */
    private static final int FINGERPRINT_SPAN = 1 << 20;

    /** How {@code base}, a disk of {@code capacity} bytes (a raw image's size, a frozen overlay's disk), looks now. */
    static OverlayHeader describe(Path base, FileChannel baseFile, long capacity) throws IOException {
        Path absolute = base.toAbsolutePath().normalize();
        if (absolute.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH) {
            throw new IOException("base image path " + absolute + " is longer than " + MAX_PATH + " bytes");
        }
        return new OverlayHeader(capacity, mtimeNanos(absolute), fingerprint(baseFile, baseFile.size()), absolute);
    }

    ByteBuffer encode() {
        byte[] path = base.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        b.put(MAGIC).putInt(VERSION).putInt(OverlayStore.CLUSTER).putLong(capacity)
                .putLong(baseMtimeNanos).put(baseFingerprint).putShort((short) path.length).put(path);
        b.putInt(CRC_AT, crc(b.array()));
        return b.clear();
    }

    /** Decodes and bounds the {@link #BYTES} of {@code b}, the end of {@code overlay}; every field a corrupt file could hold is checked. */
    static OverlayHeader decode(ByteBuffer b, Path overlay) throws IOException {
        if (!Arrays.equals(MAGIC, 0, MAGIC.length, b.array(), 0, MAGIC.length)) {
            throw corrupt(overlay, "no Flint overlay header at its end");
        }
        if (b.getInt(CRC_AT) != crc(b.array())) {
            throw corrupt(overlay, "its header checksum does not match");
        }
        int version = b.getInt(8);
        if (version != VERSION) {
            throw new IOException("overlay " + overlay + " has format version " + version + "; this Flint reads version "
                    + VERSION);
        }
        int cluster = b.getInt(12);
        long capacity = b.getLong(16);
        int pathLength = Short.toUnsignedInt(b.getShort(PATH_AT - 2));
        if (cluster != OverlayStore.CLUSTER || capacity <= 0 || capacity > MAX_CAPACITY
                || capacity % VirtioBlk.SECTOR != 0 || pathLength == 0 || pathLength > MAX_PATH) {
            throw corrupt(overlay, "its header has cluster size " + cluster + ", capacity " + capacity
                    + " and a base path of " + pathLength + " bytes");
        }
        byte[] fingerprint = Arrays.copyOfRange(b.array(), 32, 32 + FINGERPRINT_BYTES);
        Path base = Path.of(new String(b.array(), PATH_AT, pathLength, StandardCharsets.UTF_8));
        return new OverlayHeader(capacity, b.getLong(24), fingerprint, base);
    }

    /**
     * Refuses a base that is not the one this overlay was made over, naming what changed;
     * {@code capacity} is the disk the base holds now.
     */
    void checkBase(FileChannel baseFile, long capacity, Path overlay) throws IOException {
        String changed = capacity != this.capacity ? "its size went from " + this.capacity + " to " + capacity + " bytes"
                : mtimeNanos(base) != baseMtimeNanos ? "it was modified"
                : !Arrays.equals(fingerprint(baseFile, baseFile.size()), baseFingerprint)
                ? "its first or last MiB differ"
                : null;
        if (changed != null) {
            throw new IOException("base image " + base + " changed since overlay " + overlay + " was made over it ("
                    + changed + "): the overlay's disk would be corrupt. Restore the base or recreate the overlay");
        }
    }

    private static IOException corrupt(Path overlay, String why) {
        return new IOException("overlay " + overlay + " is not a valid Flint overlay (" + why
                + "): it was truncated, overwritten or never was one");
    }

    private static int crc(byte[] header) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, CRC_AT);
        return (int) crc.getValue();
    }

    private static long mtimeNanos(Path file) throws IOException {
        return Files.getLastModifiedTime(file).to(TimeUnit.NANOSECONDS);
    }

    private static byte[] fingerprint(FileChannel file, long size) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        ByteBuffer span = ByteBuffer.allocate((int) Math.min(size, FINGERPRINT_SPAN));
        FileIo.readFully(file, span, 0, "base image");
        sha.update(span.flip());
        FileIo.readFully(file, span.clear(), size - span.capacity(), "base image");
        sha.update(span.flip());
        return sha.digest();
    }

    @Override
    public String toString() {
        return "OverlayHeader[capacity=" + capacity + ", base=" + base + ", baseMtimeNanos="
                + baseMtimeNanos + ", baseFingerprint=" + HexFormat.of().formatHex(baseFingerprint) + "]";
    }
}
