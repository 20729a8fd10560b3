package dev.flint.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Finds Flint's built guest kernel and initramfs. Both live in the cache ({@code $FLINT_CACHE},
 * default {@code ~/.cache/flint}) under a key derived from what they are built from, so a change
 * to the kernel config or the init script points to a new, not yet built, artifact.
 * {@code FLINT_KERNEL} and {@code FLINT_INITRD} override the kernel and initramfs paths.
 */
public final class GuestImages {
    static final String KERNEL_CONFIG_RESOURCE = "guest-kernel.config";
    static final String BUILD_COMMAND = "./flint build";

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
        List<String> missing = missing();
        if (!missing.isEmpty()) {
            String busyboxHint = Files.isRegularFile(busybox) ? ""
                    : " (the initramfs needs " + busybox + ": apt-get install busybox-static)";
            throw new IllegalStateException("guest image not built: " + String.join(", ", missing)
                    + "; run " + BUILD_COMMAND + " to build it" + busyboxHint);
        }
        return expected();
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
        Images images = expected();
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

    /** First 16 hex digits of the sha256 of the image layout version, the init script, busybox and the agent. */
    public String initramfsKey() {
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
