package dev.flint.machine.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * {@code flint --version}: the project version, from version.properties, which Maven's resource
 * filtering writes at build (a filtered resource rather than the jar manifest, so it is there in
 * the unit tests' classes directory too).
 */
final class FlintVersion implements CommandLine.IVersionProvider {
    static final String RESOURCE = "version.properties";

    @Override
    public String[] getVersion() throws IOException {
        return new String[] {"flint " + version()};
    }

    static String version() throws IOException {
        try (InputStream in = FlintVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "unknown (no " + RESOURCE + " in this build)";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        }
    }
}
