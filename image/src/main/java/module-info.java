/**
 * OCI images for Flint: references, the registry client (distribution spec, token auth), the
 * content-addressed blob store, layer indexes flattened into one image tree, and the image
 * config's rules. Pure Java: nothing here needs a VM.
 */
module dev.flint.image {
    requires java.net.http;
    requires java.sql;
    requires java.logging;
    requires org.xerial.sqlitejdbc;
    requires com.fasterxml.jackson.databind;
    requires aircompressor;
    exports dev.flint.image;
    exports dev.flint.image.registry;
    exports dev.flint.image.store;
    exports dev.flint.image.tree;
    exports dev.flint.image.config;
}
