package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The layer tars file data is read from, each opened once, on first use, and kept open until
 * the share closes: a READ is one positioned read on an open channel.
 */
final class LayerChannels implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LayerChannels.class.getName());

    private final Map<Path, FileChannel> channels = new HashMap<>();

    /** The open channel of {@code tar}; EIO when it cannot be opened (the layer store lost it). */
    FileChannel of(Path tar) throws ErrnoException {
        FileChannel channel = channels.get(tar);
        if (channel != null) {
            return channel;
        }
        try {
            channel = FileChannel.open(tar, StandardOpenOption.READ);
        } catch (IOException e) {
            LOG.warning("image share: cannot open layer " + tar + " (" + e + "); files of that layer read as EIO;"
                    + " check the layer store");
            throw new ErrnoException("open(" + tar + ") failed: " + e.getMessage(), FuseErrno.EIO);
        }
        channels.put(tar, channel);
        return channel;
    }

    int size() {
        return channels.size();
    }

    @Override
    public void close() {
        for (FileChannel channel : channels.values()) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.fine(() -> "closing a layer channel: " + e);
            }
        }
        channels.clear();
    }
}
