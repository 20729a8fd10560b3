package dev.flint.image.registry;

import dev.flint.image.ImageException;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** sha256 content digests ({@code sha256:<64 hex>}): the only algorithm images use in practice. */
public final class Digests {
    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

    private Digests() {
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK lacks SHA-256", e);
        }
    }

    /** {@code sha256:<hex>} of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        return of(newSha256().digest(bytes));
    }

    /** {@code sha256:<hex>} of a finished hash. */
    public static String of(byte[] hash) {
        return "sha256:" + HexFormat.of().formatHex(hash);
    }

    /** The hex part of {@code digest}, after checking it is a sha256 digest. */
    public static String hex(String digest) {
        if (digest == null || !SHA256.matcher(digest).matches()) {
            throw new ImageException("'" + digest + "' is not a sha256 digest (sha256: and 64 lowercase hex digits);"
                    + " only sha256 content is supported, so the image cannot be used");
        }
        return digest.substring("sha256:".length());
    }

    public static boolean isSha256(String digest) {
        return digest != null && SHA256.matcher(digest).matches();
    }
}
