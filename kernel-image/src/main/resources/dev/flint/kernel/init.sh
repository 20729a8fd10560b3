#!/bin/busybox sh
# Flint's default guest init (PID 1): mounts the kernel filesystems, tells the host it reached
# userspace (boot marker, then the ready line), and powers off, or first runs a console shell
# when the kernel command line says flint.init=shell.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t tmpfs tmpfs /tmp
/bin/busybox --install -s /bin
export PATH=/bin HOME=/root

# Byte 123 to the host's boot-marker address: the host timestamps "guest reached init".
devmem 0xc0000000 8 123
hostname flint
echo "flint-init: ready"

case " $(cat /proc/cmdline) " in
    *" flint.init=shell "*) setsid cttyhack sh ;;
esac

# Closing the console lets the tty drain before the reset; with reboot=k the reset goes
# through the i8042, which the VMM takes as this guest's power-off.
exec </dev/null >/dev/null 2>&1
reboot -f
