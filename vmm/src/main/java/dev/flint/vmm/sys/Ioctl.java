package dev.flint.vmm.sys;

/** The {@code _IO}, {@code _IOR}, {@code _IOW} and {@code _IOWR} request encodings of asm-generic/ioctl.h. */
public final class Ioctl {
    private static final int NONE = 0;
    private static final int WRITE = 1;
    private static final int READ = 2;

    private Ioctl() {
    }

    private static long encode(int direction, int type, int number, long size) {
        if (size < 0 || size >= (1 << 14)) {
            throw new IllegalArgumentException("ioctl argument size out of range: " + size);
        }
        return ((long) direction << 30) | (size << 16) | ((long) type << 8) | number;
    }

    /** {@code _IO(type, nr)}: no argument struct. */
    public static long io(int type, int number) {
        return encode(NONE, type, number, 0);
    }

    /** {@code _IOR(type, nr, size)}: the kernel writes the argument. */
    public static long ior(int type, int number, long size) {
        return encode(READ, type, number, size);
    }

    /** {@code _IOW(type, nr, size)}: the kernel reads the argument. */
    public static long iow(int type, int number, long size) {
        return encode(WRITE, type, number, size);
    }

    /** {@code _IOWR(type, nr, size)}: the argument goes both ways. */
    public static long iowr(int type, int number, long size) {
        return encode(READ | WRITE, type, number, size);
    }
}
