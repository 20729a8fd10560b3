/** Layer tars indexed by their headers and flattened into one in-memory image tree, file data left in the tars. */
package dev.flint.image.tree;
