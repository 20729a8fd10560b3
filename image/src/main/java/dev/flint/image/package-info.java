/** OCI images for Flint (see module-info). */
package dev.flint.image;
