package dev.flint.agent;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * One file request waiting for the agent: the frames the reader thread hands it (checked against
 * what the request expects and bounded: a read's data by the window, a list by its entry cap)
 * and the caller's thread taking them. Never blocks the reader thread.
 */
final class FileCall {
    /** Bytes of a stream sent and not acknowledged, each way (PROTOCOL.md, "Files"). */
    static final int WINDOW = 256 * 1024;
    /** The largest FILE_DATA payload, each way. */
    static final int CHUNK = 65536;
    /** The most entries the host keeps of one listing. */
    static final int MAX_ENTRIES = 100_000;
    /** How long a call waits while the agent sends nothing for it. */
    static final Duration SILENCE = Duration.ofSeconds(60);

    enum Kind { STAT, LIST, MKDIRS, REMOVE, WRITE, READ, SYMLINK }

    private final AgentClient client;
    final int id;
    final Kind kind;
    final String path;
    /** Data chunks (read) or entries (stat, list) not yet taken; guarded by this. */
    private final ArrayDeque<Object> items = new ArrayDeque<>();
    private long queuedBytes;
    private long sent;
    private long acked;
    private int entries;
    private boolean overflow;
    /** Null while the request runs; then {@link #DONE} or the failure. */
    private Object end;
    private long heardAt = System.nanoTime();
    private static final Object DONE = new Object();

    FileCall(AgentClient client, int id, Kind kind, String path) {
        this.client = client;
        this.id = id;
        this.kind = kind;
        this.path = path;
    }

    /** A frame from the agent for this call, on the reader thread. */
    synchronized void onFrame(Frame frame) throws ProtocolViolationException {
        if (end != null) {
            throw violation(frame, "after the request ended");
        }
        heardAt = System.nanoTime();
        switch (frame.type()) {
            case Frame.FILE_ERROR -> end = FileErrors.decode(frame.payload());
            case Frame.FILE_DONE -> {
                if (kind == Kind.STAT) {
                    throw violation(frame, "instead of its FILE_ENTRY");
                }
                end = DONE;
            }
            case Frame.FILE_ENTRY -> {
                FileEntry entry = FileEntry.decode(frame.payload());
                if (kind == Kind.STAT) {
                    items.add(entry);
                    end = DONE;
                } else if (kind != Kind.LIST) {
                    throw violation(frame, "which only a stat or list answers");
                } else if (entry.name().equals(".") || entry.name().equals("..") || entry.name().equals("/")) {
                    throw violation(frame, "naming \"" + entry.name() + "\", which no listing has");
                } else if (++entries > MAX_ENTRIES) {
                    overflow = true;   // dropped: the caller stops the listing and fails
                } else {
                    items.add(entry);
                }
            }
            case Frame.FILE_DATA -> {
                int length = frame.payload().length;
                if (kind != Kind.READ || length == 0 || length > CHUNK) {
                    throw violation(frame, "of " + length + " bytes; only a read gets data, 1 to " + CHUNK + " bytes a frame");
                }
                queuedBytes += length;
                if (queuedBytes > WINDOW) {
                    throw violation(frame, "that puts " + queuedBytes + " unacknowledged bytes in flight, over the window of " + WINDOW);
                }
                items.add(frame.payload());
            }
            case Frame.FILE_ACK -> {
                long n = Integer.toUnsignedLong(ByteBuffer.wrap(frame.payload()).getInt());
                if (kind != Kind.WRITE || n == 0 || acked + n > sent) {
                    throw violation(frame, "for " + n + " bytes; " + (kind != Kind.WRITE ? "only a write is acknowledged"
                            : "it has " + (sent - acked) + " unacknowledged"));
                }
                acked += n;
            }
            default -> throw violation(frame, "which no file request expects");
        }
        notifyAll();
    }

    private ProtocolViolationException violation(Frame frame, String why) {
        return new ProtocolViolationException(Frame.name(frame.type()) + " frame for the " + kind.name().toLowerCase()
                + " of " + path + " (id " + id + ") " + why);
    }

    synchronized void connectionLost(IOException cause) {
        if (end == null) {
            end = cause;
        }
        notifyAll();
    }

    /**
     * The next data chunk or entry, or null once the request succeeded; throws its failure.
     * A read's chunk is acknowledged as it is taken.
     */
    Object take() throws IOException, InterruptedException {
        Object item;
        synchronized (this) {
            await(() -> !items.isEmpty() || end != null);
            if (end != null && end != DONE) {
                items.clear();   // a failure wins over what is still queued: the stream is broken
                finish();
            }
            item = items.poll();
            if (item == null) {
                if (overflow) {
                    throw new IOException("directory " + path + " has more than " + MAX_ENTRIES
                            + " entries, more than the host keeps of one listing");
                }
                finish();
                return null;
            }
            if (item instanceof byte[] chunk) {
                queuedBytes -= chunk.length;
            }
        }
        if (item instanceof byte[] chunk) {
            client.send(new Frame(Frame.FILE_ACK, id, ByteBuffer.allocate(4).putInt(chunk.length).array()));
        }
        return item;
    }

    /** For a write: waits until {@code length} more bytes fit the window, then counts them sent. */
    synchronized void reserve(int length) throws IOException, InterruptedException {
        await(() -> sent - acked + length <= WINDOW || end != null);
        if (end != null) {
            finish();
            throw new IOException("the agent ended the write of " + path + " before its data was sent");
        }
        sent += length;
    }

    /** Waits for the end of the request; throws its failure. */
    synchronized void awaitEnd() throws IOException, InterruptedException {
        await(() -> end != null);
        finish();
    }

    /** Whether the agent already ended the request (a write that failed early). */
    synchronized boolean ended() {
        return end != null;
    }

    private void finish() throws IOException {
        if (end instanceof IOException failure) {
            throw failure instanceof java.nio.file.FileSystemException || failure instanceof ProtocolViolationException
                    ? failure : new IOException("the " + kind.name().toLowerCase() + " of " + path + " failed: " + failure.getMessage(), failure);
        }
    }

    private void await(java.util.function.BooleanSupplier ready) throws InterruptedException, IOException {
        while (!ready.getAsBoolean()) {
            long waited = System.nanoTime() - heardAt;
            if (waited >= SILENCE.toNanos()) {
                throw new IOException("the agent sent nothing for the " + kind.name().toLowerCase() + " of " + path
                        + " in " + SILENCE.toSeconds() + " s");
            }
            long millis = Math.max(1, (SILENCE.toNanos() - waited) / 1_000_000);
            wait(millis);
        }
    }

    static InterruptedIOException interrupted(String what, InterruptedException e) {
        Thread.currentThread().interrupt();
        InterruptedIOException io = new InterruptedIOException("interrupted during " + what);
        io.initCause(e);
        return io;
    }
}
