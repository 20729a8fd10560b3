package dev.flint.virtio.fs;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.MockDriver;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The guest kernel's virtio-fs driver, for tests: lays FUSE requests into the hiprio and request
 * queues the way Linux's virtio_fs does (in header and arguments readable, out header and reply
 * writable, each in its own descriptor), notifies the device and decodes the reply.
 */
final class FuseDriver implements AutoCloseable {
    static final int QUEUE_SIZE = 256;
    static final int DEFAULT_ROOM = 8192;
    static final long ROOT = 1;

    final GuestMemory memory;
    final MockDriver hiprio;
    final MockDriver requests;
    final VirtioFs fs;
    final AtomicInteger interrupts = new AtomicInteger();
    final AtomicInteger broken = new AtomicInteger();
    private long unique = 100;

    /** One reply: the out header's error (0 or negative errno) and the payload. */
    record Reply(long unique, int error, byte[] payload, int used) {
        ByteBuffer buffer() {
            return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        }

        Reply ok() {
            assertEquals(0, error, "request " + unique + " failed with errno " + -error);
            return this;
        }
    }

    /** A decoded {@code fuse_entry_out}. */
    record Entry(long nodeId, long ino, long size, int mode, int nlink, long mtimeSeconds) {
        static Entry decode(ByteBuffer b, int at) {
            return new Entry(b.getLong(at), b.getLong(at + 40), b.getLong(at + 48), b.getInt(at + 100),
                    b.getInt(at + 104), b.getLong(at + 72));
        }
    }

    FuseDriver(Path directory, boolean readOnly) throws Exception {
        this(new VirtioFs("share", directory, readOnly),
                GuestMemory.onHeap(List.of(new MemoryRange(0, 96L << 20))));
    }

    FuseDriver(VirtioFs fs, GuestMemory memory) {
        this.fs = fs;
        this.memory = memory;
        this.hiprio = new MockDriver(memory, QUEUE_SIZE, 0);
        this.requests = new MockDriver(memory, QUEUE_SIZE, 0x100000);
        fs.activate(List.of(hiprio.queue(false), requests.queue(false)), VirtioDevice.F_VERSION_1,
                new VirtioDevice.DriverSignals() {
                    @Override
                    public void usedBuffers() {
                        interrupts.incrementAndGet();
                    }

                    @Override
                    public void deviceBroken() {
                        broken.incrementAndGet();
                    }
                });
    }

    @Override
    public void close() {
        fs.close();
    }

    // ---- request building ----

    /** Little-endian argument struct builder. */
    static final class Args {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        static Args of() {
            return new Args();
        }

        Args u32(long value) {
            byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) value).array();
            out.writeBytes(b);
            return this;
        }

        Args u64(long value) {
            byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
            out.writeBytes(b);
            return this;
        }

        Args name(String name) {
            out.writeBytes(name.getBytes(StandardCharsets.UTF_8));
            out.write(0);
            return this;
        }

        Args bytes(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        Args zeros(int count) {
            out.writeBytes(new byte[count]);
            return this;
        }

        byte[] build() {
            return out.toByteArray();
        }
    }

    static byte[] header(long length, int opcode, long unique, long nodeId) {
        return ByteBuffer.allocate(FuseInHeader.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putInt((int) length).putInt(opcode).putLong(unique).putLong(nodeId)
                .putInt(0).putInt(0).putInt(1234).putInt(0).array();
    }

    /** Sends a request whose readable part is exactly {@code readable} (header included) and returns the reply. */
    Reply raw(int room, byte[]... readable) {
        List<MockDriver.Part> parts = new ArrayList<>();
        for (byte[] r : readable) {
            parts.add(MockDriver.Part.read(r));
        }
        if (room > FuseReply.HEADER_BYTES) {
            parts.add(MockDriver.Part.write(FuseReply.HEADER_BYTES));
            parts.add(MockDriver.Part.write(room - FuseReply.HEADER_BYTES));
        } else if (room > 0) {
            parts.add(MockDriver.Part.write(room));
        }
        int head = requests.chain(parts.toArray(MockDriver.Part[]::new));
        requests.publish(head);
        fs.queueNotify(VirtioFs.REQUESTS);
        List<MockDriver.Used> used = requests.used();
        assertEquals(1, used.size(), "one used entry per request");
        assertEquals(head, used.get(0).head());
        int usedLength = used.get(0).length();
        if (usedLength == 0) {
            return new Reply(-1, 0, new byte[0], 0);
        }
        int firstWritable = (head + readable.length) % QUEUE_SIZE;
        ByteBuffer out = ByteBuffer.wrap(requests.read(requests.bufferOf(firstWritable), FuseReply.HEADER_BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        int length = out.getInt(0);
        assertEquals(length, usedLength, "used length matches the out header's length");
        byte[] payload = length > FuseReply.HEADER_BYTES
                ? requests.read(requests.bufferOf((firstWritable + 1) % QUEUE_SIZE), length - FuseReply.HEADER_BYTES)
                : new byte[0];
        return new Reply(out.getLong(8), out.getInt(4), payload, usedLength);
    }

    /** Publishes one hand-made chain on the request queue; returns the used length, or -1 when nothing came back. */
    int submit(MockDriver.Part... parts) {
        requests.publish(requests.chain(parts));
        fs.queueNotify(VirtioFs.REQUESTS);
        List<MockDriver.Used> used = requests.used();
        return used.isEmpty() ? -1 : used.get(0).length();
    }

    /** The error field of the out header at the first writable descriptor of the chain at {@code head}. */
    int errorAt(int descriptor) {
        return ByteBuffer.wrap(requests.read(requests.bufferOf(descriptor % QUEUE_SIZE), FuseReply.HEADER_BYTES))
                .order(ByteOrder.LITTLE_ENDIAN).getInt(4);
    }

    /** Sends {@code opcode} about {@code nodeId} with {@code args} on the request queue. */
    Reply call(int opcode, long nodeId, int room, byte[] args) {
        long id = unique++;
        Reply reply = raw(room, header(FuseInHeader.BYTES + args.length, opcode, id, nodeId), args);
        assertEquals(id, reply.unique(), "the reply carries the request's unique id");
        return reply;
    }

    Reply call(int opcode, long nodeId, byte[] args) {
        return call(opcode, nodeId, DEFAULT_ROOM, args);
    }

    /** Sends a request that has no reply (FORGET, BATCH_FORGET, INTERRUPT) on {@code queue}; returns the used length. */
    int post(MockDriver queue, int queueIndex, int opcode, long nodeId, byte[] args) {
        int head = queue.chain(MockDriver.Part.read(header(FuseInHeader.BYTES + args.length, opcode, unique++, nodeId)),
                MockDriver.Part.read(args));
        queue.publish(head);
        fs.queueNotify(queueIndex);
        List<MockDriver.Used> used = queue.used();
        assertEquals(1, used.size());
        return used.get(0).length();
    }

    // ---- one helper per common request ----

    Reply init(int minor, int flags) {
        return call(FuseOpcode.INIT, 0, Args.of().u32(7).u32(minor).u32(128 * 1024).u32(flags).u32(0).zeros(44).build());
    }

    void init() {
        init(37, -1).ok();
    }

    Reply lookupReply(long parent, String name) {
        return call(FuseOpcode.LOOKUP, parent, Args.of().name(name).build());
    }

    Entry lookup(long parent, String name) {
        return Entry.decode(lookupReply(parent, name).ok().buffer(), 0);
    }

    Reply getattr(long node) {
        return call(FuseOpcode.GETATTR, node, Args.of().u32(0).u32(0).u64(0).build());
    }

    Reply openReply(long node, int flags) {
        return call(FuseOpcode.OPEN, node, Args.of().u32(flags).u32(0).build());
    }

    long open(long node, int flags) {
        return openReply(node, flags).ok().buffer().getLong(0);
    }

    Reply opendirReply(long node) {
        return call(FuseOpcode.OPENDIR, node, Args.of().u32(0).u32(0).build());
    }

    Reply createReply(long parent, String name, int flags, int mode) {
        return call(FuseOpcode.CREATE, parent, Args.of().u32(flags).u32(mode).u32(022).u32(0).name(name).build());
    }

    /** CREATE; returns {node id, fh}. */
    long[] create(long parent, String name, int flags, int mode) {
        ByteBuffer b = createReply(parent, name, flags, mode).ok().buffer();
        assertEquals(FuseEncoding.ENTRY_OUT_BYTES + FuseEncoding.OPEN_OUT_BYTES, b.capacity());
        return new long[]{b.getLong(0), b.getLong(FuseEncoding.ENTRY_OUT_BYTES)};
    }

    static byte[] readIn(long fh, long offset, int size) {
        return Args.of().u64(fh).u64(offset).u32(size).u32(0).u64(0).u32(0).u32(0).build();
    }

    Reply read(long fh, long offset, int size) {
        return call(FuseOpcode.READ, 0, size + FuseReply.HEADER_BYTES, readIn(fh, offset, size));
    }

    Reply write(long fh, long offset, byte[] data) {
        return call(FuseOpcode.WRITE, 0, Args.of().u64(fh).u64(offset).u32(data.length).u32(0).u64(0).u32(0).u32(0)
                .bytes(data).build());
    }

    Reply release(long fh) {
        return call(FuseOpcode.RELEASE, 0, Args.of().u64(fh).u32(0).u32(0).u64(0).build());
    }

    Reply releasedir(long fh) {
        return call(FuseOpcode.RELEASEDIR, 0, Args.of().u64(fh).u32(0).u32(0).u64(0).build());
    }

    Reply mkdir(long parent, String name, int mode) {
        return call(FuseOpcode.MKDIR, parent, Args.of().u32(mode).u32(022).name(name).build());
    }

    Reply mknod(long parent, String name, int mode) {
        return call(FuseOpcode.MKNOD, parent, Args.of().u32(mode).u32(0).u32(022).u32(0).name(name).build());
    }

    Reply unlink(long parent, String name) {
        return call(FuseOpcode.UNLINK, parent, Args.of().name(name).build());
    }

    Reply rmdir(long parent, String name) {
        return call(FuseOpcode.RMDIR, parent, Args.of().name(name).build());
    }

    Reply rename(long parent, String name, long newParent, String newName) {
        return call(FuseOpcode.RENAME, parent, Args.of().u64(newParent).name(name).name(newName).build());
    }

    Reply rename2(long parent, String name, long newParent, String newName, int flags) {
        return call(FuseOpcode.RENAME2, parent, Args.of().u64(newParent).u32(flags).u32(0).name(name).name(newName).build());
    }

    Reply symlink(long parent, String name, String target) {
        return call(FuseOpcode.SYMLINK, parent, Args.of().name(name).name(target).build());
    }

    Reply link(long node, long newParent, String name) {
        return call(FuseOpcode.LINK, newParent, Args.of().u64(node).name(name).build());
    }

    Reply readlink(long node) {
        return call(FuseOpcode.READLINK, node, new byte[0]);
    }

    /** SETATTR with the given valid bits and values (mode, size, atime, mtime). */
    Reply setattr(long node, int valid, long fh, long size, long atime, long mtime, int mode) {
        return call(FuseOpcode.SETATTR, node, Args.of().u32(valid).u32(0).u64(fh).u64(size).u64(0)
                .u64(atime).u64(mtime).u64(0).u32(0).u32(0).u32(0).u32(mode).u32(0).u32(0).u32(0).u32(0).build());
    }

    /** Names in a READDIR or READDIRPLUS reply. */
    static List<String> direntNames(byte[] payload, boolean plus) {
        List<String> names = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        while (at < payload.length) {
            int dirent = at + (plus ? FuseEncoding.ENTRY_OUT_BYTES : 0);
            int nameLength = b.getInt(dirent + 16);
            names.add(new String(Arrays.copyOfRange(payload, dirent + 24, dirent + 24 + nameLength), StandardCharsets.UTF_8));
            at = dirent + FuseEncoding.direntSize(nameLength);
        }
        return names;
    }

    Reply readdir(long fh, long offset, int size, boolean plus) {
        return call(plus ? FuseOpcode.READDIRPLUS : FuseOpcode.READDIR, 0, size + FuseReply.HEADER_BYTES,
                readIn(fh, offset, size));
    }
}
