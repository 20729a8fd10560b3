package dev.flint.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/** FILE_ERROR payloads from the agent, turned into the exception a Java caller expects for the errno. */
final class FileErrors {
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EACCES = 13;
    static final int EEXIST = 17;

    private FileErrors() {
    }

    /** Decodes a FILE_ERROR payload: {@code u32 errno, string errno name, string path, message}. */
    static IOException decode(byte[] payload) throws ProtocolViolationException {
        if (payload.length < 12) {
            throw new ProtocolViolationException("FILE_ERROR payload of " + payload.length + " bytes; it has at least 12");
        }
        ByteBuffer in = ByteBuffer.wrap(payload);
        int errno = in.getInt();
        String name = Frame.string(in, "FILE_ERROR", "errno name");
        String path = Frame.string(in, "FILE_ERROR", "path");
        String message = new String(payload, in.position(), in.remaining(), StandardCharsets.UTF_8);
        return of(errno, name, path, message.isEmpty() ? "the agent said errno " + Integer.toUnsignedString(errno) : message);
    }

    static IOException of(int errno, String name, String path, String message) {
        return switch (errno) {
            case ENOENT -> new NoSuchFileException(path, null, message);
            case EACCES, EPERM -> new AccessDeniedException(path, null, message);
            case EEXIST -> new FileAlreadyExistsException(path, null, message);
            default -> new GuestFileException(path, errno, name, message);
        };
    }
}
