package dev.flint.image.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** An OCI image layout (or an unpacked {@code docker save}) on disk. */
final class DirectorySource implements ArchiveSource {
    private final Path root;

    DirectorySource(Path root) {
        this.root = root;
    }

    private Path resolve(String path) throws IOException {
        Path file = root.resolve(path).normalize();
        if (!file.startsWith(root.normalize())) {
            throw new IOException("path " + path + " leaves the layout " + root);
        }
        return file;
    }

    @Override
    public boolean exists(String path) {
        try {
            return Files.isRegularFile(resolve(path));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public InputStream open(String path) throws IOException {
        return Files.newInputStream(resolve(path));
    }

    @Override
    public String name() {
        return root.toAbsolutePath().normalize().getFileName() == null ? "image"
                : root.toAbsolutePath().normalize().getFileName().toString();
    }

    @Override
    public void close() {
    }
}
