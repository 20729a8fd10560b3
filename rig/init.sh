#!/bin/busybox sh
# /init of the nested rig (copied there by rig/rig.sh). Runs as PID 1 under busybox sh.
# Loads kvm-amd, runs /rig/cmd with the environment from /rig/env, prints the exit marker
# line that rig.sh waits for, and powers the machine off.
/bin/busybox --install -s 2>/dev/null   # applet symlinks; existing files (bash) are kept
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
. /rig/env
[ "$RIG_DEBUG" = 1 ] && set -x
mkdir -p "$HOME"

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# /tmp and /run get a fresh tmpfs, unless the caller included files there (a tmpfs would hide them).
for d in /tmp /run; do
    [ -z "$(ls -A "$d")" ] && mount -t tmpfs -o mode=1777 tmpfs "$d"
done
hostname rig
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null || true

for m in irqbypass kvm kvm-amd; do
    if ! insmod "/rig/modules/$m.ko" 2>/tmp/.insmod-err; then
        echo "rig: insmod $m failed: $(cat /tmp/.insmod-err)"
    fi
done
rm -f /tmp/.insmod-err
if [ ! -c /dev/kvm ]; then
    echo "rig: kvm-amd did not load: $(dmesg | grep -i -e kvm -e svm | tail -n 5 | tr '\n' ' ')$(dmesg | tail -n 3 | tr '\n' ' ')"
fi

# Included jars get their host mtimes back (rig.sh wrote them; the initramfs has none).
if [ -f /rig/mtimes ]; then
    while read -r t p; do touch -c -d "@$t" "$p"; done </rig/mtimes
fi

# Userspace output byte-exact: no \n -> \r\n on the serial console.
stty -onlcr </dev/console 2>/dev/null || true
mkdir -p "$RIG_WORKDIR"
cd "$RIG_WORKDIR" || echo "rig: cannot cd to $RIG_WORKDIR"

set +x
# The marker lines must not be cut by a kernel message (printk can land mid-line on the UART):
# silence the console log while they are sent. 'stty' returns only once the UART has sent
# everything (it sets the attributes with TCSADRAIN).
loglevel=$(cut -f1 /proc/sys/kernel/printk)
echo 1 >/proc/sys/kernel/printk
echo "$RIG_START $(cut -d' ' -f1 /proc/uptime)"
stty -onlcr </dev/console 2>/dev/null
echo "$loglevel" >/proc/sys/kernel/printk
/bin/sh /rig/cmd </dev/null
rc=$?
echo 1 >/proc/sys/kernel/printk
echo "$RIG_EXIT$rc"
stty -onlcr </dev/console 2>/dev/null
sync
poweroff -f
sleep 2
reboot -f
