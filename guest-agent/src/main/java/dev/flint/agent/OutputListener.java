package dev.flint.agent;

/** Receives a process's output as it arrives, on the client's reader thread: keep it quick. */
public interface OutputListener {
    void stdout(byte[] chunk);

    void stderr(byte[] chunk);

    /** Hands stdout and stderr to the two consumers. */
    static OutputListener of(java.util.function.Consumer<byte[]> onStdout, java.util.function.Consumer<byte[]> onStderr) {
        return new OutputListener() {
            @Override
            public void stdout(byte[] chunk) {
                onStdout.accept(chunk);
            }

            @Override
            public void stderr(byte[] chunk) {
                onStderr.accept(chunk);
            }
        };
    }

    OutputListener NONE = new OutputListener() {
        @Override
        public void stdout(byte[] chunk) {
        }

        @Override
        public void stderr(byte[] chunk) {
        }
    };
}
