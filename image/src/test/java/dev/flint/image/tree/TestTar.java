package dev.flint.image.tree;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tiny tar writer for tests: ustar headers, optional PAX records before a member, GNU long
 * names, and raw header tweaks, so every header form the index reads can be produced exactly.
 */
public final class TestTar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Where the data of the last member written starts. */
    long lastDataOffset;

    public TestTar file(String name, String content) {
        return member(name, '0', 0644, 0, 0, content.getBytes(StandardCharsets.UTF_8), "", 0, 0, Map.of());
    }

    public TestTar dir(String name) {
        return member(name, '5', 0755, 0, 0, new byte[0], "", 0, 0, Map.of());
    }

    public TestTar symlink(String name, String target) {
        return member(name, '2', 0777, 0, 0, new byte[0], target, 0, 0, Map.of());
    }

    TestTar hardlink(String name, String target) {
        return member(name, '1', 0644, 0, 0, new byte[0], target, 0, 0, Map.of());
    }

    /** Any member; PAX records (raw byte values) go in an 'x' header before it when {@code pax} is not empty. */
    TestTar member(String name, char type, int mode, long uid, long gid, byte[] data, String link,
                   int major, int minor, Map<String, byte[]> pax) {
        if (!pax.isEmpty()) {
            extended('x', "PaxHeaders/" + name, paxRecords(pax));
        }
        byte[] header = header(name.length() > 100 ? name.substring(0, 100) : name, type, mode, uid, gid,
                data.length, link.length() > 100 ? link.substring(0, 100) : link, major, minor);
        write(header, data);
        return this;
    }

    /** A global PAX header. */
    TestTar global(Map<String, byte[]> records) {
        return extended('g', "pax_global_header", paxRecords(records));
    }

    /** A GNU long name ('L') or long link ('K') header. */
    TestTar gnuLong(char type, String value) {
        byte[] bytes = (value + "\0").getBytes(StandardCharsets.UTF_8);
        write(header("././@LongLink", type, 0, 0, 0, bytes.length, "", 0, 0), bytes);
        return this;
    }

    /** A raw header (callers tweak fields) and its data. */
    TestTar raw(byte[] header, byte[] data) {
        checksum(header);
        write(header, data);
        return this;
    }

    private TestTar extended(char type, String name, byte[] data) {
        write(header(name.length() > 100 ? name.substring(0, 100) : name, type, 0644, 0, 0, data.length, "", 0, 0), data);
        return this;
    }

    static Map<String, byte[]> pax(String... keyValues) {
        Map<String, byte[]> records = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            records.put(keyValues[i], keyValues[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return records;
    }

    static byte[] paxRecords(Map<String, byte[]> records) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> record : records.entrySet()) {
            byte[] key = record.getKey().getBytes(StandardCharsets.UTF_8);
            int body = 1 + key.length + 1 + record.getValue().length + 1;
            int length = body + Integer.toString(body).length();
            if (Integer.toString(length).length() != Integer.toString(body).length()) {
                length++;
            }
            all.writeBytes((length + " ").getBytes(StandardCharsets.US_ASCII));
            all.writeBytes(key);
            all.write('=');
            all.writeBytes(record.getValue());
            all.write('\n');
        }
        return all.toByteArray();
    }

    /** A ustar header with its checksum. */
    static byte[] header(String name, char type, int mode, long uid, long gid, long size, String link, int major, int minor) {
        byte[] h = new byte[512];
        put(h, 0, name);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, 1_700_000_000L);
        h[156] = (byte) type;
        put(h, 157, link);
        put(h, 257, "ustar");
        put(h, 263, "00");
        put(h, 265, "root");
        put(h, 297, "root");
        octal(h, 329, 8, major);
        octal(h, 337, 8, minor);
        checksum(h);
        return h;
    }

    static void put(byte[] h, int offset, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(bytes, 0, h, offset, bytes.length);
    }

    static void octal(byte[] h, int offset, int length, long value) {
        String digits = String.format("%0" + (length - 1) + "o", value);
        put(h, offset, digits);
        h[offset + length - 1] = 0;
    }

    static void checksum(byte[] h) {
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        String digits = String.format("%06o", sum);
        put(h, 148, digits);
        h[154] = 0;
        h[155] = ' ';
    }

    private void write(byte[] header, byte[] data) {
        out.writeBytes(header);
        lastDataOffset = out.size();
        out.writeBytes(data);
        int pad = (int) ((512 - data.length % 512) % 512);
        out.writeBytes(new byte[pad]);
    }

    /** Ends the archive with two zero blocks and writes it to {@code path}. */
    public Path writeTo(Path path) throws IOException {
        out.writeBytes(new byte[1024]);
        Files.write(path, out.toByteArray());
        return path;
    }
}
