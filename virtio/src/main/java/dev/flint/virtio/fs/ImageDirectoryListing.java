package dev.flint.virtio.fs;

import dev.flint.image.tree.TreeNode;
import dev.flint.vmm.sys.ErrnoException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * OPENDIR, READDIR, READDIRPLUS and RELEASEDIR on image directories. OPENDIR takes the listing
 * (".", "..", then the names in order); the offset the guest passes back is the index of the
 * next entry in it.
 */
final class ImageDirectoryListing {
    private static final byte[] DOT = {'.'};
    private static final byte[] DOT_DOT = {'.', '.'};

    private final ImageNodes nodes;
    private final ImageHandles handles;

    ImageDirectoryListing(ImageNodes nodes, ImageHandles handles) {
        this.nodes = nodes;
        this.handles = handles;
    }

    /** OPENDIR: {@code fuse_open_in}; the root lists the trees published at this moment. */
    void opendir(FuseRequest request, FuseReply reply) throws ErrnoException {
        request.struct("fuse_open_in", 8);
        ImageNode directory = nodes.directory("FUSE_OPENDIR", request.header().nodeId());
        ImageHandles.Handle handle = handles.open("FUSE_OPENDIR", directory, listing(directory));
        reply.payload("FUSE_OPENDIR", FuseEncoding.openOut(handle.id(), 0));
    }

    /** What a directory handle lists: ".", "..", then the trees (the root's) or the directory's entries. */
    List<ImageHandles.Listed> listing(ImageNode directory) {
        List<ImageHandles.Listed> listing = new ArrayList<>();
        listing.add(new ImageHandles.Listed(DOT, directory));
        listing.add(new ImageHandles.Listed(DOT_DOT, nodes.parent(directory)));
        if (directory.isRoot()) {
            for (PublishedTree tree : nodes.trees().snapshot().values()) {
                listing.add(new ImageHandles.Listed(tree.name().getBytes(StandardCharsets.UTF_8),
                        ImageNode.of(tree, tree.tree().root())));
            }
        } else {
            for (Map.Entry<String, TreeNode> child : directory.node().children().entrySet()) {
                listing.add(new ImageHandles.Listed(child.getKey().getBytes(StandardCharsets.UTF_8),
                        ImageNode.of(directory.tree(), child.getValue())));
            }
        }
        return listing;
    }

    /** RELEASEDIR: {@code fuse_release_in} (24 bytes). */
    void releasedir(FuseRequest request) throws ErrnoException {
        handles.release(request.struct("fuse_release_in", 24).getLong(0), true);
    }

    /**
     * READDIR or READDIRPLUS: {@code fuse_read_in { fh, offset, size }}; as many entries from
     * {@code offset} as fit in {@code size} bytes. PLUS entries carry the entry_out a LOOKUP
     * would, except "." and "..", which the guest kernel does not take.
     */
    void readdir(FuseRequest request, FuseReply reply, boolean plus) throws ErrnoException {
        String operation = plus ? "FUSE_READDIRPLUS" : "FUSE_READDIR";
        ByteBuffer in = request.struct("fuse_read_in", ImageFileReads.READ_IN_BYTES);
        ImageHandles.Handle handle = handles.get(in.getLong(0), true);
        long offset = in.getLong(8);
        int size = (int) Math.min(Math.min(Integer.toUnsignedLong(in.getInt(16)), reply.capacity()),
                ImageFileReads.MAX_READ);
        if (offset < 0) {
            throw new ErrnoException(operation + " at negative offset " + offset, FuseErrno.EINVAL);
        }
        List<ImageHandles.Listed> listing = handle.listing();
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (long index = offset; index < listing.size(); index++) {
            ImageHandles.Listed entry = listing.get((int) index);
            int needed = FuseEncoding.direntSize(entry.name().length) + (plus ? FuseEncoding.ENTRY_OUT_BYTES : 0);
            if (needed > out.remaining()) {
                break;
            }
            if (plus) {
                if (Arrays.equals(entry.name(), DOT) || Arrays.equals(entry.name(), DOT_DOT)) {
                    out.put(new byte[FuseEncoding.ENTRY_OUT_BYTES]);
                } else {
                    FuseEncoding.putEntry(out, entry.node().nodeId(), entry.node().attributes(nodes.trees()),
                            ImageNodes.entryValidSeconds(handle.node(), entry.node()));
                }
            }
            FuseEncoding.putDirent(out, entry.node().nodeId(), index + 1, entry.node().direntType(), entry.name());
        }
        reply.payload(operation, Arrays.copyOf(out.array(), out.position()));
    }
}
