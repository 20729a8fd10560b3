package dev.flint.virtio.fs;

import dev.flint.vmm.sys.Stat;

/** What {@code fstatat} said about a host file, copied out of native memory. */
record HostAttributes(long dev, long ino, int mode, long nlink, int uid, int gid, long rdev, long size,
                      long blksize, long blocks, long atimeSeconds, long atimeNanos, long mtimeSeconds,
                      long mtimeNanos, long ctimeSeconds, long ctimeNanos) {

    static HostAttributes of(Stat stat) {
        return new HostAttributes(stat.dev(), stat.ino(), stat.mode(), stat.nlink(), stat.uid(), stat.gid(),
                stat.rdev(), stat.size(), stat.blksize(), stat.blocks(), stat.atimeSeconds(), stat.atimeNanos(),
                stat.mtimeSeconds(), stat.mtimeNanos(), stat.ctimeSeconds(), stat.ctimeNanos());
    }

    int type() {
        return mode & Stat.S_IFMT;
    }
}
