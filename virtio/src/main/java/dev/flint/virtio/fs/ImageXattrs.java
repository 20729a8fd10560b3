package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeSet;

/**
 * GETXATTR and LISTXATTR from the layer tars' xattrs, with the FUSE size rules: a request of
 * size 0 asks how big the answer is ({@code fuse_getxattr_out}); a smaller buffer than the
 * answer is ERANGE; a missing attribute is ENODATA. Overlayfs's own attributes
 * ({@code trusted.overlay.*}, {@code user.overlay.*}) are never shown: the guest mounts these
 * trees as overlay lower layers, and an image must not steer overlayfs (its whiteouts are
 * already applied).
 */
final class ImageXattrs {
    static final int GETXATTR_IN_BYTES = 8;
    /** Linux's XATTR_SIZE_MAX: no value or list is longer. */
    static final int XATTR_SIZE_MAX = 65536;

    private final ImageNodes nodes;

    ImageXattrs(ImageNodes nodes) {
        this.nodes = nodes;
    }

    static boolean hidden(String name) {
        return name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.");
    }

    /** GETXATTR: {@code fuse_getxattr_in { u32 size; u32 padding; }} then the name. */
    void getxattr(FuseRequest request, FuseReply reply) throws ErrnoException {
        long size = Integer.toUnsignedLong(request.struct("fuse_getxattr_in", GETXATTR_IN_BYTES).getInt(0));
        String name = request.string("xattr name");
        ImageNode node = nodes.get("FUSE_GETXATTR", request.header().nodeId());
        byte[] value = node.isRoot() || hidden(name) ? null : node.node().xattrs().get(name);
        if (value == null) {
            throw new ErrnoException("FUSE_GETXATTR: node " + node.nodeId() + " has no xattr " + name, FuseErrno.ENODATA);
        }
        answer("FUSE_GETXATTR", reply, size, value);
    }

    /** LISTXATTR: {@code fuse_getxattr_in}; the names, each NUL-terminated, sorted. */
    void listxattr(FuseRequest request, FuseReply reply) throws ErrnoException {
        long size = Integer.toUnsignedLong(request.struct("fuse_getxattr_in", GETXATTR_IN_BYTES).getInt(0));
        ImageNode node = nodes.get("FUSE_LISTXATTR", request.header().nodeId());
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        Map<String, byte[]> xattrs = node.isRoot() ? Map.of() : node.node().xattrs();
        for (String name : new TreeSet<>(xattrs.keySet())) {
            if (!hidden(name)) {
                names.writeBytes(name.getBytes(StandardCharsets.UTF_8));
                names.write(0);
            }
        }
        answer("FUSE_LISTXATTR", reply, size, names.toByteArray());
    }

    private static void answer(String operation, FuseReply reply, long size, byte[] value) throws ErrnoException {
        if (value.length > XATTR_SIZE_MAX) {
            throw new ErrnoException(operation + ": " + value.length + " bytes is more than XATTR_SIZE_MAX",
                    FuseErrno.E2BIG);
        }
        if (size == 0) {
            reply.payload(operation, FuseEncoding.xattrSizeOut(value.length));
            return;
        }
        if (value.length > size) {
            throw new ErrnoException(operation + ": " + value.length + " bytes do not fit the guest's " + size,
                    FuseErrno.ERANGE);
        }
        reply.payload(operation, value);
    }
}
