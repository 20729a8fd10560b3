package dev.flint.machine;

import dev.flint.agent.FileEntry;

import java.time.Instant;

/** One guest file as {@link MachineFiles#stat} and {@link MachineFiles#list} see it (symlinks not followed). */
public record FileInfo(String name, Type type, int mode, long size, Instant modified, String linkTarget) {
    /** What the entry is: a regular file, a directory, a symlink, or anything else (device, fifo, socket). */
    public enum Type {
        /** A regular file. */
        FILE,
        /** A directory. */
        DIRECTORY,
        /** A symbolic link; {@code linkTarget} says where it points. */
        SYMLINK,
        /** A device, fifo or socket. */
        OTHER
    }

    /** Whether it is a directory (a symlink to one is not). */
    public boolean isDirectory() {
        return type == Type.DIRECTORY;
    }

    static FileInfo of(FileEntry entry) {
        return new FileInfo(entry.name(), Type.valueOf(entry.type().name()), entry.mode(), entry.size(), entry.modified(),
                entry.linkTarget());
    }
}
