package dev.flint.image;

import java.util.regex.Pattern;

/**
 * Where an image lives: {@code [host[:port]/]name[:tag][@sha256:hex]}, normalized the way Docker
 * does it, so that {@code python}, {@code library/python:latest} and
 * {@code docker.io/library/python:latest} are one reference.
 *
 * @param registry   the registry's host and optional port; Docker Hub is {@code docker.io}
 * @param repository the repository path, lowercase ({@code library/python})
 * @param tag        the tag, or null when only a digest was given
 * @param digest     {@code sha256:<64 hex>}, or null
 */
public record ImageReference(String registry, String repository, String tag, String digest) {
    /** How Docker Hub is shown in references. */
    public static final String DOCKER_HUB = "docker.io";
    /** Where Docker Hub's registry API actually answers. */
    public static final String DOCKER_HUB_ENDPOINT = "registry-1.docker.io";

    private static final int MAX_TAG = 128;
    private static final int MAX_NAME = 255;
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]+]");

    public ImageReference {
        if (registry == null || repository == null) {
            throw new InvalidReferenceException("an image reference needs a registry and a repository");
        }
        if (tag == null && digest == null) {
            throw new InvalidReferenceException("an image reference needs a tag or a digest (parse adds 'latest')");
        }
    }

    /**
     * Parses {@code text}; Docker Hub is the registry when the first component is not a host (has
     * no '.' or ':' and is not {@code localhost}), {@code library/} prefixes one-component Hub
     * names, and {@code latest} is the tag when neither tag nor digest is given.
     *
     * @throws InvalidReferenceException naming the part that is wrong
     */
    public static ImageReference parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidReferenceException("the image reference is empty; give one like 'alpine:3.20' or"
                    + " 'ghcr.io/owner/name:tag'");
        }
        if (!text.equals(text.strip())) {
            throw new InvalidReferenceException("the image reference '" + text + "' has leading or trailing spaces;"
                    + " remove them");
        }
        String rest = text;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw new InvalidReferenceException("the digest in '" + text + "' is not sha256: followed by 64"
                        + " lowercase hex digits; copy it again from the registry or 'docker images --digests'");
            }
        }
        String tag = null;
        int lastSlash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > lastSlash) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (tag.length() > MAX_TAG) {
                throw new InvalidReferenceException("the tag in '" + text + "' is " + tag.length()
                        + " characters long; tags are at most " + MAX_TAG);
            }
            if (!TAG.matcher(tag).matches()) {
                throw new InvalidReferenceException("the tag '" + tag + "' in '" + text + "' may hold only letters,"
                        + " digits, '_', '.' and '-' and must not start with '.' or '-'");
            }
        }
        String registry = DOCKER_HUB;
        String name = rest;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")
                    || !first.equals(first.toLowerCase(java.util.Locale.ROOT))) {
                registry = checkHost(first, text);
                name = rest.substring(slash + 1);
            }
        }
        if (registry.equals("index.docker.io") || registry.equals(DOCKER_HUB_ENDPOINT)) {
            registry = DOCKER_HUB;
        }
        checkName(name, text);
        if (registry.equals(DOCKER_HUB) && name.indexOf('/') < 0) {
            name = "library/" + name;
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new ImageReference(registry, name, tag, digest);
    }

    private static String checkHost(String host, String text) {
        String hostname = host;
        String port = null;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            hostname = close < 0 ? host : host.substring(0, close + 1);
            if (close >= 0 && close + 1 < host.length()) {
                if (host.charAt(close + 1) != ':') {
                    throw badHost(host, text);
                }
                port = host.substring(close + 2);
            }
            if (!IPV6.matcher(hostname).matches()) {
                throw badHost(host, text);
            }
        } else {
            int colon = host.indexOf(':');
            if (colon >= 0) {
                hostname = host.substring(0, colon);
                port = host.substring(colon + 1);
            }
            if (hostname.isEmpty()) {
                throw badHost(host, text);
            }
            for (String label : hostname.split("\\.", -1)) {
                if (!HOST_LABEL.matcher(label).matches()) {
                    throw badHost(host, text);
                }
            }
        }
        if (port != null) {
            int value;
            try {
                value = port.chars().allMatch(Character::isDigit) && !port.isEmpty() && port.length() <= 5
                        ? Integer.parseInt(port) : -1;
            } catch (NumberFormatException e) {
                value = -1;
            }
            if (value < 1 || value > 65535) {
                throw new InvalidReferenceException("the port '" + port + "' of registry '" + host + "' in '" + text
                        + "' is not a number from 1 to 65535");
            }
        }
        return host;
    }

    private static InvalidReferenceException badHost(String host, String text) {
        return new InvalidReferenceException("the registry host '" + host + "' in '" + text + "' is not a host name,"
                + " IPv4 or [IPv6] address with an optional :port");
    }

    private static void checkName(String name, String text) {
        if (name.isEmpty()) {
            throw new InvalidReferenceException("the reference '" + text + "' has no repository name; give one like"
                    + " 'alpine' or 'owner/name'");
        }
        if (name.length() > MAX_NAME) {
            throw new InvalidReferenceException("the repository name in '" + text + "' is " + name.length()
                    + " characters long; names are at most " + MAX_NAME);
        }
        if (!name.equals(name.toLowerCase(java.util.Locale.ROOT))) {
            throw new InvalidReferenceException("the repository name '" + name + "' in '" + text + "' has uppercase"
                    + " letters; repository names must be lowercase");
        }
        for (String component : name.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw new InvalidReferenceException("the repository name '" + name + "' in '" + text + "' has an"
                        + " invalid component '" + component + "'; components are lowercase letters and digits"
                        + " joined by '.', '_', '__' or '-'");
            }
        }
    }

    /** The host (and port) to reach the registry's API at: Docker Hub's is {@code registry-1.docker.io}. */
    public String endpoint() {
        return registry.equals(DOCKER_HUB) ? DOCKER_HUB_ENDPOINT : registry;
    }

    /** What to ask the registry for: the digest when there is one (it pins the content), else the tag. */
    public String manifestReference() {
        return digest != null ? digest : tag;
    }

    /** The same repository at {@code digest}, without a tag. */
    public ImageReference withDigest(String digest) {
        return new ImageReference(registry, repository, null, digest);
    }

    /** The full normalized text, e.g. {@code docker.io/library/python:3.12-alpine} or {@code localhost:5000/x/y@sha256:…}. */
    public String canonical() {
        StringBuilder text = new StringBuilder(registry).append('/').append(repository);
        if (tag != null) {
            text.append(':').append(tag);
        }
        if (digest != null) {
            text.append('@').append(digest);
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return canonical();
    }
}
