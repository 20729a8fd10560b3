/** The host side of Flint's exec protocol (guest-agent/PROTOCOL.md). */
module dev.flint.agent {
    exports dev.flint.agent;
}
