package dev.flint.machine.cli;

/**
 * The host memory the VMM adds per machine: the growth of the process's resident set while
 * {@code machines} booted, less the guests' own resident pages.
 *
 * <p>The guests' pages are part of the resident set ({@code HostResidency} counts only pages
 * mapped there and nowhere else), so neither figure can come out negative from a sound count:
 * guest pages beyond the whole resident set, or a resident set that grew by less than the guest
 * pages in it, mean a count is wrong (or the process gave memory back while the machines booted)
 * and are refused with the inputs, never clamped to a plausible number.
 *
 * @param residentBefore the process's resident set before the machines, in bytes
 * @param residentAfter  the same with them running, sampled after {@code guestPages}, so a page
 *                       a guest touches in between is in it too
 * @param guestPages     the sum of every machine's own resident guest pages, in bytes
 */
record MemoryOverhead(long residentBefore, long residentAfter, long guestPages, int machines) {
    /** A figure that a sound measurement cannot give: a bug to report, with what was measured. */
    static final class ImpossibleFigure extends Exception {
        ImpossibleFigure(String message) {
            super(message);
        }
    }

    MemoryOverhead {
        if (machines < 1) {
            throw new IllegalArgumentException("an overhead needs at least one machine, not " + machines);
        }
    }

    /** The overhead, checked: the resident set holds the guest pages and grew by at least them. */
    static MemoryOverhead checked(long residentBefore, long residentAfter, long guestPages, int machines)
            throws ImpossibleFigure {
        MemoryOverhead overhead = new MemoryOverhead(residentBefore, residentAfter, guestPages, machines);
        if (guestPages < 0 || guestPages > residentAfter) {
            throw new ImpossibleFigure(String.format("the guests' own pages (%.1f MiB) do not fit in the process's"
                    + " resident set (%.1f MiB): the guest page count is wrong; report it with this line",
                    mib(guestPages), mib(residentAfter)));
        }
        if (overhead.vmmBytes() < 0) {
            throw new ImpossibleFigure(String.format("the resident set grew by %.1f MiB while the machines booted,"
                    + " less than their own %.1f MiB of guest pages: the process gave memory back meanwhile or a"
                    + " count is wrong, so there is no VMM figure to give; report it with this line",
                    mib(overhead.growthBytes()), mib(guestPages)));
        }
        return overhead;
    }

    long growthBytes() {
        return residentAfter - residentBefore;
    }

    /** What the VMM added for all the machines, beyond their guests' pages. */
    long vmmBytes() {
        return growthBytes() - guestPages;
    }

    double vmmMibPerMachine() {
        return mib(vmmBytes()) / machines;
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
