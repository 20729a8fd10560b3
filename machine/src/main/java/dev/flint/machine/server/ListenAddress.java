package dev.flint.machine.server;

import dev.flint.machine.InvalidConfigException;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Where {@code flint serve} listens: {@code HOST:PORT} ({@code [V6]:PORT} for IPv6); 127.0.0.1:8080 by default. */
public record ListenAddress(String host, int port) {
    public static final ListenAddress DEFAULT = new ListenAddress("127.0.0.1", 8080);

    public ListenAddress {
        if (host == null || host.isBlank()) {
            throw new InvalidConfigException("listen address needs a host, e.g. 127.0.0.1:8080");
        }
        if (port < 0 || port > 65535) {
            throw new InvalidConfigException("listen port must be 0-65535 (0: any free port), got " + port);
        }
    }

    public static ListenAddress parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new InvalidConfigException("--listen needs HOST:PORT, e.g. 127.0.0.1:8080; got '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new ListenAddress(host, Integer.parseInt(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new InvalidConfigException("--listen port must be a number, got '" + text.substring(colon + 1) + "'");
        }
    }

    /** Whether only this host can connect: then a token is optional. */
    public boolean isLoopback() {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new InvalidConfigException("cannot resolve listen host '" + host + "': " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
