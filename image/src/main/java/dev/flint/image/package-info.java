/**
 * OCI images for Flint: {@link dev.flint.image.ImageReference} names an image,
 * {@link dev.flint.image.ImageStore} pulls, loads, lists and prunes them under
 * {@code $FLINT_HOME/images}, and each failure a caller may tell apart is its own
 * {@link dev.flint.image.ImageException} subclass.
 */
package dev.flint.image;
