package dev.flint.image.store;

import dev.flint.image.ImageException;
import dev.flint.image.ImageStoreFullException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * How the store writes a file so that a crash never leaves one it would trust: into {@code tmp/},
 * fsync, atomic rename into place, fsync of the directory. A full disk becomes
 * {@link ImageStoreFullException} and the partial file is removed.
 */
public final class StoreWrites {
    private StoreWrites() {
    }

    /** A fresh (truncated) buffered stream to {@code file}. */
    public static OutputStream output(Path file) throws IOException {
        return new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), 64 * 1024);
    }

    /** fsyncs {@code temp} and renames it atomically to {@code target}, then fsyncs {@code target}'s directory. */
    public static void commit(Path temp, Path target) {
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the store's tmp/ and " + target.getParent() + " are on different file systems",
                        e);
            }
            syncDirectory(target.getParent());
        } catch (IOException e) {
            throw failure("move " + temp.getFileName() + " into place as " + target, temp, e);
        }
    }

    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems cannot fsync a directory; the rename itself is still atomic.
        }
    }

    /**
     * The exception for a failed write of {@code what}: {@link ImageStoreFullException} when the
     * disk is full. Deletes {@code partial} first.
     */
    public static ImageException failure(String what, Path partial, IOException e) {
        deleteQuietly(partial);
        if (isNoSpace(e)) {
            return new ImageStoreFullException("no space left on the disk of " + partial.getParent()
                    + " to " + what + "; the partial file was removed. Free space, or run 'flint image prune' to"
                    + " drop unused images, then pull again", e);
        }
        return new ImageException("could not " + what + " (" + partial + "): " + e.getMessage()
                + "; check that the image store is writable", e);
    }

    /** Whether {@code e} or one of its causes is ENOSPC ("No space left on device"). */
    public static boolean isNoSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }

    static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Left in tmp/: removed when the store is next opened.
        }
    }
}
