package dev.flint.machine;

import java.util.List;
import java.util.Optional;

/** One page of {@link Machine#list}: the machines, oldest first, and the cursor of the next page when there is one. */
public record MachinePage(List<MachineInfo> machines, Optional<String> nextCursor) {
    /** Copies the collections: the record is immutable. */
    public MachinePage {
        machines = List.copyOf(machines);
    }
}
