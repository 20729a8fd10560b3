package dev.flint.machine;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which machines {@link Machine#list} returns: those in any of {@code states} (all when empty),
 * named {@code name} (any when empty), carrying every {@code metadata} pair; at most
 * {@code limit} of them, oldest first, after the {@code cursor} a previous page gave.
 */
public record MachineQuery(Set<MachineState> states, Optional<String> name, Map<String, String> metadata, int limit,
                           Optional<String> cursor) {
    /** The page size when the query sets none. */
    public static final int DEFAULT_LIMIT = 100;
    /** The largest page a query may ask for. */
    public static final int MAX_LIMIT = 1000;

    /** Copies the collections and checks the limit and the cursor. */
    public MachineQuery {
        states = states.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(states));
        metadata = Map.copyOf(metadata);
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidConfigException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        cursor.ifPresent(MachineQuery::position);
    }

    /** Every machine, first page. */
    public static MachineQuery all() {
        return builder().build();
    }

    /** A builder of a query that selects every machine, {@value #DEFAULT_LIMIT} a page. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether {@code info} passes the filters (paging aside). */
    public boolean matches(MachineInfo info) {
        return (states.isEmpty() || states.contains(info.state()))
                && name.map(info.name()::equals).orElse(true)
                && metadata.entrySet().stream().allMatch(e -> e.getValue().equals(info.metadata().get(e.getKey())));
    }

    /** The position after which this page starts: 0 without a cursor. */
    long after() {
        return cursor.map(MachineQuery::position).orElse(0L);
    }

    /** Cursors are opaque to callers; inside they are the creation sequence number of the last machine seen. */
    static String cursorAfter(long position) {
        return "c" + position;
    }

    private static long position(String cursor) {
        try {
            if (cursor.startsWith("c")) {
                long position = Long.parseLong(cursor.substring(1));
                if (position >= 0) {
                    return position;
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidConfigException("cursor '" + cursor + "' is not one a machine list gave out; list again"
                + " without a cursor to start from the first page");
    }

    /** Fluent builder; no filters and {@value #DEFAULT_LIMIT} machines a page by default. */
    public static final class Builder {
        private final Set<MachineState> states = EnumSet.noneOf(MachineState.class);
        private String name;
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private int limit = DEFAULT_LIMIT;
        private String cursor;

        private Builder() {
        }

        /** Adds a state to select (several states select machines in any of them). */
        public Builder state(MachineState state) {
            states.add(state);
            return this;
        }

        /** Only the machine named {@code name}. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Only machines whose metadata has {@code key} = {@code value}. */
        public Builder metadata(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        /** At most {@code limit} machines a page (1-{@value MachineQuery#MAX_LIMIT}). */
        public Builder limit(int limit) {
            this.limit = limit;
            return this;
        }

        /** Continue after a previous page: its {@link MachinePage#nextCursor()}. */
        public Builder cursor(String cursor) {
            this.cursor = cursor;
            return this;
        }

        /** The query, checked. */
        public MachineQuery build() {
            return new MachineQuery(states, Optional.ofNullable(name), metadata, limit, Optional.ofNullable(cursor));
        }
    }
}
