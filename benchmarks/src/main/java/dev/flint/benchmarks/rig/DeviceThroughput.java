package dev.flint.benchmarks.rig;

import dev.flint.agent.ProcessResult;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The same device transfers under each VMM, timed by the host around the agent's exec (the same
 * agent protocol on both sides, so its few milliseconds weigh the same): a sequential read and
 * write of the whole raw disk /dev/vda (virtio-blk; each round boots a fresh guest, so its page
 * cache is cold), and TCP through the NAT's forwarded port (the same libslirp under both): the
 * host downloading a file from the guest's busybox httpd and uploading to its nc. Recorded in MiB/s
 * as {@code SIDE.blk.read}, {@code SIDE.blk.write}, {@code SIDE.net.fwd_download},
 * {@code SIDE.net.fwd_upload}: higher is better. The disk's read and write are then made once
 * more, the guest's cache dropped first ({@code SIDE.blk.read_again}, {@code SIDE.blk.write_again}):
 * Flint's first transfer also pays for the JIT compiling its device path (in the rig, a fresh
 * JVM's first 64 MiB read took 2-3 times its third), QEMU's pays nothing of the kind.
 */
final class DeviceThroughput {
    static final int DISK_MB = 64;
    static final int NET_MB = 16;
    static final int GUEST_HTTP_PORT = 8080;
    static final int GUEST_SINK_PORT = 8081;
    /** Flint's NAT addressing (GuestNetwork), given to the peer's guest on its command line too. */
    static final String GUEST_NET_ARGUMENT = "flint.net=10.0.2.15/24,10.0.2.2,10.0.2.3";
    private static final Duration TRANSFER_TIMEOUT = Duration.ofMinutes(3);
    /** An upload whose count stops growing this long has lost bytes (the rig is slow, not this slow). */
    private static final Duration UPLOAD_STALL = Duration.ofSeconds(20);

    private DeviceThroughput() {
    }

    /** A raw disk of {@link #DISK_MB} MiB with every block written (no holes: both VMMs read real data). */
    static Path disk(Path dir) throws IOException {
        Path disk = dir.resolve("throughput.raw");
        byte[] block = new byte[1 << 20];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 31 + 7);
        }
        try (OutputStream out = Files.newOutputStream(disk)) {
            for (int i = 0; i < DISK_MB; i++) {
                out.write(block);
            }
        }
        return disk;
    }

    /** Guest commands, one per measured transfer (the sizes in the names are {@link #DISK_MB} and {@link #NET_MB}). */
    static List<String> readDisk() {
        return List.of("dd", "if=/dev/vda", "of=/dev/null", "bs=1M", "count=" + DISK_MB);
    }

    static List<String> writeDisk() {
        return List.of("dd", "if=/dev/zero", "of=/dev/vda", "bs=1M", "count=" + DISK_MB, "conv=fsync");
    }

    /** Empties the guest's page cache, so that the next read comes from the device again. */
    static List<String> dropGuestCache() {
        return List.of("sh", "-c", "sync && echo 3 > /proc/sys/vm/drop_caches");
    }

    /** busybox httpd serving {@link #NET_MB} MiB from tmpfs, and nc draining an upload; both daemons. */
    static List<String> startServers() {
        return List.of("sh", "-c", "mkdir -p /tmp/www && head -c " + (NET_MB << 20) + " /dev/zero > /tmp/www/blob"
                + " && httpd -p " + GUEST_HTTP_PORT + " -h /tmp/www"
                + " && (setsid nc -l -p " + GUEST_SINK_PORT + " > /tmp/upload 2> /dev/null < /dev/null &)"
                + " && sleep 1");   // nc listening before the host connects (slirp would accept and drop it)
    }

    /** The bytes nc received. */
    static List<String> uploadedBytes() {
        return List.of("sh", "-c", "wc -c < /tmp/upload");
    }

    /**
     * Times every transfer on one booted guest, whose guest ports {@link #GUEST_HTTP_PORT} and
     * {@link #GUEST_SINK_PORT} the host reaches at {@code httpHostPort} and {@code sinkHostPort}.
     */
    static void measure(String side, GuestExec guest, int httpHostPort, int sinkHostPort, BiConsumer<String, Double> record)
            throws Exception {
        record.accept(side + ".blk.read", mibPerSecond(DISK_MB, timed(guest, readDisk())));
        record.accept(side + ".blk.write", mibPerSecond(DISK_MB, timed(guest, writeDisk())));
        timed(guest, dropGuestCache());
        record.accept(side + ".blk.read_again", mibPerSecond(DISK_MB, timed(guest, readDisk())));
        record.accept(side + ".blk.write_again", mibPerSecond(DISK_MB, timed(guest, writeDisk())));
        timed(guest, startServers());
        record.accept(side + ".net.fwd_download", mibPerSecond(NET_MB, download(httpHostPort)));
        long start = System.nanoTime();
        upload(sinkHostPort);
        awaitUploaded(side, guest);
        record.accept(side + ".net.fwd_upload", mibPerSecond(NET_MB, System.nanoTime() - start));
    }

    /**
     * Until the guest's nc has written every uploaded byte. The host's last write returns with
     * megabytes still in its socket buffers, and busybox nc, its stdin at EOF, half-closes at once,
     * so the host's read of the guest's end says nothing about how much has arrived.
     */
    private static void awaitUploaded(String side, GuestExec guest) throws Exception {
        long total = (long) NET_MB << 20;
        long received = -1;
        long lastGrowth = System.nanoTime();
        while (true) {
            long now = Long.parseLong(new String(guest.exec(uploadedBytes()).stdout(), StandardCharsets.US_ASCII).strip());
            if (now == total) {
                return;
            }
            if (now != received) {
                received = now;
                lastGrowth = System.nanoTime();
            } else if (System.nanoTime() - lastGrowth > UPLOAD_STALL.toNanos()) {
                throw new IOException(side + ": the guest's nc received " + now + " bytes of the " + total
                        + " uploaded, and nothing more in " + UPLOAD_STALL.toSeconds() + " s");
            }
            Thread.sleep(100);
        }
    }

    private static long timed(GuestExec guest, List<String> argv) throws Exception {
        long start = System.nanoTime();
        ProcessResult result = guest.exec(argv);
        long nanos = System.nanoTime() - start;
        if (result.exitCode() != 0) {
            throw new IOException(String.join(" ", argv) + " exited " + result.exitCode() + ": "
                    + new String(result.stderr(), StandardCharsets.UTF_8).strip());
        }
        return nanos;
    }

    /** GET /blob from the guest's httpd through the forwarded port; nanoseconds to the last byte. */
    static long download(int hostPort) throws IOException {
        long start = System.nanoTime();
        try (Socket socket = connect(hostPort)) {
            socket.getOutputStream().write("GET /blob HTTP/1.0\r\nHost: guest\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            long body = bodyBytes(socket.getInputStream());
            if (body != (long) NET_MB << 20) {
                throw new IOException("the guest's httpd sent " + body + " bytes of body, not " + ((long) NET_MB << 20));
            }
        }
        return System.nanoTime() - start;
    }

    /** Writes {@link #NET_MB} MiB to the guest's nc and waits until it closes its end; nanoseconds. */
    static long upload(int hostPort) throws IOException {
        byte[] chunk = new byte[64 << 10];
        long start = System.nanoTime();
        try (Socket socket = connect(hostPort)) {
            OutputStream out = socket.getOutputStream();
            for (long sent = 0; sent < (long) NET_MB << 20; sent += chunk.length) {
                out.write(chunk);
            }
            socket.shutdownOutput();
            socket.getInputStream().transferTo(OutputStream.nullOutputStream());   // nc closes when it has read it all
        }
        return System.nanoTime() - start;
    }

    private static Socket connect(int hostPort) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", hostPort), (int) TRANSFER_TIMEOUT.toMillis());
        socket.setSoTimeout((int) TRANSFER_TIMEOUT.toMillis());
        return socket;
    }

    /** The bytes after an HTTP response's header block. */
    static long bodyBytes(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        int b;
        while (matched < end.length && (b = in.read()) >= 0) {
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        if (matched < end.length) {
            throw new IOException("the response ended inside its headers");
        }
        return in.transferTo(OutputStream.nullOutputStream());
    }

    static double mibPerSecond(int mib, long nanos) {
        return mib / (nanos / 1e9);
    }

    /** A TCP port free on the loopback now, for the peer's hostfwd (QEMU binds it itself). */
    static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
