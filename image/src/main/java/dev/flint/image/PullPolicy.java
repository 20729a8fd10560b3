package dev.flint.image;

/** When {@link ImageStore#pull} may use the network. */
public enum PullPolicy {
    /** Resolve the manifest again every time; only blobs the store lacks are downloaded. */
    ALWAYS,
    /** Use the stored image when the reference and all its files are there; pull otherwise. */
    MISSING,
    /** Never use the network: the stored image, or {@link ImageNotFoundException}. */
    NEVER
}
