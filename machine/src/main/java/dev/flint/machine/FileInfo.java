package dev.flint.machine;

import dev.flint.agent.FileEntry;

import java.time.Instant;

/** One guest file as {@link MachineFiles#stat} and {@link MachineFiles#list} see it (symlinks not followed). */
public record FileInfo(String name, Type type, int mode, long size, Instant modified, String linkTarget) {
    public enum Type { FILE, DIRECTORY, SYMLINK, OTHER }

    public boolean isDirectory() {
        return type == Type.DIRECTORY;
    }

    static FileInfo of(FileEntry entry) {
        return new FileInfo(entry.name(), Type.valueOf(entry.type().name()), entry.mode(), entry.size(), entry.modified(),
                entry.linkTarget());
    }
}
