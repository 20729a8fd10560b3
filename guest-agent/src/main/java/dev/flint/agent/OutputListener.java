package dev.flint.agent;

/** Receives a process's output as it arrives, on the client's reader thread: keep it quick. */
public interface OutputListener {
    void stdout(byte[] chunk);

    void stderr(byte[] chunk);

    OutputListener NONE = new OutputListener() {
        @Override
        public void stdout(byte[] chunk) {
        }

        @Override
        public void stderr(byte[] chunk) {
        }
    };
}
