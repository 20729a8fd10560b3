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
 * {@code locks/<name>.lock}. Callers re-check presence after acquiring.
 */
final class BlobLocks {
    private final Path directory;
    private final ConcurrentHashMap<String, ReentrantLock> inProcess = new ConcurrentHashMap<>();

    BlobLocks(Path directory) {
        this.directory = directory;
    }

    Path file(String name) {
        return directory.resolve(name + ".lock");
    }

    <T> T withLock(String name, Supplier<T> action) {
        ReentrantLock lock = inProcess.computeIfAbsent(name, n -> new ReentrantLock());
        lock.lock();
        try (FileChannel channel = FileChannel.open(directory.resolve(name + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = channel.lock()) {
            return action.get();
        } catch (IOException e) {
            throw new ImageException("cannot lock " + directory.resolve(name + ".lock") + ": " + e.getMessage()
                    + "; check that the image store is writable", e);
        } finally {
            lock.unlock();
        }
    }
}
