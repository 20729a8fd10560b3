/** The user's door to Flint: the machine API and the {@code flint} command line. */
module dev.flint.machine {
    requires dev.flint.vmm;
    requires dev.flint.image;
    requires dev.flint.kernel;
    requires dev.flint.virtio;
    requires dev.flint.agent;
    requires java.management;
    requires java.logging;
    requires java.net.http;
    requires java.sql;
    requires org.xerial.sqlitejdbc;
    requires com.fasterxml.jackson.databind;
    requires io.netty.codec.http;
    requires io.netty.codec;
    requires io.netty.transport;
    requires io.netty.buffer;
    requires io.netty.common;
    requires info.picocli;
    exports dev.flint.machine;
    exports dev.flint.machine.cli;
    // picocli reads and sets the commands' annotated option fields by reflection.
    opens dev.flint.machine.cli to info.picocli;
}
