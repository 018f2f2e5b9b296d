/*
 * readdir_seek DIR N: in DIR (holding exactly the files f00000..f<N-1>, nothing else), reads half
 * the entries, records telldir, creates and deletes other entries, seekdirs back (after a rewind),
 * and checks the continuation: every untouched entry exactly once over the whole walk, no
 * duplicates, and telldir offsets stable across a second open. Prints OK lines; exits 1 on failure.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int n;
static unsigned char *seen;

static void die(const char *m) { printf("FAIL %s (errno %d: %s)\n", m, errno, strerror(errno)); exit(1); }

static int index_of(const char *name) {
    if (name[0] != 'f' || strlen(name) != 6) return -1;
    return atoi(name + 1);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: readdir_seek DIR N\n"); return 2; }
    const char *dir = argv[1];
    n = atoi(argv[2]);
    seen = calloc(n, 1);
    char path[4096];

    DIR *d = opendir(dir);
    if (!d) die("opendir");
    struct dirent *e;
    int got = 0, dots = 0;
    long half_pos = -1;
    char half_name[300] = "";
    /* read half */
    while (got < n / 2 && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) { dots++; continue; }
        int i = index_of(e->d_name);
        if (i < 0 || i >= n) { printf("FAIL unexpected entry %s\n", e->d_name); return 1; }
        if (seen[i]) { printf("FAIL duplicate %s in first half\n", e->d_name); return 1; }
        if (e->d_type != DT_REG) { printf("FAIL d_type %d for %s\n", e->d_type, e->d_name); return 1; }
        seen[i] = 1;
        got++;
    }
    half_pos = telldir(d);
    if (half_pos < 0) die("telldir");
    e = readdir(d);
    if (!e) die("readdir after half");
    snprintf(half_name, sizeof half_name, "%s", e->d_name);
    printf("OK read %d entries, telldir %ld, next %s\n", got, half_pos, half_name);

    /* second open: seekdir to the same offset gives the same next entry (offsets stable across opens) */
    DIR *d2 = opendir(dir);
    if (!d2) die("opendir 2");
    seekdir(d2, half_pos);
    e = readdir(d2);
    if (!e || strcmp(e->d_name, half_name)) { printf("FAIL second open at %ld: %s, expected %s\n", half_pos, e ? e->d_name : "(end)", half_name); return 1; }
    printf("OK telldir offset is stable across opens\n");
    closedir(d2);

    /* churn: create 200 new names, delete 100 already-seen entries */
    for (int i = 0; i < 200; i++) {
        snprintf(path, sizeof path, "%s/new%04d", dir, i);
        int fd = open(path, O_CREAT | O_WRONLY, 0644);
        if (fd < 0) die("create new");
        close(fd);
    }
    int deleted = 0;
    for (int i = 0; i < n && deleted < 100; i++) {
        if (!seen[i]) continue;
        snprintf(path, sizeof path, "%s/f%05d", dir, i);
        if (unlink(path)) die("unlink seen");
        deleted++;
    }
    printf("OK churn: 200 created, %d seen ones deleted\n", deleted);

    /* rewind (drops libc's buffer), seek back, continue */
    rewinddir(d);
    seekdir(d, half_pos);
    int rest = 0, news = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) { printf("FAIL dot entry after seekdir\n"); return 1; }
        if (!strncmp(e->d_name, "new", 3)) { news++; continue; }
        int i = index_of(e->d_name);
        if (i < 0 || i >= n) { printf("FAIL unexpected entry %s\n", e->d_name); return 1; }
        if (seen[i]) { printf("FAIL %s seen again after seekdir (duplicate)\n", e->d_name); return 1; }
        if (rest == 0 && strcmp(e->d_name, half_name)) { printf("FAIL seekdir continued at %s, expected %s\n", e->d_name, half_name); return 1; }
        seen[i] = 1;
        rest++;
    }
    closedir(d);
    if (dots != 2) { printf("FAIL saw %d dot entries\n", dots); return 1; }
    for (int i = 0; i < n; i++)
        if (!seen[i]) { printf("FAIL f%05d never returned (skipped)\n", i); return 1; }
    if (got + rest != n) { printf("FAIL %d + %d != %d\n", got, rest, n); return 1; }
    printf("OK continuation: %d more, every original entry exactly once (%d new ones seen)\n", rest, news);
    printf("DONE\n");
    return 0;
}
