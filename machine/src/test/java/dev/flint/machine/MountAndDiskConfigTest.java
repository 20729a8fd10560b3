package dev.flint.machine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mounts, the machine's own disk and rootfs: every rule, and how they reach the guest's boot line. */
class MountAndDiskConfigTest {
    @TempDir
    Path dir;

    private static String rejected(Runnable build) {
        return assertThrows(InvalidConfigException.class, build::run).getMessage();
    }

    @Test
    void mountTargetsMustBePlainAbsoluteGuestPathsOutsideInitsOwn() {
        assertEquals("/workspace", MountSpec.of(dir, "/workspace").target());
        assertEquals("/a/b.c/d-e", MountSpec.of(dir, "/a/b.c/d-e").target());
        for (String bad : new String[] {"workspace", "/", "/a//b", "/a/../b", "/a/./b", "/a b", "/a,b", "/a:b", "/a/"}) {
            assertTrue(rejected(() -> MountSpec.of(dir, bad)).contains("mount target"), bad);
        }
        for (String reserved : new String[] {"/proc", "/dev/x", "/sys", "/tmp/a", "/run", "/.flint"}) {
            assertTrue(rejected(() -> MountSpec.of(dir, reserved)).contains("which the guest's init owns"), reserved);
        }
    }

    @Test
    void aMissingSourceIsAConfigErrorBeforeBoot() throws Exception {
        assertTrue(rejected(() -> MountSpec.of(dir.resolve("missing"), "/w")).contains("does not exist"));
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertTrue(rejected(() -> MountSpec.of(file, "/w")).contains("not a directory"));
    }

    @Test
    void duplicateTargetsAndTooManyDevicesAreRejected() {
        assertTrue(rejected(() -> MachineConfig.builder().mount(dir, "/w", false).mount(dir, "/w", true).build())
                .contains("two mounts share the target /w"));
        MachineConfig.Builder many = MachineConfig.builder().diskMb(64);
        for (int i = 0; i < MachineConfig.MAX_DISKS; i++) {
            many.mount(dir, "/m" + i, false);
        }
        assertTrue(rejected(many::build).contains("at most " + MachineConfig.MAX_DISKS + " disks and mounts"));
    }

    @Test
    void diskSizeAndRootfsAreValidated() {
        assertTrue(rejected(() -> MachineConfig.builder().diskMb(8).build()).contains("diskMb must be 0"));
        assertTrue(rejected(() -> MachineConfig.builder().diskMb(-1).build()).contains("diskMb must be 0"));
        assertTrue(rejected(() -> MachineConfig.builder().rootfs(dir.resolve("none")).build()).contains("rootfs"));
        assertFalse(MachineConfig.builder().build().hasOwnDisk());
        assertTrue(MachineConfig.builder().diskMb(64).build().hasOwnDisk());
        assertTrue(MachineConfig.builder().rootfs(dir).build().hasOwnDisk());
    }

    @Test
    void theBootLineCarriesHostnameImageShareDiskAndMountsInOrder() {
        MachineConfig config = MachineConfig.builder().name("box").mount(dir, "/src", true).mount(dir, "/out", false)
                .network(NetworkPolicy.none()).bootArgs("loglevel=3").build();
        String line = GuestCommandLine.of(config, "flint.overlay=/dev/vda");
        assertTrue(line.contains(" rdinit=/bin/flint-agent flint.hostname=box flint.images=flint-images flint.overlay=/dev/vda"
                + " flint.mounts=flintfs0:/src:ro,flintfs1:/out loglevel=3"), line);
        assertFalse(GuestCommandLine.of(MachineConfig.builder().build(), "").contains("flint.mounts"));
    }
}
