/*
 * Stale pages after asynchronous O_DIRECT writes: READERS processes loop buffered reads of one
 * 640 KiB file while this process rewrites it, again and again, with one asynchronous O_DIRECT
 * write (Linux native AIO: io_submit) of a new generation number in every 8-byte word. Once a
 * write has completed (io_getevents), a buffered read of the file must see that generation
 * everywhere; a page of an older one means the page cache kept data the write replaced.
 *
 * Native AIO by raw system calls, so that no libaio headers or library are needed.
 *
 * usage: odirect_stale FILE SECONDS READERS
 * Prints "DONE writes N" and exits 0, or prints "STALE ..." and exits 1 (2: a call failed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIZE (640 * 1024)
#define MAX_READERS 64

static void die(const char *what) {
    printf("FAIL %s: %s\n", what, strerror(errno));
    fflush(stdout);
    exit(2);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fill(uint64_t *buf, uint64_t gen) {
    for (size_t i = 0; i < SIZE / 8; i++) {
        buf[i] = gen;
    }
}

static int readall(int fd, uint64_t *buf) {
    size_t done = 0;
    while (done < SIZE) {
        ssize_t n = pread(fd, (char *) buf + done, SIZE - done, done);
        if (n <= 0) {
            return -1;
        }
        done += n;
    }
    return 0;
}

/* Index of the first word that is not gen, or -1. */
static long first_other(const uint64_t *buf, uint64_t gen) {
    for (size_t i = 0; i < SIZE / 8; i++) {
        if (buf[i] != gen) {
            return (long) i;
        }
    }
    return -1;
}

static void reader(const char *path) {
    uint64_t *buf = malloc(SIZE);
    int fd = open(path, O_RDONLY);
    if (buf == NULL || fd < 0) {
        _exit(2);
    }
    for (;;) {
        if (readall(fd, buf) != 0 || getppid() == 1) {
            _exit(0);
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s FILE SECONDS READERS\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    double seconds = atof(argv[2]);
    int readers = atoi(argv[3]);
    if (readers < 1 || readers > MAX_READERS) {
        fprintf(stderr, "READERS: 1 to %d\n", MAX_READERS);
        return 2;
    }
    uint64_t *wbuf, *rbuf;
    if (posix_memalign((void **) &wbuf, 4096, SIZE) != 0 || posix_memalign((void **) &rbuf, 4096, SIZE) != 0) {
        die("posix_memalign");
    }
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        die("open");
    }
    fill(wbuf, 0);
    if (pwrite(fd, wbuf, SIZE, 0) != SIZE) {
        die("pwrite");
    }
    int dfd = open(path, O_RDWR | O_DIRECT);
    if (dfd < 0) {
        die("open O_DIRECT");
    }
    aio_context_t ctx = 0;
    if (syscall(SYS_io_setup, 1, &ctx) != 0) {
        die("io_setup");
    }
    pid_t kids[MAX_READERS];
    for (int i = 0; i < readers; i++) {
        kids[i] = fork();
        if (kids[i] < 0) {
            die("fork");
        }
        if (kids[i] == 0) {
            reader(path);
        }
    }
    int rc = 0;
    uint64_t gen = 0;
    double end = now() + seconds;
    while (now() < end) {
        gen++;
        fill(wbuf, gen);
        struct iocb cb;
        memset(&cb, 0, sizeof cb);
        cb.aio_lio_opcode = IOCB_CMD_PWRITE;
        cb.aio_fildes = dfd;
        cb.aio_buf = (uint64_t) (uintptr_t) wbuf;
        cb.aio_nbytes = SIZE;
        cb.aio_offset = 0;
        struct iocb *cbs[1] = {&cb};
        if (syscall(SYS_io_submit, ctx, 1, cbs) != 1) {
            die("io_submit");
        }
        struct io_event ev;
        if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1) {
            die("io_getevents");
        }
        if (ev.res != SIZE) {
            printf("FAIL write of generation %llu answered %lld\n", (unsigned long long) gen, (long long) ev.res);
            rc = 2;
            break;
        }
        if (readall(fd, rbuf) != 0) {
            die("pread");
        }
        long at = first_other(rbuf, gen);
        if (at >= 0) {
            uint64_t seen = rbuf[at];
            /* Transient, or kept? Read again after the readers had time to refill the cache. */
            usleep(200 * 1000);
            if (readall(fd, rbuf) != 0) {
                die("pread");
            }
            long later = first_other(rbuf, gen);
            printf("STALE after write %llu: offset %ld holds generation %llu; 200 ms later %s\n",
                   (unsigned long long) gen, at * 8, (unsigned long long) seen,
                   later < 0 ? "current" : "still stale");
            rc = 1;
            break;
        }
    }
    for (int i = 0; i < readers; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    syscall(SYS_io_destroy, ctx);
    if (rc == 0) {
        printf("DONE writes %llu\n", (unsigned long long) gen);
    }
    fflush(stdout);
    return rc;
}
