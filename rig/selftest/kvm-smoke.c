/* kvm-smoke: proves /dev/kvm inside the rig runs guest code (used by rig/selftest.sh).
 * A real-mode guest writes "OK\n" to port 0x3f8 and halts. Exit status 0 when the guest
 * produced exactly that and ended in KVM_EXIT_HLT. Build: gcc -static -O2 -o kvm-smoke kvm-smoke.c */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CHECK(x) do { if ((x) < 0) { perror(#x); exit(2); } } while (0)

int main(void) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    CHECK(kvm);
    int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    CHECK(vm);
    const unsigned char code[] = {
        0xba, 0xf8, 0x03,   /* mov dx, 0x3f8 */
        0xb0, 'O', 0xee,    /* mov al, 'O'; out dx, al */
        0xb0, 'K', 0xee,    /* mov al, 'K'; out dx, al */
        0xb0, '\n', 0xee,   /* mov al, '\n'; out dx, al */
        0xf4,               /* hlt */
    };
    unsigned char *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) { perror("mmap"); return 2; }
    memcpy(mem, code, sizeof code);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x1000, .userspace_addr = (unsigned long)mem,
    };
    CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region));
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    CHECK(vcpu);
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    CHECK(run_size);
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) { perror("mmap run"); return 2; }
    struct kvm_sregs sregs;
    CHECK(ioctl(vcpu, KVM_GET_SREGS, &sregs));
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    CHECK(ioctl(vcpu, KVM_SET_SREGS, &sregs));
    struct kvm_regs regs = { .rip = 0x1000, .rflags = 0x2 };
    CHECK(ioctl(vcpu, KVM_SET_REGS, &regs));
    char out[16];
    int n = 0, exits = 0;
    for (;;) {
        CHECK(ioctl(vcpu, KVM_RUN, 0));
        exits++;
        if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0x3f8) {
            if (n < (int)sizeof out - 1) out[n++] = *((char *)run + run->io.data_offset);
            continue;
        }
        if (run->exit_reason == KVM_EXIT_HLT) break;
        fprintf(stderr, "kvm-smoke: unexpected exit reason %u\n", run->exit_reason);
        return 1;
    }
    out[n] = 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("kvm-smoke: api %d, guest wrote \"%.*s\", %d exits, ended in HLT, %.1f ms\n",
           api, n && out[n - 1] == '\n' ? n - 1 : n, out, exits, ms);
    return strcmp(out, "OK\n") == 0 ? 0 : 1;
}
