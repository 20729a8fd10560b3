package dev.flint.image.registry;

import io.airlift.compress.zstd.ZstdOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Builds small images for tests: ustar layers, gzip/zstd blobs, configs, manifests and indexes. */
public final class TestImages {
    private TestImages() {
    }

    /** A layer as built: its blob, the uncompressed tar's diff id, and its media type. */
    public record Layer(byte[] blob, String diffId, String mediaType) {
        public String digest() {
            return Digests.sha256(blob);
        }
    }

    /** An image as built: config and manifest bytes, its layers. */
    public record Image(byte[] config, byte[] manifest, List<Layer> layers) {
        public String manifestDigest() {
            return Digests.sha256(manifest);
        }

        public String configDigest() {
            return Digests.sha256(config);
        }
    }

    /** A ustar archive of regular files (name -> content), in order. */
    public static byte[] tar(Map<String, byte[]> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        files.forEach((name, content) -> {
            out.writeBytes(header(name, content.length, '0', ""));
            out.writeBytes(content);
            out.writeBytes(new byte[(512 - content.length % 512) % 512]);
        });
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    /** A tar of regular files followed by a symlink {@code link -> target}. */
    public static byte[] tarWithSymlink(Map<String, byte[]> files, String link, String target) {
        byte[] plain = tar(files);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(plain, 0, plain.length - 1024);
        out.writeBytes(header(link, 0, '2', target));
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    public static byte[] header(String name, long size, char type, String linkName) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", size));
        put(h, 136, String.format("%011o", 0));
        h[156] = (byte) type;
        put(h, 157, linkName);
        put(h, 257, "ustar");
        h[262] = 0;
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int offset, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(bytes, 0, h, offset, bytes.length);
    }

    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] zstd(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZstdOutputStream z = new ZstdOutputStream(out)) {
            z.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A layer holding one file {@code name} with {@code content}, compressed as {@code compression}. */
    public static Layer layer(String name, String content, Compression compression) {
        byte[] tar = tar(Map.of(name, content.getBytes(StandardCharsets.UTF_8)));
        return switch (compression) {
            case NONE -> new Layer(tar, Digests.sha256(tar), MediaTypes.OCI_LAYER);
            case GZIP -> new Layer(gzip(tar), Digests.sha256(tar), MediaTypes.DOCKER_LAYER_GZIP);
            case ZSTD -> new Layer(zstd(tar), Digests.sha256(tar), MediaTypes.OCI_LAYER_ZSTD);
        };
    }

    public static byte[] config(List<Layer> layers) {
        StringBuilder ids = new StringBuilder();
        for (Layer layer : layers) {
            ids.append(ids.isEmpty() ? "" : ",").append('"').append(layer.diffId()).append('"');
        }
        return ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + ids + "]}}").getBytes(StandardCharsets.UTF_8);
    }

    public static Image image(List<Layer> layers) {
        byte[] config = config(layers);
        List<Descriptor> descriptors = new ArrayList<>();
        layers.forEach(l -> descriptors.add(new Descriptor(l.mediaType(), l.digest(), l.blob().length, null)));
        byte[] manifest = Manifests.write(new Descriptor(MediaTypes.OCI_CONFIG, Digests.sha256(config), config.length,
                null), descriptors);
        return new Image(config, manifest, layers);
    }

    /** An OCI index with one entry per platform ("os/arch[/variant]" -> manifest digest and size). */
    public static byte[] index(Map<String, Image> byPlatform) {
        StringBuilder entries = new StringBuilder();
        byPlatform.forEach((platform, image) -> {
            String[] p = platform.split("/");
            entries.append(entries.isEmpty() ? "" : ",").append("{\"mediaType\":\"").append(MediaTypes.OCI_MANIFEST)
                    .append("\",\"digest\":\"").append(image.manifestDigest()).append("\",\"size\":")
                    .append(image.manifest().length).append(",\"platform\":{\"os\":\"").append(p[0])
                    .append("\",\"architecture\":\"").append(p[1]).append('"')
                    .append(p.length > 2 ? ",\"variant\":\"" + p[2] + "\"" : "").append("}}");
        });
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[" + entries + "]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Serves {@code image} from {@code registry} as {@code repository:tag}. */
    public static void serve(FakeRegistry registry, String repository, String tag, Image image) {
        registry.addBlob(image.config());
        image.layers().forEach(l -> registry.addBlob(l.blob()));
        registry.addManifest(repository, tag, image.manifest(), MediaTypes.OCI_MANIFEST);
    }

    public static Map<String, Image> platforms(Object... pairs) {
        Map<String, Image> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], (Image) pairs[i + 1]);
        }
        return map;
    }
}
