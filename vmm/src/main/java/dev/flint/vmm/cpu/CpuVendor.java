package dev.flint.vmm.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * This host's CPU vendor ({@code GenuineIntel}, {@code AuthenticAMD}...), the name a snapshot
 * records: a guest's CPUID, MSRs and XSAVE area only make sense on a CPU of the same vendor.
 */
public final class CpuVendor {
    private static volatile String host;

    private CpuVendor() {
    }

    /** The {@code vendor_id} of this host's first CPU in {@code /proc/cpuinfo}, read once. */
    public static String ofHost() {
        String vendor = host;
        if (vendor == null) {
            try {
                vendor = parse(Files.readString(Path.of("/proc/cpuinfo"))).orElse("unknown");
            } catch (IOException e) {
                vendor = "unknown";
            }
            host = vendor;
        }
        return vendor;
    }

    /** The first {@code vendor_id : X} of a {@code /proc/cpuinfo} text. */
    static Optional<String> parse(String cpuinfo) {
        return cpuinfo.lines()
                .filter(line -> line.startsWith("vendor_id"))
                .map(line -> line.substring(line.indexOf(':') + 1).strip())
                .filter(vendor -> !vendor.isEmpty())
                .findFirst();
    }
}
