package dev.flint.image.store;

import java.io.IOException;
import java.io.InputStream;

/** The files of an image archive or layout, by relative path ({@code blobs/sha256/…}, {@code manifest.json}). */
interface ArchiveSource extends AutoCloseable {
    boolean exists(String path);

    InputStream open(String path) throws IOException;

    /** A short name for messages and for naming untagged images. */
    String name();

    @Override
    void close() throws IOException;

    default byte[] read(String path) throws IOException {
        try (InputStream in = open(path)) {
            return in.readAllBytes();
        }
    }
}
