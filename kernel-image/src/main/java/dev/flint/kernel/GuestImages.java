package dev.flint.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Finds Flint's built guest kernel and initramfs. Both live in the cache ({@code $FLINT_CACHE},
 * default {@code ~/.cache/flint}) under a key derived from what they are built from, so a change
 * to the kernel config or the init script points to a new, not yet built, artifact.
 * {@code FLINT_KERNEL} and {@code FLINT_INITRD} override the kernel and initramfs paths.
 */
public final class GuestImages {
    static final String KERNEL_CONFIG_RESOURCE = "guest-kernel.config";
    static final String BUILD_COMMAND = "./flint build";
    /** Under the initramfs cache: the last inputs' stamp and the key hashed from them. */
    static final String KEY_OF_INPUTS_FILE = "key-of-inputs";
    /** Initramfs keys this process hashed or read, by the stamp of their inputs. */
    private static final ConcurrentMap<String, String> INITRAMFS_KEYS = new ConcurrentHashMap<>();

    /** The guest's kernel (as ELF and bzImage) and initramfs. */
    public record Images(Path vmlinux, Path bzImage, Path initramfs) {
    }

    private final Map<String, String> env;
    private final Path busybox;
    private final Path agent;

    GuestImages(Map<String, String> env, Path busybox) {
        this.env = env;
        this.busybox = busybox;
        this.agent = env.containsKey("FLINT_AGENT") ? Path.of(env.get("FLINT_AGENT"))
                : cache().resolve("agent").resolve("flint-agent");
    }

    /** The locator for this process's environment and the system busybox. */
    public static GuestImages system() {
        return new GuestImages(System.getenv(), GuestInitramfs.DEFAULT_BUSYBOX);
    }

    /** The built images; fails naming each missing file and the command that builds it. */
    public static Images locate() {
        return system().require();
    }

    Images require() {
        Images images = expected();
        List<String> missing = missing(images);
        if (!missing.isEmpty()) {
            String busyboxHint = Files.isRegularFile(busybox) ? ""
                    : " (the initramfs needs " + busybox + ": apt-get install busybox-static)";
            throw new IllegalStateException("guest image not built: " + String.join(", ", missing)
                    + "; run " + BUILD_COMMAND + " to build it" + busyboxHint);
        }
        return images;
    }

    /** What {@link #locate()} would return, built or not. */
    public Images expected() {
        Path kernelDir = cache().resolve("kernel").resolve(kernelKey());
        Path vmlinux = env.containsKey("FLINT_KERNEL") ? Path.of(env.get("FLINT_KERNEL")) : kernelDir.resolve("vmlinux");
        Path initramfs = env.containsKey("FLINT_INITRD") ? Path.of(env.get("FLINT_INITRD"))
                : cache().resolve("initramfs").resolve(initramfsKey()).resolve("initramfs.cpio");
        return new Images(vmlinux, kernelDir.resolve("bzImage"), initramfs);
    }

    /** Descriptions of the artifacts not built yet, each starting with "kernel" or "initramfs". */
    public List<String> missing() {
        return missing(expected());
    }

    private static List<String> missing(Images images) {
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(images.vmlinux())) {
            missing.add("kernel " + images.vmlinux());
        }
        if (!Files.isRegularFile(images.initramfs())) {
            missing.add("initramfs " + images.initramfs());
        }
        return missing;
    }

    /** {@code $FLINT_CACHE}, else {@code $XDG_CACHE_HOME/flint}, else {@code ~/.cache/flint}. */
    public Path cache() {
        if (env.containsKey("FLINT_CACHE")) {
            return Path.of(env.get("FLINT_CACHE"));
        }
        if (env.containsKey("XDG_CACHE_HOME")) {
            return Path.of(env.get("XDG_CACHE_HOME"), "flint");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "flint");
    }

    /** First 16 hex digits of the kernel config fragment's sha256, as build-kernel.sh computes it. */
    public static String kernelKey() {
        return kernelKey(resource(KERNEL_CONFIG_RESOURCE));
    }

    /** The kernel key of a config fragment with these bytes. */
    static String kernelKey(byte[] fragment) {
        return sha256Prefix(fragment);
    }

    /**
     * First 16 hex digits of the sha256 of the image layout version, the init script, busybox and
     * the agent. Hashing those few MiB (twice per boot, as it was) took 0.3 s of a warm
     * {@code Machine.create} in the rig and 1 s of a fresh process's, so the key is kept, in this
     * process and in the cache, against a stamp of the inputs: their paths, sizes, modification
     * times and file keys, the way make trusts timestamps. The agent's build replaces its file,
     * so a rebuild is a new stamp.
     */
    public String initramfsKey() {
        String stamp = inputsStamp();
        if (stamp == null) {
            return hashInitramfsInputs();  // an input is unreadable: the hash names the problem
        }
        return INITRAMFS_KEYS.computeIfAbsent(stamp, this::storedOrHashedKey);
    }

    /** The stamp of busybox, the agent and the layout, or null when one of them cannot be stat'ed. */
    String inputsStamp() {
        StringBuilder stamp = new StringBuilder("layout ").append(GuestInitramfs.LAYOUT_VERSION)
                .append(" init ").append(sha256Prefix(GuestInitramfs.initScript()));
        for (Path input : List.of(busybox, agent)) {
            stamp.append('\n').append(input.toAbsolutePath());
            if (Files.exists(input)) {
                try {
                    BasicFileAttributes attributes = Files.readAttributes(input, BasicFileAttributes.class);
                    stamp.append(' ').append(attributes.size())
                            .append(' ').append(attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS))
                            .append(' ').append(attributes.fileKey());
                } catch (IOException e) {
                    return null;
                }
            } else {
                stamp.append(" absent");
            }
        }
        return stamp.toString();
    }

    String storedOrHashedKey(String stamp) {
        Path file = cache().resolve("initramfs").resolve(KEY_OF_INPUTS_FILE);
        String stampDigest = sha256Prefix(stamp.getBytes(StandardCharsets.UTF_8));
        try {
            String[] stored = Files.readString(file, StandardCharsets.US_ASCII).strip().split(" ");
            if (stored.length == 2 && stored[0].equals(stampDigest)) {
                return stored[1];
            }
        } catch (IOException e) {
            // None stored yet, or unreadable: hash.
        }
        String key = hashInitramfsInputs();
        store(file, stampDigest + " " + key + "\n");
        return key;
    }

    /** Replaces {@code file} with {@code line} in one step (concurrent processes each write a whole one); a read-only cache keeps none. */
    private static void store(Path file, String line) {
        Path partial = null;
        try {
            Files.createDirectories(file.getParent());
            partial = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".partial");
            Files.writeString(partial, line, StandardCharsets.US_ASCII);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                if (partial != null) {
                    Files.deleteIfExists(partial);
                }
            } catch (IOException ignored) {
                // Nothing more to do: the next process hashes again.
            }
        }
    }

    String hashInitramfsInputs() {
        try {
            byte[] busyboxBytes = Files.isRegularFile(busybox) ? Files.readAllBytes(busybox) : new byte[0];
            byte[] agentBytes = Files.isRegularFile(agent) ? Files.readAllBytes(agent) : new byte[0];
            byte[] layout = Integer.toString(GuestInitramfs.LAYOUT_VERSION).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            return sha256Prefix(layout, GuestInitramfs.initScript(), busyboxBytes, agentBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + busybox, e);
        }
    }

    Path busybox() {
        return busybox;
    }

    /** The static guest agent: {@code $FLINT_AGENT}, else {@code $FLINT_CACHE/agent/flint-agent}. */
    public Path agent() {
        return agent;
    }

    static byte[] resource(String name) {
        try (InputStream in = GuestImages.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the kernel-image module");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256Prefix(byte[]... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (byte[] part : parts) {
                digest.update(part);
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
