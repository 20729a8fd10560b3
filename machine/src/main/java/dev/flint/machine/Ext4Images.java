package dev.flint.machine;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Makes ext4 disk images with e2fsprogs' {@code mke2fs}: an empty one for a machine's own disk,
 * or one holding a host directory ({@code mke2fs -d}) for a root file system. Images are created
 * sparse: a fresh 4 GiB disk takes a few MiB on the host.
 */
final class Ext4Images {
    private static final List<Path> SEARCH = List.of(Path.of("/usr/sbin/mke2fs"), Path.of("/sbin/mke2fs"),
            Path.of("/usr/bin/mke2fs"));
    private static final long MIB = 1024 * 1024;
    private static final int TIMEOUT_SECONDS = 120;

    private Ext4Images() {
    }

    /** Creates {@code image} (which must not exist) as an empty ext4 file system of {@code sizeMb} MiB. */
    static void createEmpty(Path image, int sizeMb) throws IOException {
        format(image, sizeMb, Optional.empty());
    }

    /** Creates {@code image} holding a copy of {@code directory}; {@code sizeMb} 0 sizes it to fit. */
    static void createFromDirectory(Path image, Path directory, int sizeMb) throws IOException {
        format(image, sizeMb > 0 ? sizeMb : sizeToFit(directory), Optional.of(directory));
    }

    /** The directory's bytes plus half again and 64 MiB, for metadata and room to write. */
    static int sizeToFit(Path directory) throws IOException {
        long bytes;
        try (Stream<Path> files = Files.walk(directory)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(file -> {
                try {
                    return Files.size(file);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
        return (int) Math.min(MachineConfig.MAX_DISK_MB, bytes * 3 / 2 / MIB + 64);
    }

    private static void format(Path image, int sizeMb, Optional<Path> content) throws IOException {
        Path mke2fs = locate();
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(sizeMb * MIB);   // a hole, not zeroes: sparse on every Linux file system
        }
        List<String> command = new ArrayList<>(List.of(mke2fs.toString(), "-q", "-F", "-t", "ext4", "-m", "0",
                "-L", "flint", "-E", "root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1,nodiscard"));
        content.ifPresent(dir -> command.addAll(List.of("-d", dir.toString())));
        command.add(image.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            boolean done = process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!done || process.exitValue() != 0) {
                process.destroyForcibly();
                Files.deleteIfExists(image);
                throw new IOException("mke2fs could not make " + image + (done ? " (exit " + process.exitValue() + ")"
                        : " within " + TIMEOUT_SECONDS + " s") + (output.isEmpty() ? "" : ": " + output));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Files.deleteIfExists(image);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making " + image, e);
        }
    }

    private static Path locate() throws IOException {
        return SEARCH.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new IOException(
                "mke2fs not found (looked at " + SEARCH + "); install e2fsprogs, e.g. 'sudo apt-get install e2fsprogs'"));
    }
}
