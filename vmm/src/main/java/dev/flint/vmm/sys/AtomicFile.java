package dev.flint.vmm.sys;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces a file so that a crash leaves either the old file or the whole new one: the content
 * goes to a fresh temp file beside it, which is fsynced, renamed over the target and the
 * directory fsynced. The rename gives the target a new inode, so a process that still maps the
 * old file (a restored VM's memory) keeps its content unchanged.
 */
public final class AtomicFile {
    /** Writes the content of the temp file it is given. */
    @FunctionalInterface
    public interface Body {
        void write(RandomAccessFile file) throws IOException;
    }

    private AtomicFile() {
    }

    /** Writes {@code target} anew through {@code body}; on failure the temp file is removed and the target left as it was. */
    public static void replace(Path target, Body body) throws IOException {
        Path directory = target.toAbsolutePath().getParent();
        Path temp = Files.createTempFile(directory, "." + target.getFileName() + ".", ".tmp");
        try {
            try (RandomAccessFile file = new RandomAccessFile(temp.toFile(), "rw")) {
                body.write(file);
                file.getFD().sync();
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        syncDirectory(directory);
    }

    /** fsyncs {@code directory}, so that a rename or a delete in it survives a crash. */
    public static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems cannot fsync a directory; the rename itself is still atomic.
        }
    }
}
