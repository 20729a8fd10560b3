package dev.flint.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Flint's default guest initramfs: a static busybox with a link for each of its applets, the
 * guest agent ({@code /bin/flint-agent}, PID 1 of machines, started with
 * {@code rdinit=/bin/flint-agent}), the {@code /init} script that {@code flint boot} runs, the
 * console and null device nodes, and the empty mount points.
 */
public final class GuestInitramfs {
    /** Where Debian's {@code busybox-static} installs its binary. */
    public static final Path DEFAULT_BUSYBOX = Path.of("/bin/busybox");
    /**
     * Bumped whenever {@link #archive} changes what it puts in the image, so the cached
     * initramfs (keyed by it, the init script, busybox and the agent) is rebuilt.
     */
    static final int LAYOUT_VERSION = 3;
    /** What a login shell ({@code sh -l}, Machine.shell) loads; profile.d lets images add to it. */
    static final String PROFILE = """
            export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
            export HOME=${HOME:-/root}
            export PS1='\\h:\\w\\$ '
            for f in /etc/profile.d/*.sh; do [ -r "$f" ] && . "$f"; done
            unset f
            """;
    /** Where the guest agent is installed in the image. */
    public static final String AGENT_PATH = "/bin/flint-agent";
    /** The busybox applets {@code /init} runs, linked in {@code /bin} even if busybox cannot list its own. */
    public static final List<String> APPLETS =
            List.of("sh", "mount", "hostname", "devmem", "cat", "setsid", "cttyhack", "reboot", "poweroff");
    static final String INIT_RESOURCE = "init.sh";

    private GuestInitramfs() {
    }

    /** Every applet {@code busybox --list} names (commands run in machines need them), else {@link #APPLETS}. */
    static List<String> applets(Path busybox) {
        java.util.TreeSet<String> applets = new java.util.TreeSet<>(APPLETS);
        try {
            Process list = new ProcessBuilder(busybox.toString(), "--list").redirectErrorStream(true).start();
            String out = new String(list.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (list.waitFor() == 0) {
                out.lines().map(String::strip).filter(name -> name.matches("[a-z0-9_.\\[-]+") && !name.equals("busybox"))
                        .filter(name -> !name.contains("/") && !name.equals("[") && !name.equals("[["))
                        .forEach(applets::add);
            }
        } catch (IOException e) {
            // Not runnable here: the init script's applets still get their links.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return List.copyOf(applets);
    }

    /** The {@code /init} script's bytes, as shipped in this module. */
    public static byte[] initScript() {
        return GuestImages.resource(INIT_RESOURCE);
    }

    /** The archive for {@code busybox} without an agent (enough for {@code flint boot}). */
    public static CpioArchive archive(Path busybox) {
        return archive(busybox, null);
    }

    /**
     * The archive for {@code busybox} (a static binary: Debian's busybox-static) and the static
     * guest {@code agent} (guest-agent/build-agent.sh), which may be null.
     */
    public static CpioArchive archive(Path busybox, Path agent) {
        if (!Files.isRegularFile(busybox)) {
            throw new IllegalStateException("no busybox at " + busybox
                    + ": install Debian's busybox-static package (apt-get install busybox-static)");
        }
        CpioArchive archive = new CpioArchive();
        for (String dir : List.of("/bin", "/dev", "/etc", "/proc", "/root", "/sys", "/tmp")) {
            archive.directory(dir, dir.equals("/tmp") ? 01777 : dir.equals("/root") ? 0700 : 0755);
        }
        archive.file("/bin/busybox", 0755, busybox);
        for (String applet : applets(busybox)) {
            archive.symlink("/bin/" + applet, "busybox");
        }
        if (agent != null) {
            if (!Files.isRegularFile(agent)) {
                throw new IllegalStateException("no guest agent at " + agent + ": build it with guest-agent/build-agent.sh"
                        + " (./flint build does)");
            }
            archive.file(AGENT_PATH, 0755, agent);
        }
        return archive
                .file("/etc/passwd", 0644, "root:x:0:0:root:/root:/bin/sh\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .file("/etc/group", 0644, "root:x:0:\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .file("/etc/profile", 0644, PROFILE.getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .charDevice("/dev/console", 0600, 5, 1)
                .charDevice("/dev/null", 0666, 1, 3)
                .file("/init", 0755, initScript());
    }
}
