package dev.flint.machine;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The files of a running machine, through its agent, without starting a process
 * ({@link Machine#files()}). Paths are absolute guest paths; on a machine made from an OCI image
 * they resolve inside the image's root, as its commands see it, and what is written lands in the
 * image's writable layer. Writes and reads stream (at most 256 KiB in flight), so neither side
 * holds a whole file. A path that is not absolute, holds a NUL or is over 4095 bytes, or a mode
 * outside 0 to 07777, is an {@link InvalidConfigException} before anything reaches the guest;
 * what the guest refuses is a {@link MachineFileException} naming the errno (ENOENT, ENOTDIR,
 * EISDIR, EACCES, ENOSPC...). A paused machine resumes first, as for exec.
 *
 * <pre>{@code
 * MachineFiles files = m.files();
 * files.write("/tmp/in.txt", "hello\n".getBytes(StandardCharsets.UTF_8));
 * m.exec(List.of("sh", "-c", "tr a-z A-Z < /tmp/in.txt > /tmp/out.txt")).assertSuccess();
 * String out = new String(files.read("/tmp/out.txt"), StandardCharsets.UTF_8);    // "HELLO\n"
 * files.copyIn(Path.of("src"), "/workspace/src");       // a host tree in
 * files.copyOut("/workspace/build", Path.of("build"));  // and one out
 * }</pre>
 */
public interface MachineFiles {
    /** The most {@link #read(String)} returns; larger files are read with {@link #readStream(String)}. */
    int MAX_READ_BYTES = 64 * 1024 * 1024;

    /** Creates or replaces the file with mode 0644. */
    default void write(String path, byte[] data) {
        write(path, data, 0644);
    }

    /** Creates or replaces the file with exactly {@code mode}. */
    void write(String path, byte[] data, int mode);

    /** Creates or replaces the file with exactly {@code mode}, streaming {@code data} until it ends; returns the bytes written. */
    long write(String path, InputStream data, int mode);

    /** The whole file, at most {@link #MAX_READ_BYTES}. */
    byte[] read(String path);

    /** The file as a stream read from the guest as it is consumed; close it to stop early. */
    InputStream readStream(String path);

    /** The entries of a directory (not {@code .} and {@code ..}), symlinks not followed. */
    List<FileInfo> list(String path);

    /** The file at {@code path}, not followed when a symlink. */
    FileInfo stat(String path);

    /** Makes the directory and its missing parents, mode 0755. */
    default void mkdirs(String path) {
        mkdirs(path, 0755);
    }

    /** Makes the directory and its missing parents with {@code mode}. */
    void mkdirs(String path, int mode);

    /** Makes a symlink at {@code path} pointing to {@code target} (not checked: it may dangle). */
    void symlink(String path, String target);

    /** Removes a file, symlink or empty directory; with {@code recursive} a directory and all in it. */
    void remove(String path, boolean recursive);

    /** Copies a host directory's tree into {@code guestDir} (made as needed), modes and symlinks kept; returns the entries copied. */
    long copyIn(Path hostDir, String guestDir);

    /** Copies the guest directory's tree into {@code hostDir} (made as needed), modes and symlinks kept; returns the entries copied. */
    long copyOut(String guestDir, Path hostDir);
}
