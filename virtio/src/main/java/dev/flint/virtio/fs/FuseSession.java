package dev.flint.virtio.fs;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.ErrnoException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The FUSE connection's state: INIT negotiates protocol 7.x with the guest kernel (we speak
 * 7.31 to {@link #MINOR}; virtio-fs itself arrived in 7.31) and the capabilities both sides
 * support; DESTROY ends it. Until INIT, and after DESTROY, every other request is EIO.
 */
final class FuseSession {
    static final int MAJOR = 7;
    static final int MINOR = 38;
    static final int OLDEST_MINOR = 31;
    static final int INIT_OUT_BYTES = 64;

    static final int ASYNC_READ = 1;
    static final int ATOMIC_O_TRUNC = 1 << 3;
    static final int BIG_WRITES = 1 << 5;
    static final int AUTO_INVAL_DATA = 1 << 12;
    static final int DO_READDIRPLUS = 1 << 13;
    static final int READDIRPLUS_AUTO = 1 << 14;
    static final int PARALLEL_DIROPS = 1 << 18;
    static final int MAX_PAGES = 1 << 22;
    static final int CACHE_SYMLINKS = 1 << 23;
    /** What this server implements; the reply carries the subset the guest also offered. */
    static final int SUPPORTED = ASYNC_READ | ATOMIC_O_TRUNC | BIG_WRITES | AUTO_INVAL_DATA | DO_READDIRPLUS
            | READDIRPLUS_AUTO | PARALLEL_DIROPS | MAX_PAGES | CACHE_SYMLINKS;

    static final int MAX_WRITE = 1 << 20;
    static final int MAX_PAGES_COUNT = MAX_WRITE / 4096;
    static final int MAX_READAHEAD = 1 << 20;
    static final int MAX_BACKGROUND = 64;
    static final int CONGESTION_THRESHOLD = 48;

    private boolean initialized;

    boolean initialized() {
        return initialized;
    }

    /** INIT: {@code fuse_init_in { major, minor, max_readahead, flags, flags2, ... }} (16 or 64 bytes). */
    void init(FuseRequest request, FuseReply reply) throws ErrnoException {
        ByteBuffer in = request.struct("fuse_init_in", 16);
        int guestMajor = in.getInt(0);
        int guestMinor = in.getInt(4);
        long guestReadahead = Integer.toUnsignedLong(in.getInt(8));
        int guestFlags = in.getInt(12);
        if (initialized) {
            throw new ErrnoException("FUSE_INIT on a session already initialized", FuseErrno.EPROTO);
        }
        if (guestMajor != MAJOR || guestMinor < OLDEST_MINOR) {
            throw new ErrnoException("FUSE_INIT: guest speaks " + guestMajor + "." + guestMinor + ", we need "
                    + MAJOR + "." + OLDEST_MINOR + " or later", FuseErrno.EPROTO);
        }
        ByteBuffer out = ByteBuffer.allocate(INIT_OUT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int agreedMinor = Math.min(guestMinor, MINOR);
        int agreedFlags = guestFlags & SUPPORTED;
        out.putInt(0, MAJOR).putInt(4, agreedMinor)
                .putInt(8, (int) Math.min(guestReadahead, MAX_READAHEAD))
                .putInt(12, agreedFlags)
                .putShort(16, (short) MAX_BACKGROUND)
                .putShort(18, (short) CONGESTION_THRESHOLD)
                .putInt(20, MAX_WRITE)
                .putInt(24, 1)
                .putShort(28, (short) MAX_PAGES_COUNT);
        reply.payload("FUSE_INIT", out.array());
        initialized = true;
    }

    /**
     * Whether INIT ran, and the largest write it announced: what a snapshot saves (the rest of
     * the INIT reply is derived from the guest's INIT and fixed by this server, which the guest
     * keeps).
     */
    void write(StateOutput out) {
        out.writeBoolean(initialized).writeInt(MAX_WRITE);
    }

    /** Takes a saved session; refuses one whose guest was promised another max_write. */
    void restore(StateInput in) throws SnapshotException {
        boolean wasInitialized = in.readBoolean();
        int maxWrite = in.readInt();
        if (wasInitialized && maxWrite != MAX_WRITE) {
            throw new SnapshotException("the guest's FUSE session was set up with max_write " + maxWrite
                    + ", this Flint serves " + MAX_WRITE + "; restore with the Flint version that took the snapshot");
        }
        initialized = wasInitialized;
    }

    /** DESTROY: the guest unmounted; a new INIT may follow. */
    void destroy() {
        initialized = false;
    }
}
