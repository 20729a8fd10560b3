package dev.flint.machine;

import dev.flint.kernel.GuestImages;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end: {@code ./flint boot} boots Flint's kernel and initramfs with the Java VMM, the
 * guest's init prints its ready line on the serial console and powers off, and the VMM exits 0.
 * Natively when this host has hardware KVM; inside the nested rig (QEMU emulating AMD SVM)
 * when it has PVM or no KVM. Runs when {@code -Dflint.e2e=true} ({@code ./flint test} sets it).
 */
class BootE2EIT {
    private static final Pattern MARKER = Pattern.compile("boot marker \\(init started\\) at ([0-9.]+) ms");

    @Test
    void flintBootsTheVmlinuxAndTheBzImageToInitAndPowersOff() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end boot needs the guest kernel build and hardware KVM or the nested rig; run ./flint test");
        Path bzImage = GuestImages.system().expected().bzImage();
        // Both boots in one rig session: the rig's own boot costs more than a guest's.
        String flint = E2E.flint();
        // The vmlinux boots with two vCPUs: the MP table and per-vCPU CPUID must bring both up.
        String script = flint + " boot --cpus 2 --memory-mb 256 --timeout 600 && echo '== bzImage ==' && "
                + flint + " boot --memory-mb 256 --timeout 600 --kernel " + bzImage;
        E2E.Result result = E2E.runScript(script, 1200, bzImage.toString());

        assertEquals(0, result.exitCode(), "both boots exit 0:\n" + result.output());
        String[] boots = result.output().split("== bzImage ==", 2);
        assertEquals(2, boots.length, "the vmlinux boot finished and the bzImage boot started:\n" + result.output());
        String where = E2E.where();
        for (int i = 0; i < 2; i++) {
            String kernel = i == 0 ? "vmlinux" : "bzImage";
            String boot = boots[i];
            String cpus = i == 0 ? "2" : "1";
            assertTrue(boot.contains("flint-init: ready with " + cpus + " CPUs"),
                    kernel + ": guest init printed its ready line, seeing " + cpus + " CPUs:\n" + boot);
            assertTrue(boot.contains("flint: guest powered off"), kernel + ": the guest powered itself off:\n" + boot);
            Matcher marker = MARKER.matcher(boot);
            assertTrue(marker.find(), kernel + ": the host saw the guest's boot marker:\n" + boot);
            System.out.printf("E2E boot of the %s (%s): VM creation to boot marker %s ms%n", kernel, where, marker.group(1));
        }
    }
}
