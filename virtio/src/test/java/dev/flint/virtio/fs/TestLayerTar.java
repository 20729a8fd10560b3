package dev.flint.virtio.fs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes small layer tars for the image-share tests: ustar members, xattrs in a PAX header before a member. */
final class TestLayerTar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    TestLayerTar member(String name, char type, int mode, int uid, int gid, byte[] data, String link,
                        int major, int minor, Map<String, String> xattrs) {
        if (!xattrs.isEmpty()) {
            ByteArrayOutputStream records = new ByteArrayOutputStream();
            xattrs.forEach((key, value) -> {
                String body = " SCHILY.xattr." + key + "=" + value + "\n";
                int length = body.getBytes(StandardCharsets.UTF_8).length;
                int total = length + Integer.toString(length).length();
                total = length + Integer.toString(total).length();
                records.writeBytes((total + body).getBytes(StandardCharsets.UTF_8));
            });
            write(header("PaxHeaders/" + name, 'x', 0644, 0, 0, records.size(), "", 0, 0), records.toByteArray());
        }
        write(header(name, type, mode, uid, gid, data.length, link, major, minor), data);
        return this;
    }

    TestLayerTar file(String name, int mode, int uid, int gid, String content) {
        return member(name, '0', mode, uid, gid, content.getBytes(StandardCharsets.UTF_8), "", 0, 0, Map.of());
    }

    private static byte[] header(String name, char type, int mode, int uid, int gid, long size, String link,
                                 int major, int minor) {
        byte[] h = new byte[512];
        put(h, 0, name);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, 1_600_000_000L);
        h[156] = (byte) type;
        put(h, 157, link);
        put(h, 257, "ustar");
        put(h, 263, "00");
        octal(h, 329, 8, major);
        octal(h, 337, 8, minor);
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        return h;
    }

    private static void put(byte[] h, int offset, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(bytes, 0, h, offset, bytes.length);
    }

    private static void octal(byte[] h, int offset, int length, long value) {
        put(h, offset, String.format("%0" + (length - 1) + "o", value));
    }

    private void write(byte[] header, byte[] data) {
        out.writeBytes(header);
        out.writeBytes(data);
        out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    }

    Path writeTo(Path path) throws IOException {
        out.writeBytes(new byte[1024]);
        return Files.write(path, out.toByteArray());
    }
}
