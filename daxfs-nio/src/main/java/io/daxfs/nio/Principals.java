package io.daxfs.nio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Owners and groups as principals: a daxfs file stores numeric ids, shown with the host's names
 * (from /etc/passwd and /etc/group, read when asked) when it has them, else as the number. A
 * lookup accepts a name or a number.
 */
final class Principals {
    static final UserPrincipalLookupService LOOKUP = new UserPrincipalLookupService() {
        @Override
        public UserPrincipal lookupPrincipalByName(String name) throws IOException {
            return user(idOf(name, "/etc/passwd"));
        }

        @Override
        public GroupPrincipal lookupPrincipalByGroupName(String group) throws IOException {
            return group(idOf(group, "/etc/group"));
        }
    };

    private Principals() {
    }

    /** The JVM process's uid, gid and groups: who creates files and whose access is checked. */
    record Process(int uid, int gid, int[] gids) {
    }

    private static volatile Process self;

    /** This process's identity, read once (a process's ids do not change under the JVM). */
    static Process self() {
        Process p = self;
        if (p == null) {
            com.sun.security.auth.module.UnixSystem me = new com.sun.security.auth.module.UnixSystem();
            long[] groups = me.getGroups();
            int[] gids = new int[groups.length + 1];
            gids[0] = (int) me.getGid();
            for (int i = 0; i < groups.length; i++) {
                gids[i + 1] = (int) groups[i];
            }
            p = new Process((int) me.getUid(), (int) me.getGid(), gids);
            self = p;
        }
        return p;
    }

    /** A user: uid and the name it is shown by. */
    record User(int uid, String name) implements UserPrincipal {
        @Override
        public String getName() {
            return name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** A group: gid and the name it is shown by. */
    record Group(int gid, String name) implements GroupPrincipal {
        @Override
        public String getName() {
            return name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static User user(int uid) {
        return new User(uid, names("/etc/passwd").getOrDefault(uid, Integer.toString(uid)));
    }

    static Group group(int gid) {
        return new Group(gid, names("/etc/group").getOrDefault(gid, Integer.toString(gid)));
    }

    static int uidOf(UserPrincipal p) throws IOException {
        if (p instanceof User u) {
            return u.uid();
        }
        if (p instanceof Group g) {
            return g.gid();
        }
        return idOf(p.getName(), p instanceof GroupPrincipal ? "/etc/group" : "/etc/passwd");
    }

    private static int idOf(String name, String table) throws IOException {
        try {
            int id = Integer.parseInt(name);
            if (id >= 0) {
                return id;
            }
        } catch (NumberFormatException notANumber) {
            // a name: look it up below
        }
        for (Map.Entry<Integer, String> e : names(table).entrySet()) {
            if (e.getValue().equals(name)) {
                return e.getKey();
            }
        }
        throw new UserPrincipalNotFoundException(name);
    }

    /** id -> name from a passwd or group file (name:x:id:...); empty when it cannot be read. */
    private static Map<Integer, String> names(String table) {
        Map<Integer, String> out = new HashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(table));
        } catch (IOException | SecurityException e) {
            return out;
        }
        for (String line : lines) {
            String[] f = line.split(":");
            if (f.length >= 3) {
                try {
                    out.putIfAbsent(Integer.parseInt(f[2]), f[0]);
                } catch (NumberFormatException skip) {
                    // a comment or a malformed line
                }
            }
        }
        return out;
    }
}
