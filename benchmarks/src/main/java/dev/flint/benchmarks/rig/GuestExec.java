package dev.flint.benchmarks.rig;

import dev.flint.agent.ProcessResult;

import java.util.List;

/** How one side (Flint's Machine, or the agent client over the peer's vhost-vsock) runs a command to completion. */
@FunctionalInterface
interface GuestExec {
    ProcessResult exec(List<String> argv) throws Exception;
}
