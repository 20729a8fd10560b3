package dev.flint.image.store;

import dev.flint.image.ImageException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps prune from deleting what a running pull has fetched but not yet recorded: pulls and loads
 * hold it shared, prune exclusive, across threads (a read-write lock) and processes (a shared or
 * exclusive lock on {@code locks/store.lock}, taken by the first sharer and dropped by the last).
 * One guard per lock file per JVM (a JVM may hold one lock per file), shared by every store
 * opened on that root.
 */
public final class StoreGuard implements AutoCloseable {
    private static final java.util.Map<Path, StoreGuard> OPEN = new java.util.HashMap<>();

    private int users;
    private final ReentrantReadWriteLock inProcess = new ReentrantReadWriteLock();
    private final FileChannel channel;
    private final Path file;
    private int sharers;
    private FileLock sharedLock;

    private StoreGuard(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** The JVM's guard for {@code file}; each open is matched by one {@link #close}. */
    public static StoreGuard open(Path file) {
        Path key = file.toAbsolutePath().normalize();
        synchronized (OPEN) {
            StoreGuard guard = OPEN.get(key);
            if (guard == null) {
                guard = create(key);
                OPEN.put(key, guard);
            }
            guard.users++;
            return guard;
        }
    }

    private static StoreGuard create(Path file) {
        try {
            return new StoreGuard(file, FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE));
        } catch (IOException e) {
            throw new ImageException("cannot open the image store's lock " + file + ": " + e.getMessage()
                    + "; check that it is writable", e);
        }
    }

    public void lockShared() {
        inProcess.readLock().lock();
        synchronized (this) {
            try {
                if (sharers == 0) {
                    sharedLock = channel.lock(0, Long.MAX_VALUE, true);
                }
                sharers++;
            } catch (IOException e) {
                inProcess.readLock().unlock();
                throw failure(e);
            }
        }
    }

    public void unlockShared() {
        synchronized (this) {
            if (--sharers == 0) {
                release(sharedLock);
                sharedLock = null;
            }
        }
        inProcess.readLock().unlock();
    }

    /** Runs {@code action} with no pull or load running in any process. */
    public <T> T exclusive(java.util.function.Supplier<T> action) {
        inProcess.writeLock().lock();
        try (FileLock held = channel.lock()) {
            assert held.isValid();
            return action.get();
        } catch (IOException e) {
            throw failure(e);
        } finally {
            inProcess.writeLock().unlock();
        }
    }

    private static void release(FileLock lock) {
        try {
            if (lock != null) {
                lock.release();
            }
        } catch (IOException e) {
            // Closing the channel releases it at the latest.
        }
    }

    private ImageException failure(IOException e) {
        return new ImageException("cannot lock the image store (" + file + "): " + e.getMessage()
                + "; check that it is writable", e);
    }

    @Override
    public void close() {
        synchronized (OPEN) {
            if (--users > 0) {
                return;
            }
            OPEN.remove(file);
        }
        try {
            channel.close();
        } catch (IOException e) {
            // Closing releases the locks either way.
        }
    }
}
