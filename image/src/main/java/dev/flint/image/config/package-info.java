/** The image config (image-spec config.md) and the rules that turn it and a caller's request into one command. */
package dev.flint.image.config;
