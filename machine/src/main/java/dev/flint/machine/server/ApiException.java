package dev.flint.machine.server;

/** A request the API cannot route or read: its error code (see ApiErrors) and a message saying what to send instead. */
final class ApiException extends RuntimeException {
    private final String code;

    ApiException(String code, String message) {
        super(message);
        this.code = code;
    }

    String code() {
        return code;
    }
}
