/**
 * One microVM: KVM through the FFM API, guest memory, vCPU threads, the x86-64 Linux boot path
 * and the legacy devices a minimal guest needs. The only Flint module that calls restricted FFM
 * methods, so {@code --enable-native-access=dev.flint.vmm} is all a launcher grants.
 */
module dev.flint.vmm {
    exports dev.flint.vmm;
    exports dev.flint.vmm.sys;
    exports dev.flint.vmm.kvm;
    exports dev.flint.vmm.memory;
    exports dev.flint.vmm.boot;
    exports dev.flint.vmm.cpu;
    exports dev.flint.vmm.devices;
    exports dev.flint.vmm.net;
    exports dev.flint.vmm.snapshot;
}
