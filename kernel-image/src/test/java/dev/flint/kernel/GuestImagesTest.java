package dev.flint.kernel;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestImagesTest {
    @TempDir
    Path dir;

    @Test
    void kernelKeyIsTheFragmentsSha256PrefixAsTheBuildScriptComputesIt() {
        String key = GuestImages.kernelKey();
        assertEquals(16, key.length());
        assertEquals(GuestImages.sha256Prefix(GuestImages.resource(GuestImages.KERNEL_CONFIG_RESOURCE)), key);
        assertEquals("e3b0c44298fc1c14", GuestImages.sha256Prefix(new byte[0]), "sha256 of nothing");
    }

    @Test
    void kernelKeyIsStableAndFollowsTheFragmentsBytes() throws Exception {
        assertEquals(GuestImages.kernelKey(), GuestImages.kernelKey());
        assertEquals("ba7816bf8f01cfea", GuestImages.kernelKey("abc".getBytes(StandardCharsets.US_ASCII)));
        byte[] fragment = GuestImages.resource(GuestImages.KERNEL_CONFIG_RESOURCE);
        byte[] changed = (new String(fragment, StandardCharsets.UTF_8) + "CONFIG_NFS_FS=y\n").getBytes(StandardCharsets.UTF_8);
        assertNotEquals(GuestImages.kernelKey(), GuestImages.kernelKey(changed));
        // The build script keys the source file with sha256sum; the resource must be that file, byte for byte.
        Path source = Path.of("src/main/resources/dev/flint/kernel/guest-kernel.config");
        Assumptions.assumeTrue(Files.isRegularFile(source), "not run from the kernel-image module directory");
        assertEquals(GuestImages.kernelKey(Files.readAllBytes(source)), GuestImages.kernelKey());
        Process sha = new ProcessBuilder("sha256sum", source.toString()).redirectErrorStream(true).start();
        String out = new String(sha.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        Assumptions.assumeTrue(sha.waitFor() == 0, "no sha256sum: " + out);
        assertEquals(out.substring(0, 16), GuestImages.kernelKey());
    }

    @Test
    void initramfsKeyChangesWithBusybox() throws Exception {
        Path a = Files.writeString(dir.resolve("busybox-a"), "a");
        Path b = Files.writeString(dir.resolve("busybox-b"), "b");
        Map<String, String> env = Map.of("FLINT_CACHE", dir.toString());
        assertNotEquals(new GuestImages(env, a).initramfsKey(), new GuestImages(env, b).initramfsKey());
    }

    @Test
    void theInitramfsKeyIsTheInputsHashAndIsStoredUnderTheirStamp() throws Exception {
        GuestImages images = withAgent("agent v1");
        String key = images.initramfsKey();
        assertEquals(images.hashInitramfsInputs(), key);
        String stored = Files.readString(dir.resolve("initramfs").resolve(GuestImages.KEY_OF_INPUTS_FILE)).strip();
        assertEquals(GuestImages.sha256Prefix(images.inputsStamp().getBytes(StandardCharsets.UTF_8)) + " " + key, stored);
        try (var left = Files.list(dir.resolve("initramfs"))) {
            assertEquals(1, left.count(), "no partial file left beside it");
        }
    }

    @Test
    void aStoredKeyIsTrustedForItsOwnStampOnly() throws Exception {
        GuestImages images = withAgent("agent v1");
        String stamp = images.inputsStamp();
        Files.createDirectories(dir.resolve("initramfs"));
        Files.writeString(dir.resolve("initramfs").resolve(GuestImages.KEY_OF_INPUTS_FILE),
                GuestImages.sha256Prefix(stamp.getBytes(StandardCharsets.UTF_8)) + " cafecafecafecafe\n");
        assertEquals("cafecafecafecafe", images.storedOrHashedKey(stamp), "the same inputs: no hashing");

        GuestImages rebuilt = withAgent("agent v2, a longer build");
        assertNotEquals(stamp, rebuilt.inputsStamp());
        assertEquals(rebuilt.hashInitramfsInputs(), rebuilt.storedOrHashedKey(rebuilt.inputsStamp()));
    }

    @Test
    void aRebuiltAgentChangesTheKeyInTheSameProcess() throws Exception {
        String before = withAgent("agent v1").initramfsKey();
        GuestImages rebuilt = withAgent("agent v2, a longer build");
        assertNotEquals(before, rebuilt.initramfsKey());
        assertEquals(rebuilt.hashInitramfsInputs(), rebuilt.initramfsKey());
    }

    /** Images whose agent, at one path, was just built (replaced, as build-agent.sh does) with {@code content}. */
    private GuestImages withAgent(String content) throws Exception {
        Path busybox = dir.resolve("busybox");
        if (!Files.exists(busybox)) {
            Files.writeString(busybox, "bb");
        }
        Path partial = Files.writeString(dir.resolve("flint-agent.partial"), content);
        Path agent = Files.move(partial, dir.resolve("flint-agent"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return new GuestImages(Map.of("FLINT_CACHE", dir.toString(), "FLINT_AGENT", agent.toString()), busybox);
    }

    @Test
    void looksInFlintCacheAndNamesWhatIsMissingAndTheFix() throws Exception {
        Path busybox = Files.writeString(dir.resolve("busybox"), "bb");
        GuestImages images = new GuestImages(Map.of("FLINT_CACHE", dir.toString()), busybox);
        var expected = images.expected();
        assertEquals(dir.resolve("kernel").resolve(GuestImages.kernelKey()).resolve("vmlinux"), expected.vmlinux());
        var e = assertThrows(IllegalStateException.class, images::require);
        assertTrue(e.getMessage().contains(expected.vmlinux().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("./flint build"), e.getMessage());
        assertTrue(e.getMessage().contains("initramfs " + expected.initramfs()), e.getMessage());

        Files.createDirectories(expected.vmlinux().getParent());
        Files.writeString(expected.vmlinux(), "kernel");
        Files.createDirectories(expected.initramfs().getParent());
        Files.writeString(expected.initramfs(), "cpio");
        assertEquals(expected, images.require());
        assertTrue(images.missing().isEmpty());
    }

    @Test
    void environmentOverridesAndXdgCache() {
        GuestImages images = new GuestImages(Map.of("XDG_CACHE_HOME", "/x", "FLINT_KERNEL", "/k/vmlinux",
                "FLINT_INITRD", "/k/initrd"), dir.resolve("none"));
        assertEquals(Path.of("/x/flint"), images.cache());
        assertEquals(Path.of("/k/vmlinux"), images.expected().vmlinux());
        assertEquals(Path.of("/k/initrd"), images.expected().initramfs());
    }

    @Test
    void guestInitramfsHoldsBusyboxInitAndConsole() throws Exception {
        Path busybox = Files.writeString(dir.resolve("busybox"), "ELF pretend");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GuestInitramfs.archive(busybox).writeTo(out);
        var entries = CpioArchiveTest.read(out.toByteArray());
        assertEquals("ELF pretend", new String(entries.get("bin/busybox").data(), StandardCharsets.UTF_8));
        assertEquals(5, entries.get("dev/console").entry().getRemoteDeviceMaj());
        assertTrue(entries.containsKey("proc") && entries.containsKey("sys") && entries.containsKey("tmp"));
        String init = new String(entries.get("init").data(), StandardCharsets.UTF_8);
        assertTrue(init.startsWith("#!/bin/busybox sh"));
        assertTrue(init.contains("echo \"flint-init: ready with $(nproc) CPUs\""));
        assertTrue(init.contains("devmem 0xc0000000 8 123"), "boot marker write");
        assertTrue(init.contains("reboot -f"), "power-off through the i8042 reset");
        assertTrue(init.contains("flint.init=shell"));
        assertTrue(init.contains("mount -t proc proc /proc") && init.contains("mount -t sysfs sysfs /sys")
                && init.contains("mount -t devtmpfs devtmpfs /dev") && init.contains("mount -t tmpfs tmpfs /tmp"));
        assertTrue(init.contains("hostname flint"));
        assertTrue(init.indexOf("reboot -f") > init.indexOf("setsid cttyhack sh"), "the shell's exit powers off");
        for (String applet : GuestInitramfs.APPLETS) {
            var link = entries.get("bin/" + applet);
            assertEquals(CpioConstants.C_ISLNK | 0777, link.entry().getMode(), applet);
            assertEquals("busybox", new String(link.data(), StandardCharsets.UTF_8), applet);
        }
        assertEquals(1, entries.get("dev/null").entry().getRemoteDeviceMaj());
        assertEquals(3, entries.get("dev/null").entry().getRemoteDeviceMin());
        assertEquals(CpioConstants.C_ISDIR | 01777, entries.get("tmp").entry().getMode());
        assertEquals(0100755, entries.get("init").entry().getMode());
    }

    @Test
    void missingBusyboxNamesThePackage() {
        var e = assertThrows(IllegalStateException.class, () -> GuestInitramfs.archive(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("busybox-static"), e.getMessage());
    }

    @Test
    void toolPacksATreeAndBuildsTheGuestInitramfs() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/etc"));
        Files.writeString(tree.resolve("hostname"), "rig\n");
        Path packed = dir.resolve("out/rig.cpio");
        assertEquals(0, InitramfsTool.run(java.util.List.of("pack", dir.resolve("tree").toString(), packed.toString())));
        var entries = CpioArchiveTest.read(Files.readAllBytes(packed));
        assertEquals(java.util.List.of("etc", "etc/hostname"), java.util.List.copyOf(entries.keySet()));

        Assumptions.assumeTrue(Files.isRegularFile(GuestInitramfs.DEFAULT_BUSYBOX), "no busybox-static on this machine");
        Assumptions.assumeTrue(Files.isRegularFile(GuestImages.system().agent()),
                "the guest agent is not built (guest-agent/build-agent.sh)");
        Path guest = dir.resolve("guest.cpio");
        assertEquals(0, InitramfsTool.run(java.util.List.of("guest", guest.toString())));
        var guestEntries = CpioArchiveTest.read(Files.readAllBytes(guest));
        assertEquals(Files.size(GuestInitramfs.DEFAULT_BUSYBOX), guestEntries.get("bin/busybox").data().length);
        assertTrue(guestEntries.containsKey("init"));
        assertTrue(guestEntries.containsKey("bin/flint-agent"));
        assertTrue(guestEntries.containsKey("bin/uname"), "every busybox applet is linked");
        assertTrue(new String(guestEntries.get("etc/passwd").data()).startsWith("root:x:0:0:"), "whoami needs root in passwd");
    }

    @Test
    void toolRejectsBadArguments() throws Exception {
        assertEquals(2, InitramfsTool.run(java.util.List.of("pack", dir.toString())));
        assertEquals(2, InitramfsTool.run(java.util.List.of("pack", dir.resolve("nope").toString(), "out")));
        assertEquals(2, InitramfsTool.run(java.util.List.of("frob")));
        assertEquals(0, InitramfsTool.run(java.util.List.of("--help")));
    }
}
