package dev.flint.image.config;

import dev.flint.image.tree.ImageTree;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An image's own {@code /etc/passwd} and {@code /etc/group}, and the rules that turn a config
 * {@code User} string into ids the way runc's {@code user.GetExecUser} does: a name must be in
 * the image's files, a number need not be; supplementary groups come from {@code /etc/group}
 * only when no group was named.
 */
final class UserDatabase {
    static final String PASSWD = "/etc/passwd";
    static final String GROUP = "/etc/group";

    record Account(String name, int uid, int gid, String home) {
    }

    record Group(String name, int gid, List<String> members) {
    }

    /** Who a process runs as. {@code home} is null when the image's passwd does not know the user. */
    record Identity(int uid, int gid, List<Integer> groups, String home) {
    }

    private final List<Account> accounts;
    private final List<Group> groups;
    private final boolean hasPasswd;
    private final boolean hasGroup;

    private UserDatabase(List<Account> accounts, boolean hasPasswd, List<Group> groups, boolean hasGroup) {
        this.accounts = accounts;
        this.groups = groups;
        this.hasPasswd = hasPasswd;
        this.hasGroup = hasGroup;
    }

    static UserDatabase of(ImageTree tree) {
        Optional<String> passwd = tree.readFile(PASSWD).map(b -> new String(b, StandardCharsets.UTF_8));
        Optional<String> group = tree.readFile(GROUP).map(b -> new String(b, StandardCharsets.UTF_8));
        return new UserDatabase(passwd.map(UserDatabase::accounts).orElse(List.of()), passwd.isPresent(),
                group.map(UserDatabase::groups).orElse(List.of()), group.isPresent());
    }

    /** passwd lines {@code name:password:uid:gid:gecos:home:shell}; malformed lines are skipped, as libc does. */
    private static List<Account> accounts(String text) {
        List<Account> accounts = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.split(":", -1);
            if (line.startsWith("#") || f.length < 4) {
                continue;
            }
            Integer uid = id(f[2]);
            Integer gid = id(f[3]);
            if (uid != null && gid != null && !f[0].isEmpty()) {
                accounts.add(new Account(f[0], uid, gid, f.length > 5 && !f[5].isEmpty() ? f[5] : "/"));
            }
        }
        return accounts;
    }

    /** group lines {@code name:password:gid:member,member}. */
    private static List<Group> groups(String text) {
        List<Group> groups = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.split(":", -1);
            if (line.startsWith("#") || f.length < 3) {
                continue;
            }
            Integer gid = id(f[2]);
            if (gid != null && !f[0].isEmpty()) {
                List<String> members = f.length > 3 && !f[3].isBlank()
                        ? List.of(f[3].strip().split("\\s*,\\s*")) : List.of();
                groups.add(new Group(f[0], gid, members));
            }
        }
        return groups;
    }

    /** A uid or gid: decimal, 0 to 2^31-1; null otherwise. */
    static Integer id(String text) {
        if (text.isEmpty() || text.length() > 10 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        long value = Long.parseLong(text);
        return value <= Integer.MAX_VALUE ? (int) value : null;
    }

    /** {@code user} ({@code name}, {@code uid}, {@code uid:gid}, {@code name:group}, {@code uid:group}) as ids. */
    Identity resolve(String user) {
        int colon = user.indexOf(':');
        String userPart = colon < 0 ? user : user.substring(0, colon);
        String groupPart = colon < 0 ? null : user.substring(colon + 1);
        if (userPart.isEmpty()) {
            throw new InvalidImageConfigException("user '" + user + "' names no user; use name, uid, uid:gid or name:group");
        }
        Integer numericUid = id(userPart);
        Optional<Account> account = numericUid != null
                ? accounts.stream().filter(a -> a.uid() == numericUid).findFirst()
                : accounts.stream().filter(a -> a.name().equals(userPart)).findFirst();
        if (numericUid == null && account.isEmpty()) {
            throw new InvalidImageConfigException("user '" + userPart + "' is not in the image's " + PASSWD
                    + (hasPasswd ? "" : " (the image has no " + PASSWD + ")")
                    + "; use a numeric uid or a user the image defines");
        }
        int uid = numericUid != null ? numericUid : account.get().uid();
        String home = account.map(Account::home).orElse(null);
        if (groupPart != null) {
            if (groupPart.isEmpty()) {
                throw new InvalidImageConfigException("user '" + user + "' has an empty group after ':'");
            }
            int gid = groupId(groupPart);
            // runc: supplementary groups only make sense when the group is implicit.
            return new Identity(uid, gid, List.of(gid), home);
        }
        int gid = account.map(Account::gid).orElse(0);
        Set<Integer> all = new LinkedHashSet<>();
        all.add(gid);
        account.ifPresent(a -> groups.stream().filter(g -> g.members().contains(a.name()))
                .forEach(g -> all.add(g.gid())));
        return new Identity(uid, gid, List.copyOf(all), home);
    }

    private int groupId(String group) {
        Integer numeric = id(group);
        if (numeric != null) {
            return numeric;
        }
        return groups.stream().filter(g -> g.name().equals(group)).findFirst().map(Group::gid)
                .orElseThrow(() -> new InvalidImageConfigException("group '" + group + "' is not in the image's " + GROUP
                        + (hasGroup ? "" : " (the image has no " + GROUP + ")")
                        + "; use a numeric gid or a group the image defines"));
    }
}
