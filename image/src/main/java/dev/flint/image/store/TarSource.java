package dev.flint.image.store;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * A {@code docker save} tar, read in place: one pass indexes where each file's bytes lie, then
 * files are read at their offsets. Understands ustar prefixes, PAX {@code path}/{@code size},
 * GNU long names, and the symlinks older Dockers use for layers shared between images.
 */
final class TarSource implements ArchiveSource {
    private static final int BLOCK = 512;

    private record Entry(long offset, long size, String linkTo) {
    }

    private final Path file;
    private final FileChannel channel;
    private final Map<String, Entry> entries = new HashMap<>();

    private TarSource(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    static TarSource open(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        TarSource source = new TarSource(file, channel);
        try {
            source.index();
        } catch (NumberFormatException e) {
            channel.close();
            throw new IOException("not a tar archive (a header field is not a number: " + e.getMessage() + ")", e);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return source;
    }

    private void index() throws IOException {
        long position = 0;
        long length = channel.size();
        String longName = null;
        String longLink = null;
        Map<String, String> pax = Map.of();
        ByteBuffer header = ByteBuffer.allocate(BLOCK);
        while (position + BLOCK <= length) {
            header.clear();
            channel.read(header, position);
            byte[] h = header.array();
            if (isZero(h)) {
                break;
            }
            if (!checksumOk(h)) {
                throw new IOException("not a tar archive (bad header checksum at byte " + position + ")");
            }
            long size = pax.containsKey("size") ? Long.parseLong(pax.get("size")) : number(h, 124, 12);
            char type = (char) h[156];
            long data = position + BLOCK;
            position = data + (size + BLOCK - 1) / BLOCK * BLOCK;
            if (type == 'x' || type == 'L' || type == 'K') {
                byte[] content = new byte[(int) size];
                channel.read(ByteBuffer.wrap(content), data);
                if (type == 'x') {
                    pax = parsePax(content);
                } else if (type == 'L') {
                    longName = cString(content, 0, content.length);
                } else {
                    longLink = cString(content, 0, content.length);
                }
                continue;
            }
            if (type == 'g') {
                continue;
            }
            String name = pax.getOrDefault("path", longName != null ? longName : headerName(h));
            String link = pax.getOrDefault("linkpath", longLink != null ? longLink : cString(h, 157, 100));
            pax = Map.of();
            longName = null;
            longLink = null;
            name = normalize(name);
            if (type == '0' || type == '\0' || type == '7') {
                entries.put(name, new Entry(data, size, null));
            } else if (type == '2') {
                String parent = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
                entries.put(name, new Entry(0, 0, normalize(link.startsWith("/") ? link : parent + link)));
            } else if (type == '1') {
                entries.put(name, new Entry(0, 0, normalize(link)));
            }
        }
    }

    private static String headerName(byte[] h) {
        String name = cString(h, 0, 100);
        String magic = cString(h, 257, 6);
        if (magic.startsWith("ustar")) {
            String prefix = cString(h, 345, 155);
            if (!prefix.isEmpty()) {
                return prefix + "/" + name;
            }
        }
        return name;
    }

    /** {@code a/./b/../c/} -> {@code a/c}. */
    static String normalize(String path) {
        Deque<String> parts = new ArrayDeque<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(part);
            }
        }
        return String.join("/", parts);
    }

    private static Map<String, String> parsePax(byte[] content) {
        Map<String, String> records = new HashMap<>();
        int i = 0;
        while (i < content.length) {
            int space = i;
            while (space < content.length && content[space] != ' ') {
                space++;
            }
            if (space >= content.length) {
                break;
            }
            int length = Integer.parseInt(new String(content, i, space - i, StandardCharsets.US_ASCII));
            if (length <= 0) {
                break;
            }
            String record = new String(content, space + 1, i + length - space - 2, StandardCharsets.UTF_8);
            int equals = record.indexOf('=');
            if (equals > 0) {
                records.put(record.substring(0, equals), record.substring(equals + 1));
            }
            i += length;
        }
        return records;
    }

    private static long number(byte[] h, int offset, int length) {
        if ((h[offset] & 0x80) != 0) {
            long value = h[offset] & 0x7f;
            for (int i = 1; i < length; i++) {
                value = (value << 8) | (h[offset + i] & 0xff);
            }
            return value;
        }
        String text = cString(h, offset, length).strip();
        return text.isEmpty() ? 0 : Long.parseLong(text, 8);
    }

    private static boolean checksumOk(byte[] h) {
        long stored = number(h, 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        }
        return sum == stored;
    }

    private static boolean isZero(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cString(byte[] bytes, int offset, int length) {
        int end = offset;
        while (end < offset + length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
    }

    private Entry resolve(String path) {
        Entry entry = entries.get(normalize(path));
        for (int hops = 0; entry != null && entry.linkTo() != null && hops < 16; hops++) {
            entry = entries.get(entry.linkTo());
        }
        return entry == null || entry.linkTo() != null ? null : entry;
    }

    @Override
    public boolean exists(String path) {
        return resolve(path) != null;
    }

    @Override
    public InputStream open(String path) throws IOException {
        Entry entry = resolve(path);
        if (entry == null) {
            throw new NoSuchFileException(path + " in " + file);
        }
        FileChannel reader = FileChannel.open(file, StandardOpenOption.READ).position(entry.offset());
        return new FilterInputStream(Channels.newInputStream(reader)) {
            private long left = entry.size();

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(buffer, offset, (int) Math.min(length, left));
                if (n < 0) {
                    throw new IOException(path + " in " + file + " is cut short; the archive is truncated");
                }
                left -= n;
                return n;
            }
        };
    }

    @Override
    public String name() {
        String name = file.getFileName().toString();
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
