package dev.flint.machine;

import dev.flint.vmm.VirtualMachine;

import java.util.ArrayList;
import java.util.List;

/**
 * The kernel command line of a Flint machine: the VMM's base, the agent as init, and what the
 * agent reads before it reports ready (guest-agent/PROTOCOL.md, "As PID 1").
 */
final class GuestCommandLine {
    static final String AGENT_PATH = "/bin/flint-agent";
    /** The virtio-fs tag of the share that serves image trees; the agent mounts it at /.flint/images. */
    static final String IMAGE_SHARE_TAG = "flint-images";

    private GuestCommandLine() {
    }

    /** The virtio-fs tag of the {@code index}th mount. */
    static String mountTag(int index) {
        return "flintfs" + index;
    }

    /** {@code diskArgument}: the machine disk's {@code flint.root=}/{@code flint.overlay=}, or empty. */
    static String of(MachineConfig config, String diskArgument) {
        List<String> parts = new ArrayList<>(List.of(VirtualMachine.BASE_CMDLINE, "quiet", "rdinit=" + AGENT_PATH,
                "flint.hostname=" + config.name(), "flint.images=" + IMAGE_SHARE_TAG));
        if (!diskArgument.isEmpty()) {
            parts.add(diskArgument);
        }
        String network = GuestNetwork.bootArgument(config);
        if (!network.isEmpty()) {
            parts.add(network);
        }
        if (!config.mounts().isEmpty()) {
            List<String> mounts = new ArrayList<>();
            for (int i = 0; i < config.mounts().size(); i++) {
                MountSpec mount = config.mounts().get(i);
                mounts.add(mountTag(i) + ":" + mount.target() + (mount.readOnly() ? ":ro" : ""));
            }
            parts.add("flint.mounts=" + String.join(",", mounts));
        }
        if (!config.bootArgs().isEmpty()) {
            parts.add(config.bootArgs());
        }
        return String.join(" ", parts);
    }
}
