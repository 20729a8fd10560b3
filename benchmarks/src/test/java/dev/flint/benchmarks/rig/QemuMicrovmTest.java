package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QemuMicrovmTest {
    private static QemuMicrovm peer(OptionalLong cid) {
        return new QemuMicrovm(Path.of("/usr/bin/qemu-system-x86_64"), Path.of("/k/vmlinux"), Path.of("/i/initramfs.cpio"),
                "console=ttyS0 rdinit=/bin/flint-agent", 256, 1, cid);
    }

    @Test
    void bootsTheSameImagesWithTheSameCommandLineOnATunedMicrovm() {
        List<String> command = peer(OptionalLong.empty()).command();
        assertEquals("/usr/bin/qemu-system-x86_64", command.get(0));
        assertEquals("microvm,pit=off,pic=off,rtc=off,acpi=off", command.get(command.indexOf("-M") + 1));
        assertEquals("/k/vmlinux", command.get(command.indexOf("-kernel") + 1));
        assertEquals("/i/initramfs.cpio", command.get(command.indexOf("-initrd") + 1));
        assertEquals("console=ttyS0 rdinit=/bin/flint-agent", command.get(command.indexOf("-append") + 1));
        assertEquals("256", command.get(command.indexOf("-m") + 1));
        assertEquals("1", command.get(command.indexOf("-smp") + 1));
        assertTrue(command.containsAll(List.of("-enable-kvm", "-nodefaults", "-no-user-config", "-nographic")));
        assertEquals("host", command.get(command.indexOf("-cpu") + 1));
        assertEquals("stdio", command.get(command.indexOf("-serial") + 1));
        assertEquals(List.of(QemuMicrovm.RNG_DEVICE), devices(command), "an rng, as every Flint machine has");
    }

    private static List<String> devices(List<String> command) {
        return java.util.stream.IntStream.range(0, command.size() - 1).filter(i -> command.get(i).equals("-device"))
                .mapToObj(i -> command.get(i + 1)).toList();
    }

    @Test
    void aVsockCidAddsAVhostVsockDevice() {
        List<String> command = peer(OptionalLong.of(3)).command();
        assertEquals(List.of(QemuMicrovm.RNG_DEVICE, "vhost-vsock-device,guest-cid=3"), devices(command));
    }

    @Test
    void theRestoreRunsTheSameMachineWithQmpAndTheIncomingFile() {
        QemuMicrovm peer = peer(OptionalLong.of(3));
        List<String> saving = peer.commandWithQmp(Path.of("/tmp/s.qmp"));
        assertEquals(peer.command(), saving.subList(0, peer.command().size()), "same devices as the boot");
        assertEquals("unix:/tmp/s.qmp,server=on,wait=off", saving.get(saving.indexOf("-qmp") + 1));
        assertFalse(saving.contains("-incoming"));

        List<String> restoring = peer.restoreCommand(Path.of("/tmp/r.qmp"), Path.of("/tmp/state.bin"));
        assertEquals(peer.command(), restoring.subList(0, peer.command().size()), "a migration needs the same devices");
        assertEquals("unix:/tmp/r.qmp,server=on,wait=off", restoring.get(restoring.indexOf("-qmp") + 1));
        assertEquals("exec:cat /tmp/state.bin", restoring.get(restoring.indexOf("-incoming") + 1));
    }
}
