/**
 * Flint's guest images: the guest kernel's config (built by scripts/build-kernel.sh), the
 * initramfs builder, and a locator that finds the built artifacts for the other modules.
 */
module dev.flint.kernel {
    requires org.apache.commons.compress;
    exports dev.flint.kernel;
}
