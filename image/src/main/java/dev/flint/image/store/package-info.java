/**
 * The content-addressed image store on disk: verified blobs, uncompressed layer tars, the SQLite
 * names ({@code refs.db}), the locks that let threads and processes share one store, and the
 * loading of {@code docker save} archives and OCI layouts.
 */
package dev.flint.image.store;
