#!/bin/busybox sh
# Flint's default guest init (PID 1). Mounts the kernel filesystems, tells the host it reached
# userspace (boot marker, then the ready line on the console), then powers off at once, or
# first runs a console shell when the kernel command line has flint.init=shell.
export PATH=/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
hostname flint

# Boot marker: byte 123 to guest-physical 0xc0000000, which the VMM timestamps as "init ran".
devmem 0xc0000000 8 123
echo "flint-init: ready with $(nproc) CPUs"

read -r cmdline </proc/cmdline
case " $cmdline " in
    *" flint.init=shell "*)
        busybox --install -s /bin
        setsid cttyhack sh
        ;;
esac

# Power off. The kernel runs with reboot=k, so this reset is a write of 0xFE to i8042 port
# 0x64. The VMM takes it as the guest's power-off only after byte 15 at 0xc0000008 announced it
# (a kernel panic resets the same way, unannounced: a crash). Closing the console first waits
# for the serial line to drain, so the host sees all of the output.
exec </dev/null >/dev/null 2>&1
devmem 0xc0000008 8 15
reboot -f
