package dev.flint.virtio.fs;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

import java.util.ArrayList;
import java.util.List;

/**
 * The saved state of an image share: which tree was published under which index (a node id is
 * its tree's index and its inode number, so keeping the indices keeps every node id the guest
 * holds), and the handles the guest has open ({@code fh} and its node; a directory's listing is
 * taken again at restore, the trees never change). Nodes are not counted, so there is no lookup
 * table to save.
 */
record ImageShareState(List<Tree> trees, List<Handle> handles, long nextHandle) {
    /** A published tree: its index and name. */
    record Tree(int index, String name) {
    }

    /** An open handle: its id, the node it opened, and whether it is a directory's. */
    record Handle(long id, long nodeId, boolean directory) {
    }

    ImageShareState {
        trees = List.copyOf(trees);
        handles = List.copyOf(handles);
    }

    void write(StateOutput out) {
        out.writeInt(trees.size());
        for (Tree tree : trees) {
            out.writeInt(tree.index()).writeString(tree.name());
        }
        out.writeInt(handles.size());
        for (Handle handle : handles) {
            out.writeLong(handle.id()).writeLong(handle.nodeId()).writeBoolean(handle.directory());
        }
        out.writeLong(nextHandle);
    }

    static ImageShareState read(StateInput in) throws SnapshotException {
        int treeCount = in.readInt(0, PublishedTrees.MAX_TREES, "the count of published trees");
        List<Tree> trees = new ArrayList<>();
        for (int i = 0; i < treeCount; i++) {
            trees.add(new Tree(in.readInt(1, PublishedTrees.MAX_TREES, "a tree index"),
                    in.readString(PublishedTrees.MAX_NAME_BYTES)));
        }
        int handleCount = in.readInt(0, ImageHandles.MAX_OPEN, "the count of open handles");
        List<Handle> handles = new ArrayList<>();
        for (int i = 0; i < handleCount; i++) {
            handles.add(new Handle(in.readLong(), in.readLong(), in.readBoolean()));
        }
        return new ImageShareState(trees, handles, in.readLong());
    }
}
