package dev.flint.machine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A host directory shared into the guest through virtio-fs, mounted at {@code target} before
 * the machine is reported ready. A read-only mount refuses every write with EROFS, in the host.
 *
 * <pre>{@code
 * MachineConfig.builder()
 *         .mount(MountSpec.of(Path.of("/home/me/src"), "/workspace"))           // read-write
 *         .mount(new MountSpec(Path.of("/opt/data"), "/data", true))            // read-only
 *         .build();
 * }</pre>
 */
public record MountSpec(Path source, String target, boolean readOnly) {
    /** Absolute, no empty, "." or ".." components, and only characters the boot line carries safely. */
    private static final Pattern TARGET = Pattern.compile("(/[A-Za-z0-9_.@+-]+)+");
    private static final List<String> RESERVED = List.of("/proc", "/sys", "/dev", "/run", "/tmp", "/.flint");

    /** Checks the mount: {@code source} an existing directory (made absolute), {@code target} an absolute guest path outside the init's own. */
    public MountSpec {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        source = source.toAbsolutePath().normalize();
        if (!TARGET.matcher(target).matches() || List.of(target.split("/")).stream().anyMatch(p -> p.equals(".") || p.equals(".."))) {
            throw new InvalidConfigException("mount target must be an absolute guest path of letters, digits and"
                    + " '_.@+-' without '.' or '..' components, e.g. /workspace; got '" + target + "'");
        }
        for (String reserved : RESERVED) {
            if (target.equals(reserved) || target.startsWith(reserved + "/")) {
                throw new InvalidConfigException("mount target " + target + " is inside " + reserved
                        + ", which the guest's init owns; pick another path such as /workspace");
            }
        }
        if (!Files.isDirectory(source)) {
            throw new InvalidConfigException("mount source " + source + " does not exist or is not a directory;"
                    + " create it or fix the path");
        }
    }

    /** Shares {@code source} read-write at {@code target}. */
    public static MountSpec of(Path source, String target) {
        return new MountSpec(source, target, false);
    }
}
