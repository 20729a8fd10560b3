package dev.flint.virtio.fs;

import java.util.Map;

/** FUSE request opcodes ({@code enum fuse_opcode} in include/uapi/linux/fuse.h) and their names for log lines. */
final class FuseOpcode {
    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int READLINK = 5;
    static final int SYMLINK = 6;
    static final int MKNOD = 8;
    static final int MKDIR = 9;
    static final int UNLINK = 10;
    static final int RMDIR = 11;
    static final int RENAME = 12;
    static final int LINK = 13;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int FSYNC = 20;
    static final int SETXATTR = 21;
    static final int GETXATTR = 22;
    static final int LISTXATTR = 23;
    static final int REMOVEXATTR = 24;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int FSYNCDIR = 30;
    static final int GETLK = 31;
    static final int SETLK = 32;
    static final int SETLKW = 33;
    static final int ACCESS = 34;
    static final int CREATE = 35;
    static final int INTERRUPT = 36;
    static final int BMAP = 37;
    static final int DESTROY = 38;
    static final int IOCTL = 39;
    static final int POLL = 40;
    static final int NOTIFY_REPLY = 41;
    static final int BATCH_FORGET = 42;
    static final int FALLOCATE = 43;
    static final int READDIRPLUS = 44;
    static final int RENAME2 = 45;
    static final int LSEEK = 46;
    static final int COPY_FILE_RANGE = 47;
    static final int SETUPMAPPING = 48;
    static final int REMOVEMAPPING = 49;
    static final int SYNCFS = 50;
    static final int TMPFILE = 51;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(LOOKUP, "LOOKUP"), Map.entry(FORGET, "FORGET"), Map.entry(GETATTR, "GETATTR"),
            Map.entry(SETATTR, "SETATTR"), Map.entry(READLINK, "READLINK"), Map.entry(SYMLINK, "SYMLINK"),
            Map.entry(MKNOD, "MKNOD"), Map.entry(MKDIR, "MKDIR"), Map.entry(UNLINK, "UNLINK"),
            Map.entry(RMDIR, "RMDIR"), Map.entry(RENAME, "RENAME"), Map.entry(LINK, "LINK"),
            Map.entry(OPEN, "OPEN"), Map.entry(READ, "READ"), Map.entry(WRITE, "WRITE"),
            Map.entry(STATFS, "STATFS"), Map.entry(RELEASE, "RELEASE"), Map.entry(FSYNC, "FSYNC"),
            Map.entry(SETXATTR, "SETXATTR"), Map.entry(GETXATTR, "GETXATTR"), Map.entry(LISTXATTR, "LISTXATTR"),
            Map.entry(REMOVEXATTR, "REMOVEXATTR"), Map.entry(FLUSH, "FLUSH"), Map.entry(INIT, "INIT"),
            Map.entry(OPENDIR, "OPENDIR"), Map.entry(READDIR, "READDIR"), Map.entry(RELEASEDIR, "RELEASEDIR"),
            Map.entry(FSYNCDIR, "FSYNCDIR"), Map.entry(GETLK, "GETLK"), Map.entry(SETLK, "SETLK"),
            Map.entry(SETLKW, "SETLKW"), Map.entry(ACCESS, "ACCESS"), Map.entry(CREATE, "CREATE"),
            Map.entry(INTERRUPT, "INTERRUPT"), Map.entry(BMAP, "BMAP"), Map.entry(DESTROY, "DESTROY"),
            Map.entry(IOCTL, "IOCTL"), Map.entry(POLL, "POLL"), Map.entry(NOTIFY_REPLY, "NOTIFY_REPLY"),
            Map.entry(BATCH_FORGET, "BATCH_FORGET"), Map.entry(FALLOCATE, "FALLOCATE"),
            Map.entry(READDIRPLUS, "READDIRPLUS"), Map.entry(RENAME2, "RENAME2"), Map.entry(LSEEK, "LSEEK"),
            Map.entry(COPY_FILE_RANGE, "COPY_FILE_RANGE"), Map.entry(SETUPMAPPING, "SETUPMAPPING"),
            Map.entry(REMOVEMAPPING, "REMOVEMAPPING"), Map.entry(SYNCFS, "SYNCFS"), Map.entry(TMPFILE, "TMPFILE"));

    private FuseOpcode() {
    }

    /** {@code FUSE_LOOKUP}, or {@code opcode N} for one we do not know. */
    static String name(int opcode) {
        String name = NAMES.get(opcode);
        return name == null ? "opcode " + opcode : "FUSE_" + name;
    }
}
