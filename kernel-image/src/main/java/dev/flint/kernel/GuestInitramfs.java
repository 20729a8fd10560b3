package dev.flint.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Flint's default guest initramfs: a static busybox with links for the applets {@code /init}
 * uses, the {@code /init} script, the console and null device nodes, and the empty mount points.
 */
public final class GuestInitramfs {
    /** Where Debian's {@code busybox-static} installs its binary. */
    public static final Path DEFAULT_BUSYBOX = Path.of("/bin/busybox");
    /** The busybox applets {@code /init} runs, linked in {@code /bin}. */
    public static final List<String> APPLETS =
            List.of("sh", "mount", "hostname", "devmem", "cat", "setsid", "cttyhack", "reboot", "poweroff");
    static final String INIT_RESOURCE = "init.sh";

    private GuestInitramfs() {
    }

    /** The {@code /init} script's bytes, as shipped in this module. */
    public static byte[] initScript() {
        try (InputStream in = GuestInitramfs.class.getResourceAsStream(INIT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + INIT_RESOURCE + " is missing from the kernel-image module");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The archive for {@code busybox}, which must be a static binary (Debian's busybox-static). */
    public static CpioArchive archive(Path busybox) {
        if (!Files.isRegularFile(busybox)) {
            throw new IllegalStateException("no busybox at " + busybox
                    + ": install Debian's busybox-static package (apt-get install busybox-static)");
        }
        CpioArchive archive = new CpioArchive();
        for (String dir : List.of("/bin", "/dev", "/etc", "/proc", "/root", "/sys", "/tmp")) {
            archive.directory(dir, dir.equals("/tmp") ? 01777 : dir.equals("/root") ? 0700 : 0755);
        }
        archive.file("/bin/busybox", 0755, busybox);
        for (String applet : APPLETS) {
            archive.symlink("/bin/" + applet, "busybox");
        }
        return archive
                .charDevice("/dev/console", 0600, 5, 1)
                .charDevice("/dev/null", 0666, 1, 3)
                .file("/init", 0755, initScript());
    }
}
