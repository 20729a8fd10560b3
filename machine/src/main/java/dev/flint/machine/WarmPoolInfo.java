package dev.flint.machine;

/** A warm pool ({@link WarmPool#create}): its template, how many machines it keeps, and how many are ready now. */
public record WarmPoolInfo(String name, String template, int size, int ready) {
}
