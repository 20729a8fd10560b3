package dev.flint.image.registry;

/** An index entry's {@code platform}: os, architecture and optional variant. */
public record Platform(String os, String architecture, String variant) {
    /** What Flint runs: linux on amd64 (a guest on x86-64 KVM). */
    public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", null);

    /** Same os and architecture; the variant is ignored (amd64 has none that matter). */
    public boolean matches(Platform wanted) {
        return wanted.os().equals(os) && wanted.architecture().equals(architecture);
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null || variant.isEmpty() ? "" : "/" + variant);
    }
}
