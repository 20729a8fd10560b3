package dev.flint.virtio.fs;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flint.virtio.queue.MockDriver;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Fuzz target {@code fuse}: FUSE requests from a hostile guest against a virtio-fs share of a
 * temp directory that holds a file, a directory and symlinks pointing out of it ({@code up} to
 * {@code ../outside}, {@code abs} to its absolute path). Each request: an opcode byte (an index
 * into the opcodes Flint knows, or raw), a node id byte, a u16 argument length, a u16 reply
 * room, then the arguments. Oracle: no exception escapes the device; nothing outside the share
 * changes (the {@code outside} directory beside it and the directory holding both).
 * {@code ./flint fuzz fuse}; the unit tests replay {@code FuseFuzzTestInputs/replay}.
 */
public class FuseFuzzTest {
    private static final int[] OPCODES = {FuseOpcode.LOOKUP, FuseOpcode.FORGET, FuseOpcode.GETATTR, FuseOpcode.SETATTR,
        FuseOpcode.READLINK, FuseOpcode.SYMLINK, FuseOpcode.MKNOD, FuseOpcode.MKDIR, FuseOpcode.UNLINK, FuseOpcode.RMDIR,
        FuseOpcode.RENAME, FuseOpcode.LINK, FuseOpcode.OPEN, FuseOpcode.READ, FuseOpcode.WRITE, FuseOpcode.STATFS,
        FuseOpcode.RELEASE, FuseOpcode.FSYNC, FuseOpcode.SETXATTR, FuseOpcode.GETXATTR, FuseOpcode.LISTXATTR,
        FuseOpcode.REMOVEXATTR, FuseOpcode.FLUSH, FuseOpcode.INIT, FuseOpcode.OPENDIR, FuseOpcode.READDIR,
        FuseOpcode.RELEASEDIR, FuseOpcode.FSYNCDIR, FuseOpcode.ACCESS, FuseOpcode.CREATE, FuseOpcode.INTERRUPT,
        FuseOpcode.DESTROY, FuseOpcode.BATCH_FORGET, FuseOpcode.FALLOCATE, FuseOpcode.READDIRPLUS, FuseOpcode.RENAME2,
        FuseOpcode.LSEEK, FuseOpcode.COPY_FILE_RANGE, FuseOpcode.SYNCFS, FuseOpcode.TMPFILE};
    private static final int MAX_REQUESTS = 48;
    private static final Path BASE = base();

    private static Path base() {
        try {
            Path base = Files.createTempDirectory("flint-fuzz-fuse");
            base.toFile().deleteOnExit();
            return base;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void fuzzerTestOneInput(byte[] input) throws Exception {
        Path root = Files.createTempDirectory(BASE, "run");
        try {
            Path share = Files.createDirectory(root.resolve("share"));
            Path outside = Files.createDirectory(root.resolve("outside"));
            Files.writeString(outside.resolve("secret"), "host secret");
            Files.createDirectory(outside.resolve("dir"));
            Files.writeString(share.resolve("a"), "guest file");
            Files.createDirectory(share.resolve("d"));
            Files.createSymbolicLink(share.resolve("up"), Path.of("../outside"));
            Files.createSymbolicLink(share.resolve("abs"), outside);
            Map<String, String> before = snapshot(root, outside);
            GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 2 << 20)));
            boolean readOnly = input.length > 0 && (input[0] & 0x80) != 0;
            try (FuseDriver guest = new FuseDriver(new VirtioFs("fuzz", share, readOnly), memory)) {
                play(guest, input);
            }
            Map<String, String> after = snapshot(root, outside);
            if (!before.equals(after)) {
                throw new AssertionError("the guest changed the host outside its share: " + before + " -> " + after);
            }
        } finally {
            delete(root);
        }
    }

    private static void play(FuseDriver guest, byte[] input) {
        ByteBuffer in = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
        long unique = 1;
        for (int i = 0; i < MAX_REQUESTS && in.remaining() >= 6; i++) {
            int op = Byte.toUnsignedInt(in.get());
            int opcode = op < 0xc0 ? OPCODES[op % OPCODES.length] : op - 0xc0;
            long nodeId = Byte.toUnsignedInt(in.get()) % 16;
            int argLength = Short.toUnsignedInt(in.getShort()) % 1024;
            int room = Short.toUnsignedInt(in.getShort()) % 8192;
            byte[] args = new byte[Math.min(argLength, in.remaining())];
            in.get(args);
            byte[] header = FuseDriver.header(FuseInHeader.BYTES + args.length, opcode, unique++, nodeId);
            List<MockDriver.Part> parts = new ArrayList<>();
            parts.add(MockDriver.Part.read(header));
            if (args.length > 0) {
                parts.add(MockDriver.Part.read(args));
            }
            if (room >= FuseReply.HEADER_BYTES) {
                parts.add(MockDriver.Part.write(FuseReply.HEADER_BYTES));
                if (room > FuseReply.HEADER_BYTES) {
                    parts.add(MockDriver.Part.write(room - FuseReply.HEADER_BYTES));
                }
            } else if (room > 0) {
                parts.add(MockDriver.Part.write(room));
            }
            guest.submit(parts.toArray(MockDriver.Part[]::new));
        }
    }

    /** What must not change: the names beside the share, and every file, link and mode under outside. */
    private static Map<String, String> snapshot(Path root, Path outside) throws IOException {
        Map<String, String> state = new TreeMap<>();
        try (Stream<Path> beside = Files.list(root)) {
            beside.forEach(p -> state.put("root/" + p.getFileName(), ""));
        }
        try (Stream<Path> tree = Files.walk(outside)) {
            for (Path p : (Iterable<Path>) tree::iterator) {
                String what = Files.isSymbolicLink(p) ? "link " + Files.readSymbolicLink(p)
                        : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir"
                        : new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
                state.put(outside.relativize(p).toString(), what + " "
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)));
            }
        }
        return state;
    }

    private static void delete(Path root) throws IOException {
        // Make everything writable first: the guest may have chmod-ed directories to 000.
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path p : (Iterable<Path>) tree::iterator) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    p.toFile().setWritable(true);
                    p.toFile().setExecutable(true);
                    p.toFile().setReadable(true);
                }
            }
        }
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path p : (Iterable<Path>) tree.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) throws Exception {
        fuzzerTestOneInput(input);
    }
}
