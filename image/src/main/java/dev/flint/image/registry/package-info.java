/**
 * The registry side of a pull, by the OCI distribution spec: the client with its token and Basic
 * auth, media types and platform choice, manifest and digest reading. Nothing here writes the store.
 */
package dev.flint.image.registry;
