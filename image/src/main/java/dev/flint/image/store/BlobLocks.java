package dev.flint.image.store;

import dev.flint.image.ImageException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One writer per blob across threads and processes: an in-JVM lock per name (a JVM may hold one
 * file lock per file, so threads queue here first) and then an exclusive lock on
 * {@code locks/<name>.lock}. Callers re-check presence after acquiring. Lock files stay: deleting
 * one while another process waits on it would let two writers in.
 */
final class BlobLocks {
    private final Path directory;
    /** JVM-wide, by lock file: two stores opened on one root in one JVM must queue here too. */
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    BlobLocks(Path directory) {
        this.directory = directory;
    }

    /** Forgets the in-JVM lock of a name used once (an import's temp name). */
    void forget(String name) {
        IN_PROCESS.remove(file(name).toAbsolutePath().normalize());
    }

    Path file(String name) {
        return directory.resolve(name + ".lock");
    }

    /** Runs {@code action} only if nobody holds {@code name} now (no waiting); whether it ran. */
    boolean ifFree(String name, Runnable action) {
        Path file = file(name).toAbsolutePath().normalize();
        ReentrantLock lock = IN_PROCESS.computeIfAbsent(file, n -> new ReentrantLock());
        if (!lock.tryLock()) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock held = channel.tryLock();
            if (held == null) {
                return false;
            }
            try (held) {
                action.run();
                return true;
            }
        } catch (IOException e) {
            throw new ImageException("cannot lock " + file + ": " + e.getMessage()
                    + "; check that the image store is writable", e);
        } finally {
            lock.unlock();
        }
    }

    <T> T withLock(String name, Supplier<T> action) {
        Path file = file(name).toAbsolutePath().normalize();
        ReentrantLock lock = IN_PROCESS.computeIfAbsent(file, n -> new ReentrantLock());
        lock.lock();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = channel.lock()) {
            assert held.isValid();
            return action.get();
        } catch (IOException e) {
            throw new ImageException("cannot lock " + directory.resolve(name + ".lock") + ": " + e.getMessage()
                    + "; check that the image store is writable", e);
        } finally {
            lock.unlock();
        }
    }
}
