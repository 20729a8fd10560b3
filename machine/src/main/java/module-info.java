/** The user's door to Flint: the machine API and the {@code flint} command line. */
module dev.flint.machine {
    requires dev.flint.vmm;
    requires dev.flint.kernel;
    requires dev.flint.virtio;
    requires dev.flint.agent;
    requires java.management;
    exports dev.flint.machine;
    exports dev.flint.machine.cli;
}
