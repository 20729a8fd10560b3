/*
 * flint-agent: the guest side of Flint's exec protocol (guest-agent/PROTOCOL.md).
 *
 * As PID 1 of a Flint guest it mounts the kernel filesystems, writes the boot marker, reaps
 * every child, and serves the protocol on AF_VSOCK. Outside a guest (tests) it listens on a
 * Unix socket instead (--listen unix:PATH).
 *
 * One thread, one poll loop: connections, child pipes and a signalfd for SIGCHLD. A child's
 * output is read only while its connection's send buffer has room, so a slow host slows the
 * child down instead of growing memory.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <linux/openat2.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AGENT_VERSION "0.1.0"
#define PROTOCOL_VERSION 5
#define DEFAULT_PORT 1024
#define MAX_CONNECTIONS 16
#define MAX_PROCESSES 64
#define SEND_LIMIT (256 * 1024)
#define CHUNK 16384
/* The protocol's limits (PROTOCOL.md, Limits): plain numbers, the same as the host's ExecLimits
 * (ExecLimitsTest reads them from here). */
#define MAX_FRAME 1048576   /* a frame's payload, so also a whole EXEC request */
#define MAX_STRINGS 4096    /* argv entries; environment entries */
#define MAX_STRING 131071   /* one argv entry or K=V: the kernel's MAX_ARG_STRLEN less the NUL */
#define MAX_WORKDIR 4095    /* PATH_MAX less the NUL */
#define MAX_GROUPS 64
#define MAX_TERMINAL 4096   /* rows or columns of a terminal */
#define MAX_IMAGE_PATH 1023 /* lower and upper: three fit in one page of overlayfs options */
#define MAX_OVERLAYS 64
#define MIN_RENEW_ENTROPY 32  /* RENEW's entropy: at least a full 256-bit key for the kernel's RNG */
#define MAX_RENEW_ENTROPY 512 /* and at most this much */
#define MAX_HOSTNAME 64       /* HOST_NAME_MAX */
_Static_assert(MAX_HOSTNAME == HOST_NAME_MAX, "RENEW's hostname limit is the kernel's");
/* Where a child with a fresh upper mounts its own tmpfs, in its own mount namespace: only this
 * empty directory is ever seen outside it. */
#define EXEC_SCRATCH "/run/flint/exec"
/* What execvp would search when the request's environment has no PATH. */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum {
    HELLO = 1, EXEC = 2, STARTED = 3, EXEC_FAILED = 4, STDIN_DATA = 5, STDIN_CLOSE = 6,
    STDOUT_DATA = 7, STDERR_DATA = 8, EXIT = 9, KILL = 10, PING = 11, PONG = 12,
    POWEROFF = 13, ERROR = 14, RENEW = 15, RENEWED = 16, RENEW_FAILED = 17, FILE_STAT = 18, FILE_LIST = 19,
    FILE_MKDIRS = 20, FILE_REMOVE = 21, FILE_WRITE = 22, FILE_READ = 23, FILE_DATA = 24, FILE_ACK = 25, FILE_END = 26,
    FILE_ENTRY = 27, FILE_DONE = 28, FILE_ERROR = 29, FILE_SYMLINK = 30, RESIZE = 31
};

struct buffer {
    uint8_t *data;
    size_t length, capacity;
};

struct connection {
    int fd;
    struct buffer in, out;
    int closing;
};

struct process {
    int used;
    struct connection *conn;
    uint32_t id;
    pid_t pid;
    int stdin_fd, stdout_fd, stderr_fd;
    struct buffer stdin_pending;
    int stdin_close_requested;
    int reaped, status;
    int64_t deadline_ms;
    int timed_out; /* the deadline passed: EXIT says SIGKILL whatever the leader's own status was */
    int terminal;  /* on a pseudo-terminal: stdout_fd is its master, which RESIZE sets the size of */
};

static struct connection connections[MAX_CONNECTIONS];
static struct process processes[MAX_PROCESSES];
static int is_pid1;

/* Persistent uppers PID 1 has mounted at UPPER/merged, and over which lower: one overlay each. */
static struct { char upper[MAX_IMAGE_PATH + 1], lower[MAX_IMAGE_PATH + 1]; } overlays[MAX_OVERLAYS];
static int overlay_count;

static void logf_(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "flint-agent: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
}

static int64_t clock_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(void) {
    return clock_ms(CLOCK_MONOTONIC);
}

static void set_nonblocking(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* ---- buffers and frames -------------------------------------------------------------- */

static int buffer_append(struct buffer *b, const void *data, size_t n) {
    if (b->length + n > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->length + n) capacity *= 2;
        uint8_t *grown = realloc(b->data, capacity);
        if (!grown) return -1;
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, data, n);
    b->length += n;
    return 0;
}

static void buffer_consume(struct buffer *b, size_t n) {
    memmove(b->data, b->data + n, b->length - n);
    b->length -= n;
}

static void buffer_free(struct buffer *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

static void put_u32(uint8_t *p, uint32_t v) {
    uint32_t be = htonl(v);
    memcpy(p, &be, 4);
}

static uint32_t get_u32(const uint8_t *p) {
    uint32_t be;
    memcpy(&be, p, 4);
    return ntohl(be);
}

/* Frame: u32 payload length, u8 type, u32 id, payload (all big-endian). */
static void send_frame(struct connection *c, int type, uint32_t id, const void *payload, size_t n) {
    uint8_t header[9];
    put_u32(header, (uint32_t) n);
    header[4] = (uint8_t) type;
    put_u32(header + 5, id);
    if (buffer_append(&c->out, header, sizeof header) || buffer_append(&c->out, payload, n)) {
        c->closing = 1;
    }
}

static void send_u32s(struct connection *c, int type, uint32_t id, int count, const uint32_t *values) {
    uint8_t payload[16];
    for (int i = 0; i < count; i++) put_u32(payload + 4 * i, values[i]);
    send_frame(c, type, id, payload, 4 * (size_t) count);
}

/* Why a process did not start, for EXEC_FAILED: the step (PROTOCOL.md), errno, the path it
 * concerned ("" when none) and what it was doing, for people. */
struct start_failure {
    int err;
    char step[16];
    char path[MAX_WORKDIR + 1];
    char detail[1200];
};

static void vfail(struct start_failure *f, int err, const char *step, const char *path, const char *format,
                  va_list args) {
    f->err = err;
    snprintf(f->step, sizeof f->step, "%s", step);
    snprintf(f->path, sizeof f->path, "%s", path);
    vsnprintf(f->detail, sizeof f->detail, format, args);
}

static void fail(struct start_failure *f, int err, const char *step, const char *path, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vfail(f, err, step, path, format, args);
    va_end(args);
}

static size_t put_string(uint8_t *p, const char *s) {
    size_t n = strlen(s);
    put_u32(p, (uint32_t) n);
    memcpy(p + 4, s, n);
    return 4 + n;
}

/* EXEC_FAILED: u32 errno, string step, string errno name, string path, then "DETAIL: strerror". */
static void send_failure(struct connection *c, uint32_t id, const struct start_failure *f) {
    static uint8_t payload[4 + 4 + sizeof f->step + 4 + 64 + 4 + sizeof f->path + sizeof f->detail + 128];
    const char *name = strerrorname_np(f->err);
    char errno_name[64];
    snprintf(errno_name, sizeof errno_name, "%s", name ? name : "");
    put_u32(payload, (uint32_t) f->err);
    size_t n = 4;
    n += put_string(payload + n, f->step);
    n += put_string(payload + n, errno_name);
    n += put_string(payload + n, f->path);
    n += (size_t) snprintf((char *) payload + n, sizeof payload - n, "%s: %s", f->detail, strerror(f->err));
    send_frame(c, EXEC_FAILED, id, payload, n < sizeof payload ? n : sizeof payload - 1);
}

static void send_error(struct connection *c, int type, uint32_t id, int err, const char *message) {
    uint8_t payload[512];
    size_t n = strlen(message);
    if (n > sizeof payload - 4) n = sizeof payload - 4;
    put_u32(payload, (uint32_t) err);
    memcpy(payload + 4, message, n);
    send_frame(c, type, id, payload, 4 + n);
}

/* ---- processes ------------------------------------------------------------------------- */

static struct process *find_process(struct connection *c, uint32_t id) {
    for (int i = 0; i < MAX_PROCESSES; i++) {
        if (processes[i].used && processes[i].conn == c && processes[i].id == id) return &processes[i];
    }
    return NULL;
}

static void close_fd(int *fd) {
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void release_process(struct process *p) {
    close_fd(&p->stdin_fd);
    close_fd(&p->stdout_fd);
    close_fd(&p->stderr_fd);
    buffer_free(&p->stdin_pending);
    p->used = 0;
}

/* Reports EXIT once the child is reaped and its output pipes are drained. */
static void maybe_finish(struct process *p) {
    if (!p->used || !p->reaped || p->stdout_fd >= 0 || p->stderr_fd >= 0) return;
    if (p->conn) {
        uint32_t values[2];
        values[0] = WIFEXITED(p->status) && !p->timed_out ? (uint32_t) WEXITSTATUS(p->status) : (uint32_t) -1;
        values[1] = p->timed_out ? SIGKILL : WIFSIGNALED(p->status) ? (uint32_t) WTERMSIG(p->status) : 0;
        send_u32s(p->conn, EXIT, p->id, 2, values);
    }
    release_process(p);
}

struct reader {
    const uint8_t *p;
    size_t left;
    int bad;
    char limit[160]; /* which protocol limit a field was over, when that made it bad */
};

static uint32_t read_u32(struct reader *r) {
    if (r->left < 4) { r->bad = 1; return 0; }
    uint32_t v = get_u32(r->p);
    r->p += 4;
    r->left -= 4;
    return v;
}

/* A length-prefixed string of at most max bytes, copied NUL-terminated into a new allocation. */
static char *read_string(struct reader *r, uint32_t max, const char *what) {
    uint32_t n = read_u32(r);
    if (r->bad || n > r->left) { r->bad = 1; return NULL; }
    if (n > max) {
        r->bad = 1;
        snprintf(r->limit, sizeof r->limit, "%s of %u bytes is over the limit of %u", what, n, max);
        return NULL;
    }
    char *s = malloc(n + 1);
    if (!s) { r->bad = 1; return NULL; }
    memcpy(s, r->p, n);
    s[n] = 0;
    if (memchr(s, 0, n)) { free(s); r->bad = 1; return NULL; }
    r->p += n;
    r->left -= n;
    return s;
}

static void free_strings(char **v) {
    if (!v) return;
    for (char **s = v; *s; s++) free(*s);
    free(v);
}

static char **read_strings(struct reader *r, const char *what) {
    uint32_t count = read_u32(r);
    if (r->bad) return NULL;
    if (count > MAX_STRINGS) {
        r->bad = 1;
        snprintf(r->limit, sizeof r->limit, "%u %s entries are over the limit of %u", count, what, MAX_STRINGS);
        return NULL;
    }
    char **v = calloc(count + 1, sizeof *v);
    if (!v) { r->bad = 1; return NULL; }
    for (uint32_t i = 0; i < count; i++) {
        char entry[64];
        snprintf(entry, sizeof entry, "%s[%u]", what, i);
        v[i] = read_string(r, MAX_STRING, entry);
        if (r->bad) { free_strings(v); return NULL; }
    }
    return v;
}

/* mkdir -p, mode 0755; 0 when the path is a directory (or already exists) afterwards. */
static int mkdir_parents(const char *path) {
    char partial[4096];
    size_t n = strlen(path);
    if (n >= sizeof partial) { errno = ENAMETOOLONG; return -1; }
    memcpy(partial, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (partial[i] != '/' && partial[i] != 0) continue;
        char kept = partial[i];
        partial[i] = 0;
        if (mkdir(partial, 0755) && errno != EEXIST) return -1;
        partial[i] = kept;
    }
    return 0;
}

/* ---- image roots ----------------------------------------------------------------------- */

/*
 * An image path the agent accepts: absolute, canonical (so one upper has one name in the
 * overlay table), not /, and without the characters that would break overlayfs options.
 */
static int image_path_ok(const char *path) {
    size_t n = strlen(path);
    if (n < 2 || n > MAX_IMAGE_PATH || path[0] != '/' || strpbrk(path, ",:\\")) return 0;
    for (const char *part = path + 1;;) {
        size_t length = strcspn(part, "/");
        if (!length || (length == 1 && part[0] == '.') || (length == 2 && !strncmp(part, "..", 2))) return 0;
        if (!part[length]) return 1;
        part += length + 1;
    }
}

/* Outside a guest (tests) the agent's mounts go into a namespace of its own, not the host's. */
static int private_namespace_ready;

static int ensure_private_namespace(struct start_failure *f) {
    if (is_pid1 || private_namespace_ready) return 0;
    if (unshare(CLONE_NEWNS)) { fail(f, errno, "image-root", "", "unshare the agent's mount namespace"); return -1; }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) { fail(f, errno, "image-root", "/", "make the agent's / private"); return -1; }
    private_namespace_ready = 1;
    return 0;
}

/*
 * A persistent upper: PID 1 mounts its overlay once at UPPER/merged (UPPER/upper and UPPER/work
 * beside it), and every exec naming it shares that mount through its namespace copy. Two
 * overlays on one upper would corrupt it, so a second lower for the same upper is refused.
 */
static int mount_persistent_overlay(const char *lower_path, const char *upper_path, struct start_failure *f) {
    /* Keyed by the resolved paths, so that a symlink cannot give one upper two overlays. */
    char lower[PATH_MAX], upper[PATH_MAX];
    if (mkdir_parents(upper_path)) { fail(f, errno, "image-root", upper_path, "mkdir %.1100s", upper_path); return -1; }
    if (!realpath(lower_path, lower)) { fail(f, errno, "image-root", lower_path, "lower %.1100s", lower_path); return -1; }
    if (!realpath(upper_path, upper)) { fail(f, errno, "image-root", upper_path, "upper %.1100s", upper_path); return -1; }
    if (!image_path_ok(lower) || !image_path_ok(upper)) {
        fail(f, EINVAL, "image-root", upper_path, "%.500s or %.500s resolves to a path an overlay cannot take",
             lower_path, upper_path);
        return -1;
    }
    for (int i = 0; i < overlay_count; i++) {
        if (strcmp(overlays[i].upper, upper)) continue;
        if (!strcmp(overlays[i].lower, lower)) return 0;
        fail(f, EBUSY, "image-root", upper_path, "upper %.300s is already mounted over %.300s", upper, overlays[i].lower);
        return -1;
    }
    if (overlay_count == MAX_OVERLAYS) {
        fail(f, EMFILE, "image-root", upper_path, "more than %d persistent uppers", MAX_OVERLAYS);
        return -1;
    }
    char upper_dir[MAX_IMAGE_PATH + 16], work_dir[MAX_IMAGE_PATH + 16], merged[MAX_IMAGE_PATH + 16];
    char options[3 * MAX_IMAGE_PATH + 64];
    snprintf(upper_dir, sizeof upper_dir, "%.1023s/upper", upper); /* image_path_ok: at most 1023 */
    snprintf(work_dir, sizeof work_dir, "%.1023s/work", upper);
    snprintf(merged, sizeof merged, "%.1023s/merged", upper);
    const char *dirs[] = {upper_dir, work_dir, merged};
    for (int i = 0; i < 3; i++) {
        if (mkdir_parents(dirs[i])) { fail(f, errno, "image-root", dirs[i], "mkdir %.1100s", dirs[i]); return -1; }
    }
    snprintf(options, sizeof options, "lowerdir=%.1023s,upperdir=%s,workdir=%s", lower, upper_dir, work_dir);
    if (mount("overlay", merged, "overlay", 0, options)) {
        fail(f, errno, "image-root", merged, "mount overlay on %.1100s", merged);
        return -1;
    }
    snprintf(overlays[overlay_count].upper, sizeof overlays[0].upper, "%.1023s", upper);
    snprintf(overlays[overlay_count].lower, sizeof overlays[0].lower, "%.1023s", lower);
    overlay_count++;
    return 0;
}

/* ---- the child, between fork and exec --------------------------------------------------- */

static int child_status_fd = -1;

/* Reports a failed step to the parent through the status pipe (closed by a successful exec). */
static _Noreturn void child_fail(int err, const char *step, const char *path, const char *format, ...) {
    static struct start_failure failure;
    va_list args;
    va_start(args, format);
    vfail(&failure, err, step, path, format, args);
    va_end(args);
    for (size_t at = 0; at < sizeof failure;) {
        ssize_t written = write(child_status_fd, (const char *) &failure + at, sizeof failure - at);
        if (written <= 0) break;
        at += (size_t) written;
    }
    _exit(127);
}

/* A step of entering an image root failed. */
#define image_fail(err, path, ...) child_fail(err, "image-root", path, __VA_ARGS__)

/* execve, and like execvp a file the kernel cannot run (no #! line) runs with /bin/sh. */
static void exec_file(const char *file, char **argv, char **env) {
    execve(file, argv, env);
    if (errno != ENOEXEC) return;
    size_t argc = 0;
    while (argv[argc]) argc++;
    /* On the stack, not the heap: this runs in a vfork child, whose malloc would be the agent's.
     * argc <= MAX_STRINGS, so at most 32 KiB. */
    char *shell[argc + 2];
    shell[0] = "/bin/sh";
    shell[1] = (char *) file;
    memcpy(shell + 2, argv + 1, argc * sizeof *shell); /* argv[1..argc-1] and the NULL */
    execve("/bin/sh", shell, env);
    errno = ENOEXEC;
}

/*
 * Runs argv[0] like execvp, but searching the PATH of the request's environment (glibc's
 * execvpe searches the agent's own): EACCES when some match was not executable, else ENOENT.
 * Returns only on failure, with the errno to report and in failed the path it concerns (the
 * match that was not executable; argv[0] when nothing matched).
 */
static int exec_program(char **argv, char **env, char *failed, size_t size) {
    const char *name = argv[0];
    snprintf(failed, size, "%s", name);
    if (strchr(name, '/')) {
        exec_file(name, argv, env);
        return errno;
    }
    const char *search = DEFAULT_PATH;
    for (char **e = env; *e; e++) {
        if (!strncmp(*e, "PATH=", 5)) { search = *e + 5; break; }
    }
    size_t name_length = strlen(name);
    int saw_eacces = 0;
    for (const char *dir = search;;) {
        const char *end = strchrnul(dir, ':');
        size_t dir_length = (size_t) (end - dir);
        char path[4096];
        if (dir_length + 1 + name_length < sizeof path) {
            /* An empty entry is the working directory, as for execvp. */
            size_t at = 0;
            if (dir_length) {
                memcpy(path, dir, dir_length);
                path[dir_length] = '/';
                at = dir_length + 1;
            }
            memcpy(path + at, name, name_length + 1);
            exec_file(path, argv, env);
            int e = errno;
            switch (e) {
            case EACCES:
                if (!saw_eacces) snprintf(failed, size, "%s", path);
                saw_eacces = 1;
                break;
            case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT: break;
            default:
                snprintf(failed, size, "%s", path);
                return e;
            }
        }
        if (!*end) break;
        dir = end + 1;
    }
    return saw_eacces ? EACCES : ENOENT;
}

struct exec_spec {
    uint32_t flags, timeout, uid, gid;
    char *workdir;
    char **argv, **env;
    uint32_t group_count;
    gid_t groups[MAX_GROUPS];
    char *lower, *upper; /* the image root (flags bit 1), else NULL */
    uint32_t rows, cols; /* the terminal's size (flags bit 2) */
};

/* Writes a whole file in the new root, replacing a dangling symlink (a regular file or a
 * symlink that resolves is written through: paths resolve inside the image by now). */
static void write_root_file(const char *path, const char *data, size_t n) {
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) && unlink(path))
        image_fail(errno, path, "replace the dangling symlink %s", path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) image_fail(errno, path, "write %s", path);
    for (size_t at = 0; at < n;) {
        ssize_t written = write(fd, data + at, n - at);
        if (written < 0) image_fail(errno, path, "write %s", path);
        at += (size_t) written;
    }
    close(fd);
}

static void mount_in_root(const char *source, const char *target, const char *type, unsigned long flags,
                          const char *options, mode_t mode) {
    if (mkdir(target, mode) && errno != EEXIST) image_fail(errno, target, "mkdir %s", target);
    if (mount(source, target, type, flags, options)) image_fail(errno, target, "mount %s on %s", type, target);
}

/* The /dev of a container: a tmpfs with the usual nodes and links, its own devpts and shm. */
static void populate_dev(void) {
    static const struct { const char *name; unsigned major, minor; } nodes[] = {
        {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
    };
    static const char *const links[][2] = {
        {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
    };
    mount_in_root("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755", 0755);
    char path[64];
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        snprintf(path, sizeof path, "/dev/%s", nodes[i].name);
        /* chmod too: mknod's mode passes through the umask. */
        if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) || chmod(path, 0666))
            image_fail(errno, path, "mknod %s", path);
    }
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(path, sizeof path, "/dev/%s", links[i][0]);
        if (symlink(links[i][1], path)) image_fail(errno, path, "symlink %s", path);
    }
    mount_in_root("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620", 0755);
    mount_in_root("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777);
}

/*
 * Makes the image the child's root, in a mount namespace of its own: an overlay of the lower
 * under a fresh tmpfs upper (gone with the namespace, that is with the process tree) or under
 * PID 1's mount of a persistent upper; then /proc, /sys, /dev, /etc/hosts and /etc/resolv.conf,
 * pivot_root, and the machine's root detached.
 */
static void enter_image_root(const struct exec_spec *s) {
    char root[MAX_IMAGE_PATH + 16];
    /* Read before the switch: the machine's resolver, for the image (64 KiB is plenty). */
    static char resolv[65536];
    ssize_t resolv_length = -1;
    int fd = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        resolv_length = read(fd, resolv, sizeof resolv);
        close(fd);
    }
    if (unshare(CLONE_NEWNS)) image_fail(errno, "", "unshare the mount namespace");
    /* Nothing below may propagate back to the machine's mounts. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) image_fail(errno, "/", "make / private");
    if (*s->upper) {
        snprintf(root, sizeof root, "%s/merged", s->upper);
    } else {
        if (mkdir_parents(EXEC_SCRATCH)) image_fail(errno, EXEC_SCRATCH, "mkdir %s", EXEC_SCRATCH);
        if (mount("tmpfs", EXEC_SCRATCH, "tmpfs", 0, "mode=0755")) image_fail(errno, EXEC_SCRATCH, "mount tmpfs on %s", EXEC_SCRATCH);
        const char *dirs[] = {EXEC_SCRATCH "/upper", EXEC_SCRATCH "/work", EXEC_SCRATCH "/merged"};
        for (int i = 0; i < 3; i++) if (mkdir(dirs[i], 0755)) image_fail(errno, dirs[i], "mkdir %s", dirs[i]);
        char options[MAX_IMAGE_PATH + 128];
        snprintf(options, sizeof options, "lowerdir=%s,upperdir=%s,workdir=%s", s->lower, dirs[0], dirs[1]);
        if (mount("overlay", dirs[2], "overlay", 0, options)) image_fail(errno, s->lower, "mount overlay of %s", s->lower);
        snprintf(root, sizeof root, "%s", dirs[2]);
    }
    if (chdir(root)) image_fail(errno, root, "chdir %s", root);
    /* One name per child: execs sharing a persistent upper share this directory. */
    char old_root[32];
    snprintf(old_root, sizeof old_root, ".flint-old-%d", (int) getpid());
    if (mkdir(old_root, 0700) && errno != EEXIST) image_fail(errno, old_root, "mkdir %s/%s", root, old_root);
    if (syscall(SYS_pivot_root, ".", old_root) == 0) {
        if (chdir("/")) image_fail(errno, "/", "chdir / in the image");
    } else if (errno == EINVAL) {
        /* The machine's root is the initramfs, which pivot_root cannot put aside: move the
         * image over it as switch_root does (the initramfs stays underneath, unreachable). */
        if (mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/")) image_fail(errno, root, "move the image onto /");
    } else {
        image_fail(errno, root, "pivot_root to %s", root);
    }
    /* From here every path, symlinks included, resolves inside the image. */
    mount_in_root("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555);
    mount_in_root("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555);
    populate_dev();
    if (mkdir("/etc", 0755) && errno != EEXIST) image_fail(errno, "/etc", "mkdir /etc");
    if (resolv_length >= 0) write_root_file("/etc/resolv.conf", resolv, (size_t) resolv_length);
    char hostname[HOST_NAME_MAX + 1] = "localhost", hosts[HOST_NAME_MAX + 128];
    gethostname(hostname, sizeof hostname - 1);
    int n = snprintf(hosts, sizeof hosts, "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n"
                     "127.0.1.1 %s\n", hostname);
    write_root_file("/etc/hosts", hosts, (size_t) n);
    /* EINVAL: not a mount point (the initramfs case). */
    if (umount2(old_root, MNT_DETACH) && errno != EINVAL) image_fail(errno, old_root, "detach the machine's root");
    if (rmdir(old_root)) image_fail(errno, old_root, "rmdir /%s", old_root);
}

/* In the vfork child: everything PID 1 changed back to defaults, then the request's credentials. */
static _Noreturn void run_child(const struct exec_spec *s, int in, int out, int err) {
    /* Dispositions set to SIG_IGN survive exec: without this every child ignored SIGPIPE. The raw
     * system call reaches glibc's reserved signals too (an all-zero kernel sigaction is SIG_DFL
     * on every layout); SIGKILL and SIGSTOP answer EINVAL. */
    unsigned long default_action[4] = {0};
    for (int sig = 1; sig < NSIG; sig++) syscall(SYS_rt_sigaction, sig, default_action, NULL, sizeof(uint64_t));
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    /* On a terminal: its slave becomes the new session's controlling terminal, so Ctrl-C typed
     * into it is SIGINT to the foreground process group, as in a login. */
    if (s->flags & 4 && ioctl(in, TIOCSCTTY, 0)) child_fail(errno, "terminal", "", "TIOCSCTTY");
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (s->lower) enter_image_root(s);
    const char *workdir = s->workdir && *s->workdir ? s->workdir : "/";
    if (chdir(workdir)) child_fail(errno, "chdir", workdir, "chdir %s", workdir);
    /* Always: a process must not keep PID 1's supplementary groups by accident. An agent that
     * is not root (tests) cannot change them, and with no user asked for has nothing to drop. */
    /* Raw system calls: glibc's wrappers may broadcast the change to "all threads", which in a
     * vfork child would be the agent's. */
    if (syscall(SYS_setgroups, (long) s->group_count, s->groups)
            && !(errno == EPERM && geteuid() != 0 && !s->group_count && !s->uid && !s->gid))
        child_fail(errno, "setgroups", "", "setgroups");
    if (s->gid && syscall(SYS_setgid, (long) s->gid)) child_fail(errno, "setgid", "", "setgid %u", s->gid);
    if (s->uid && syscall(SYS_setuid, (long) s->uid)) child_fail(errno, "setuid", "", "setuid %u", s->uid);
    static char failed[MAX_WORKDIR + 1];
    int e = exec_program(s->argv, s->env, failed, sizeof failed);
    child_fail(e, "exec", failed, "exec %s", failed);
}

/* A pseudo-terminal of rows x cols: its master (the agent's) and slave (the child's); 0 or -1 with errno. */
static int open_terminal(int *master, int *slave, uint32_t rows, uint32_t cols) {
    char name[64];
    *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*master < 0) return -1;
    struct winsize size = {.ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols};
    if (grantpt(*master) || unlockpt(*master) || ptsname_r(*master, name, sizeof name)
            || ioctl(*master, TIOCSWINSZ, &size)
            || (*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        int e = errno;
        close(*master);
        errno = e;
        return -1;
    }
    return 0;
}

/* Pipes for stdin, stdout, stderr and the child's status; on failure none is left open. */
static int make_pipes(int pipes[4][2]) {
    for (int i = 0; i < 4; i++) {
        if (pipe2(pipes[i], O_CLOEXEC)) {
            int e = errno;
            while (i-- > 0) {
                close(pipes[i][0]);
                close(pipes[i][1]);
            }
            errno = e;
            return -1;
        }
    }
    return 0;
}

/* Reads the child's start_failure until the pipe closes (exec or exit); 1 when it sent one. */
static int read_child_failure(int fd, struct start_failure *f) {
    size_t got = 0;
    while (got < sizeof *f) {
        ssize_t n = read(fd, (char *) f + got, sizeof *f - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t) n;
    }
    return got == sizeof *f;
}

/*
 * EXEC payload (PROTOCOL.md): u32 flags (bit 0: stdin open, bit 1: image root), u32 timeout ms
 * (0: none), u32 uid, u32 gid, string workdir (empty: /), strings argv, strings env ("K=V"),
 * then (optional: an older host ends here) u32 group count <= 64 and that many u32
 * supplementary gids, then with bit 1 strings lower and upper. Every limit is checked here too.
 */
static void start_process(struct connection *c, uint32_t id, const uint8_t *payload, size_t n) {
    struct reader r = {payload, n, 0, ""};
    struct exec_spec s = {0};
    static struct start_failure failure;
    s.flags = read_u32(&r);
    s.timeout = read_u32(&r);
    s.uid = read_u32(&r);
    s.gid = read_u32(&r);
    s.workdir = read_string(&r, MAX_WORKDIR, "workdir");
    s.argv = read_strings(&r, "argv");
    s.env = read_strings(&r, "env");
    if (!r.bad && r.left) {
        s.group_count = read_u32(&r);
        if (s.group_count > MAX_GROUPS) {
            r.bad = 1;
            snprintf(r.limit, sizeof r.limit, "%u supplementary groups are over the limit of %u", s.group_count, MAX_GROUPS);
        }
        for (uint32_t i = 0; i < s.group_count && !r.bad; i++) s.groups[i] = read_u32(&r);
        if (s.flags & 2) {
            s.lower = read_string(&r, MAX_IMAGE_PATH, "image lower");
            s.upper = read_string(&r, MAX_IMAGE_PATH, "image upper");
        }
        if (s.flags & 4) {
            s.rows = read_u32(&r);
            s.cols = read_u32(&r);
            if (!r.bad && (s.rows < 1 || s.rows > MAX_TERMINAL || s.cols < 1 || s.cols > MAX_TERMINAL)) {
                r.bad = 1;
                snprintf(r.limit, sizeof r.limit, "a terminal of %u rows and %u columns: each must be 1-%d",
                         s.rows, s.cols, MAX_TERMINAL);
            }
        }
    }
    struct process *p = NULL;
    if (r.bad || !s.argv || !s.argv[0] || !s.env || ((s.flags & 2) && !s.upper)) {
        if (*r.limit) fail(&failure, E2BIG, "request", "", "%s", r.limit);
        else fail(&failure, EINVAL, "request", "", "malformed EXEC request");
        goto failed;
    }
    if (s.lower && (!image_path_ok(s.lower) || (*s.upper && !image_path_ok(s.upper)))) {
        fail(&failure, EINVAL, "request", s.lower, "image lower and upper must be canonical absolute paths, not /, "
             "without ',', ':' or '\\', at most %d bytes", MAX_IMAGE_PATH);
        goto failed;
    }
    if (find_process(c, id)) {
        fail(&failure, EEXIST, "request", "", "process id %u already in use on this connection", id);
        goto failed;
    }
    for (int i = 0; i < MAX_PROCESSES && !p; i++) if (!processes[i].used) p = &processes[i];
    if (!p) {
        fail(&failure, EAGAIN, "request", "", "more than %d processes running", MAX_PROCESSES);
        goto failed;
    }
    if (s.lower && (ensure_private_namespace(&failure)
                    || (*s.upper && mount_persistent_overlay(s.lower, s.upper, &failure)))) {
        goto failed;
    }
    int pipes[4][2];
    if (make_pipes(pipes)) {
        fail(&failure, errno, "pipe", "", "pipe");
        goto failed;
    }
    int *in = pipes[0], *out = pipes[1], *err = pipes[2], *status = pipes[3];
    if (s.flags & 4) {
        /* A pseudo-terminal instead of the three pipes: the child gets its slave as stdin, stdout
         * and stderr (one stream, as a terminal has), the agent keeps the master for both ways. */
        int master = -1, slave = -1;
        if (open_terminal(&master, &slave, s.rows, s.cols)) {
            fail(&failure, errno, "terminal", "", "open a pseudo-terminal");
            for (int i = 0; i < 4; i++) {
                close(pipes[i][0]);
                close(pipes[i][1]);
            }
            goto failed;
        }
        for (int i = 0; i < 3; i++) {
            close(pipes[i][0]);
            close(pipes[i][1]);
        }
        in[0] = out[1] = err[1] = slave;
        in[1] = fcntl(master, F_DUPFD_CLOEXEC, 0);
        out[0] = master;
        err[0] = -1;
    }
    /* vfork: no copy of the agent's page tables, and the agent resumes only once the child has
     * exec'd or failed, so the status pipe below holds its whole answer and the read does not
     * wait. The child runs on the agent's memory until then: run_child never returns, allocates
     * nothing, and uses raw system calls where glibc would touch shared state. Every signal is
     * blocked across the vfork so that no handler of the agent runs in the child before
     * run_child resets them (posix_spawn does the same). */
    sigset_t all, mask;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &mask);
    pid_t pid = vfork();
    if (pid == 0) {
        child_status_fd = status[1];
        run_child(&s, in[0], out[1], err[1]);
    }
    int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &mask, NULL);
    close(in[0]);
    if (!(s.flags & 4)) {
        close(out[1]);
        close(err[1]);
    }
    close(status[1]);
    int child_failed = pid > 0 && read_child_failure(status[0], &failure);
    close(status[0]);
    if (pid < 0 || child_failed) {
        if (pid < 0) fail(&failure, fork_errno, "fork", "", "vfork");
        close(in[1]);
        close(out[0]);
        if (err[0] >= 0) close(err[0]);
        if (pid > 0) waitpid(pid, NULL, 0);
        goto failed;
    }
    memset(p, 0, sizeof *p);
    p->used = 1;
    p->conn = c;
    p->id = id;
    p->pid = pid;
    p->stdin_fd = in[1];
    p->stdout_fd = out[0];
    p->stderr_fd = err[0];
    p->deadline_ms = s.timeout ? now_ms() + s.timeout : 0;
    p->terminal = (s.flags & 4) != 0;
    set_nonblocking(p->stdin_fd);
    set_nonblocking(p->stdout_fd);
    if (p->stderr_fd >= 0) set_nonblocking(p->stderr_fd);
    if (!(s.flags & 1)) close_fd(&p->stdin_fd);
    uint32_t value = (uint32_t) pid;
    send_u32s(c, STARTED, id, 1, &value);
    goto out;
failed:
    send_failure(c, id, &failure);
out:
    free(s.workdir);
    free_strings(s.argv);
    free_strings(s.env);
    free(s.lower);
    free(s.upper);
}

static void reap_children(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < MAX_PROCESSES; i++) {
            struct process *p = &processes[i];
            if (p->used && p->pid == pid && !p->reaped) {
                p->reaped = 1;
                p->status = status;
                close_fd(&p->stdin_fd);
                maybe_finish(p);
            }
        }
    }
}

/* ---- connections ----------------------------------------------------------------------- */

/* Writes `value` to the VMM's marker page at guest-physical 0xc0000000 + `offset`. */
static void write_marker(int offset, uint8_t value) {
    int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
    if (fd < 0) return;
    volatile uint8_t *page = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, fd, 0xc0000000);
    if (page != MAP_FAILED) {
        page[offset] = value;
        munmap((void *) page, 4096);
    }
    close(fd);
}

/* Byte 123 at offset 0: "init ran", which the VMM timestamps. */
static void write_boot_marker(void) {
    write_marker(0, 123);
}

/* Byte 65 at offset 16: "the agent listens", on which the host connects once instead of polling
 * the port. Only in a Flint guest: elsewhere that address may be another machine's RAM or device. */
static void signal_listening(void) {
    write_marker(16, 65);
}

/* The reset below (reboot=k: the i8042) is a power-off only if announced by byte 15 at offset 8
 * right before it; the VMM takes any other reset, a kernel panic's (panic=-1), as a crash. */
static void power_off(void) {
    sync();
    if (is_pid1) {
        write_marker(8, 15);
        reboot(RB_AUTOBOOT);
    }
    exit(0);
}

/* ---- renewal after a restore ------------------------------------------------------------ */

/*
 * A hostname RENEW may set: 1 to 64 bytes of dot-separated labels of 1 to 63 letters, digits and
 * '-', none starting or ending with '-' (RFC 1123; the host checks the same).
 */
static int hostname_ok(const char *name) {
    if (strlen(name) > MAX_HOSTNAME) return 0;
    for (const char *label = name;;) {
        size_t length = strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
        if (!length || length > 63 || label[0] == '-' || label[length - 1] == '-') return 0;
        if (!label[length]) return 1;
        if (label[length] != '.') return 0;
        label += length + 1;
    }
}

/* One step of RENEW that failed (PROTOCOL.md, Renewal): its name, errno and what it did. */
struct renew_failure {
    int err;
    const char *step;
    char detail[128];
};

struct renew_result {
    int count;
    struct renew_failure failures[5];
};

static void renew_fail(struct renew_result *r, int err, const char *step, const char *format, ...) {
    struct renew_failure *f = &r->failures[r->count++];
    va_list args;
    va_start(args, format);
    f->err = err;
    f->step = step;
    vsnprintf(f->detail, sizeof f->detail, format, args);
    va_end(args);
}

/* RENEWED when every step worked, else RENEW_FAILED: u32 count, then per failed step u32 errno,
 * string step, string errno name, string "DETAIL: strerror". */
static void send_renewal(struct connection *c, uint32_t id, const struct renew_result *r) {
    if (!r->count) {
        send_frame(c, RENEWED, id, NULL, 0);
        return;
    }
    uint8_t payload[4 + 5 * (4 + 4 + 16 + 4 + 64 + 4 + 128 + 128)];
    put_u32(payload, (uint32_t) r->count);
    size_t n = 4;
    for (int i = 0; i < r->count; i++) {
        const struct renew_failure *f = &r->failures[i];
        const char *name = strerrorname_np(f->err);
        char errno_name[64], message[256];
        snprintf(errno_name, sizeof errno_name, "%s", name ? name : "");
        snprintf(message, sizeof message, "%s: %s", f->detail, strerror(f->err));
        put_u32(payload + n, (uint32_t) f->err);
        n += 4;
        n += put_string(payload + n, f->step);
        n += put_string(payload + n, errno_name);
        n += put_string(payload + n, message);
    }
    send_frame(c, RENEW_FAILED, id, payload, n);
}

/* An ioctl on /dev/urandom, which takes the random driver's ioctls as /dev/random does. */
static int random_ioctl(unsigned long request, void *argument) {
    int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int result = ioctl(fd, request, argument);
    int e = errno;
    close(fd);
    errno = e;
    return result;
}

/*
 * RENEW payload (PROTOCOL.md): u64 seconds and u32 nanoseconds of the host's wall clock since
 * the epoch, u32 length + 32 to 512 bytes of entropy, string hostname (empty: keep it). A guest
 * restored from a snapshot has its clock, its RNG state and (for a clone) its name from the
 * moment of the snapshot: every step is tried even when an earlier one failed, because a clone
 * whose clock could not be set must still not share its RNG with its siblings.
 */
static void renew(struct connection *c, uint32_t id, const uint8_t *payload, size_t n) {
    struct reader r = {payload, n, 0, ""};
    struct renew_result result = {0};
    uint64_t seconds = (uint64_t) read_u32(&r) << 32;
    seconds |= read_u32(&r);
    uint32_t nanoseconds = read_u32(&r);
    uint32_t entropy_length = read_u32(&r);
    const uint8_t *entropy = r.p;
    if (!r.bad && (entropy_length < MIN_RENEW_ENTROPY || entropy_length > MAX_RENEW_ENTROPY)) {
        r.bad = 1;
        snprintf(r.limit, sizeof r.limit, "entropy of %u bytes is outside the limits of %d to %d bytes",
                 entropy_length, MIN_RENEW_ENTROPY, MAX_RENEW_ENTROPY);
    } else if (!r.bad && entropy_length > r.left) {
        r.bad = 1;
    } else if (!r.bad) {
        r.p += entropy_length;
        r.left -= entropy_length;
    }
    char *hostname = r.bad ? NULL : read_string(&r, MAX_HOSTNAME, "hostname");
    if (r.bad || r.left) {
        if (*r.limit) renew_fail(&result, E2BIG, "request", "%s", r.limit);
        else renew_fail(&result, EINVAL, "request", "malformed RENEW request");
    } else if (seconds > INT64_MAX || nanoseconds >= 1000000000) {
        renew_fail(&result, EINVAL, "request", "wall clock %llu.%u is not a time", (unsigned long long) seconds,
                   nanoseconds);
    } else if (*hostname && !hostname_ok(hostname)) {
        renew_fail(&result, EINVAL, "request", "hostname is not 1-64 bytes of dot-separated labels of letters, "
                   "digits and '-'");
    } else {
        struct timespec wall = {.tv_sec = (time_t) seconds, .tv_nsec = nanoseconds};
        if (clock_settime(CLOCK_REALTIME, &wall))
            renew_fail(&result, errno, "clock", "set the clock to %llu.%09u", (unsigned long long) seconds, nanoseconds);
        /* Credited in full (8 bits a byte): the host's bytes come from its own CSPRNG. */
        struct rand_pool_info *pool = malloc(sizeof *pool + entropy_length);
        if (!pool) {
            renew_fail(&result, ENOMEM, "entropy", "allocate %u bytes", entropy_length);
        } else {
            pool->entropy_count = 8 * (int) entropy_length;
            pool->buf_size = (int) entropy_length;
            memcpy(pool->buf, entropy, entropy_length);
            if (random_ioctl(RNDADDENTROPY, pool))
                renew_fail(&result, errno, "entropy", "add %u bytes of entropy to /dev/urandom", entropy_length);
            explicit_bzero(pool->buf, entropy_length);
            free(pool);
        }
        /* Without this the kernel keeps handing out keys from its old state, the same in every
         * clone, until its next scheduled reseed (minutes). Since Linux 4.17. */
        if (random_ioctl(RNDRESEEDCRNG, NULL)) renew_fail(&result, errno, "reseed", "reseed the kernel's RNG");
        if (*hostname && sethostname(hostname, strlen(hostname)))
            renew_fail(&result, errno, "hostname", "set the hostname to %s", hostname);
    }
    free(hostname);
    send_renewal(c, id, &result);
}

/* ---- files (PROTOCOL.md, "Files") --------------------------------------------------------- */

#define MAX_TRANSFERS 64
#define FILE_WINDOW (256 * 1024) /* a read's bytes sent and not yet acknowledged by the host */
#define FILE_CHUNK 65536         /* a FILE_DATA frame, either way */
#define MAX_REMOVE_DEPTH 256
#define LIST_STEP 64             /* entries a list sends per turn of the loop */

enum { T_READ = 1, T_WRITE = 2, T_LIST = 3 };

/* A read, write or list in progress: its file or directory and, for a read, its window. */
struct transfer {
    int kind;
    struct connection *conn;
    uint32_t id;
    int fd;
    DIR *dir;
    uint64_t unacked;
    char path[MAX_WORKDIR + 1];
};

static struct transfer transfers[MAX_TRANSFERS];

static struct transfer *find_transfer(struct connection *c, uint32_t id) {
    for (int i = 0; i < MAX_TRANSFERS; i++) {
        if (transfers[i].kind && transfers[i].conn == c && transfers[i].id == id) return &transfers[i];
    }
    return NULL;
}

static void release_transfer(struct transfer *t) {
    if (t->dir) closedir(t->dir);
    else close_fd(&t->fd);
    memset(t, 0, sizeof *t);
    t->fd = -1;
}

/* FILE_ERROR: u32 errno, string errno name, string path, then "WHAT PATH: strerror". */
static void send_file_error(struct connection *c, uint32_t id, int err, const char *what, const char *path) {
    static uint8_t payload[4 + 4 + 64 + 4 + MAX_WORKDIR + 64 + MAX_WORKDIR + 256];
    const char *name = strerrorname_np(err);
    char errno_name[64];
    snprintf(errno_name, sizeof errno_name, "%s", name ? name : "");
    put_u32(payload, (uint32_t) err);
    size_t n = 4;
    n += put_string(payload + n, errno_name);
    n += put_string(payload + n, path); /* at most MAX_WORKDIR: read_string bounded it */
    int m = snprintf((char *) payload + n, sizeof payload - n, "%s %s: %s", what, path, strerror(err));
    n += m < 0 ? 0 : (size_t) m < sizeof payload - n ? (size_t) m : sizeof payload - n - 1;
    send_frame(c, FILE_ERROR, id, payload, n);
}

/* openat2 inside root: ".." and absolute symlinks stay in it (Linux 5.6). */
static int open_in_root(int root, const char *path, int flags, mode_t mode) {
    struct open_how how = {.flags = (uint64_t) (flags | O_CLOEXEC), .mode = flags & O_CREAT ? mode : 0,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    return (int) syscall(SYS_openat2, root, path, &how, sizeof how);
}

/*
 * The root a file request names: "" and "" for the machine's, else an image's persistent upper,
 * mounted as an exec mounts it. -1 with errno on failure, *what saying which step.
 */
static int open_file_root(const char *lower, const char *upper, const char **what) {
    *what = "open root";
    if (!*lower && !*upper) return open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (!image_path_ok(lower) || !image_path_ok(upper)) { errno = EINVAL; *what = "image root"; return -1; }
    struct start_failure f;
    if (ensure_private_namespace(&f) || mount_persistent_overlay(lower, upper, &f)) {
        errno = f.err;
        *what = "mount image root";
        return -1;
    }
    char merged[MAX_IMAGE_PATH + 16];
    snprintf(merged, sizeof merged, "%.1023s/merged", upper);
    return open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/*
 * Splits an absolute path into its parent, opened inside root, and its last component
 * (empty for "/"). Trailing slashes are dropped. -1 with errno when the parent cannot be opened.
 */
static int open_parent(int root, char *path, const char **name) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') path[--n] = 0;
    char *slash = strrchr(path, '/');
    if (!slash) { errno = EINVAL; return -1; }
    *name = slash + 1;
    if (slash == path) return open_in_root(root, "/", O_PATH | O_DIRECTORY, 0);
    *slash = 0;
    int fd = open_in_root(root, path, O_PATH | O_DIRECTORY, 0);
    *slash = '/';
    return fd;
}

/* FILE_ENTRY for NAME in dirfd (not followed); 0, or -1 with errno. */
static int send_entry(struct connection *c, uint32_t id, int dirfd, const char *name, const char *shown) {
    static uint8_t payload[1 + 4 + 8 + 8 + 4 + 4 + NAME_MAX + 4 + PATH_MAX];
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH))) return -1;
    char target[PATH_MAX];
    ssize_t length = 0;
    if (S_ISLNK(st.st_mode)) {
        length = readlinkat(dirfd, name, target, sizeof target - 1);
        if (length < 0) length = 0;
    }
    size_t shown_length = strnlen(shown, NAME_MAX);
    payload[0] = S_ISREG(st.st_mode) ? 0 : S_ISDIR(st.st_mode) ? 1 : S_ISLNK(st.st_mode) ? 2 : 3;
    put_u32(payload + 1, (uint32_t) (st.st_mode & 07777));
    put_u32(payload + 5, (uint32_t) ((uint64_t) st.st_size >> 32));
    put_u32(payload + 9, (uint32_t) st.st_size);
    put_u32(payload + 13, (uint32_t) ((uint64_t) st.st_mtim.tv_sec >> 32));
    put_u32(payload + 17, (uint32_t) st.st_mtim.tv_sec);
    put_u32(payload + 21, (uint32_t) st.st_mtim.tv_nsec);
    size_t n = 25;
    put_u32(payload + n, (uint32_t) shown_length);
    memcpy(payload + n + 4, shown, shown_length);
    n += 4 + shown_length;
    put_u32(payload + n, (uint32_t) length);
    memcpy(payload + n + 4, target, (size_t) length);
    n += 4 + (size_t) length;
    send_frame(c, FILE_ENTRY, id, payload, n);
    return 0;
}

/* Removes NAME in dirfd, a directory with everything in it; symlinks are not followed. */
static int remove_tree(int dirfd, const char *name, int depth) {
    if (!unlinkat(dirfd, name, 0)) return 0;
    if (errno != EISDIR && errno != EPERM) return -1;
    if (depth >= MAX_REMOVE_DEPTH) { errno = ELOOP; return -1; }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOTDIR ? (errno = EPERM, -1) : -1;
    DIR *dir = fdopendir(fd);
    if (!dir) { close(fd); return -1; }
    struct dirent *e;
    while ((errno = 0, e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (remove_tree(fd, e->d_name, depth + 1)) { int saved = errno; closedir(dir); errno = saved; return -1; }
    }
    int saved = errno;
    closedir(dir);
    if (saved) { errno = saved; return -1; }
    return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* mkdir -p inside root: each missing component made with mode. */
static int make_dirs(int root, char *path, mode_t mode, const char **what) {
    size_t n = strlen(path);
    for (size_t i = 1; i <= n; i++) {
        if ((path[i] != '/' && path[i] != 0) || path[i - 1] == '/') continue; /* so a prefix never ends in '/' */
        char kept = path[i];
        path[i] = 0;
        int fd = open_in_root(root, path, O_PATH | O_DIRECTORY, 0);
        if (fd >= 0) {
            close(fd);
        } else if (errno == ENOENT) {
            const char *name;
            int parent = open_parent(root, path, &name);
            int made = parent < 0 ? -1 : mkdirat(parent, name, mode);
            if (!made) made = fchmodat(parent, name, mode, 0);
            int saved = errno;
            if (parent >= 0) close(parent);
            if (made && saved != EEXIST) { *what = "mkdir"; path[i] = kept; errno = saved; return -1; }
        } else {
            *what = "open";
            path[i] = kept;
            return -1;
        }
        path[i] = kept;
    }
    return 0;
}

static int last_is_dot(const char *name) {
    return !strcmp(name, ".") || !strcmp(name, "..");
}

static void file_request(struct connection *c, int type, uint32_t id, const uint8_t *payload, size_t n) {
    struct reader r = {.p = payload, .left = n};
    char *lower = read_string(&r, MAX_IMAGE_PATH, "lower");
    char *upper = r.bad ? NULL : read_string(&r, MAX_IMAGE_PATH, "upper");
    uint32_t number = 0;
    char *target = NULL;
    if (!r.bad && type == FILE_SYMLINK) target = read_string(&r, MAX_WORKDIR, "symlink target");
    else if (!r.bad && type != FILE_STAT && type != FILE_LIST && type != FILE_READ) number = read_u32(&r);
    char *path = r.bad ? NULL : read_string(&r, MAX_WORKDIR, "path");
    int root = -1, fd = -1;
    const char *what = "request", *name = "";
    int err = 0;
    if (r.bad || r.left) { err = r.limit[0] ? E2BIG : EINVAL; goto done; }
    if (path[0] != '/') { err = EINVAL; what = "relative path"; goto done; }
    if ((type == FILE_MKDIRS || type == FILE_WRITE) && number > 07777) { err = EINVAL; what = "mode for"; goto done; }
    int streams = type == FILE_READ || type == FILE_WRITE || type == FILE_LIST;
    struct transfer *slot = NULL;
    if (streams) {
        if (find_transfer(c, id)) { err = EEXIST; what = "request id for"; goto done; }
        for (int i = 0; i < MAX_TRANSFERS && !slot; i++) if (!transfers[i].kind) slot = &transfers[i];
        if (!slot) { err = EAGAIN; what = "64 transfers running, refused"; goto done; }
    }
    root = open_file_root(lower, upper, &what);
    if (root < 0) { err = errno; goto done; }
    switch (type) {
    case FILE_STAT: {
        what = "stat";
        fd = open_parent(root, path, &name);
        if (fd < 0 || send_entry(c, id, fd, name, *name ? name : "/")) err = errno;
        break;
    }
    case FILE_SYMLINK:
        what = "symlink";
        fd = open_parent(root, path, &name);
        if (fd < 0) { err = errno; break; }
        if (!*name || last_is_dot(name)) { err = EEXIST; break; }
        if (symlinkat(target, fd, name)) err = errno;
        else send_frame(c, FILE_DONE, id, NULL, 0);
        break;
    case FILE_MKDIRS:
        if (make_dirs(root, path, (mode_t) number, &what)) err = errno;
        else send_frame(c, FILE_DONE, id, NULL, 0);
        break;
    case FILE_REMOVE:
        what = "remove";
        fd = open_parent(root, path, &name);
        if (fd < 0) { err = errno; break; }
        if (!*name) { err = EBUSY; break; }
        if (last_is_dot(name)) { err = EINVAL; break; }
        if (number & 1) {
            if (remove_tree(fd, name, 0)) err = errno;
        } else if (unlinkat(fd, name, 0) && (errno != EISDIR || unlinkat(fd, name, AT_REMOVEDIR))) {
            err = errno;
        }
        if (!err) send_frame(c, FILE_DONE, id, NULL, 0);
        break;
    case FILE_WRITE:
    case FILE_READ:
    case FILE_LIST: {
        what = type == FILE_WRITE ? "create" : "open";
        int flags = type == FILE_WRITE ? O_WRONLY | O_CREAT | O_TRUNC : type == FILE_LIST ? O_RDONLY | O_DIRECTORY : O_RDONLY;
        int file = open_in_root(root, path, flags, (mode_t) number);
        if (file < 0) { err = errno; break; }
        struct stat st;
        if (type == FILE_WRITE && fchmod(file, (mode_t) number)) { err = errno; what = "chmod"; close(file); break; }
        if (type == FILE_READ && !fstat(file, &st) && S_ISDIR(st.st_mode)) { err = EISDIR; what = "read"; close(file); break; }
        memset(slot, 0, sizeof *slot);
        slot->fd = file;
        if (type == FILE_LIST && !(slot->dir = fdopendir(file))) { err = errno; close(file); slot->fd = -1; break; }
        slot->kind = type == FILE_READ ? T_READ : type == FILE_WRITE ? T_WRITE : T_LIST;
        slot->conn = c;
        slot->id = id;
        snprintf(slot->path, sizeof slot->path, "%s", path);
        break;
    }
    }
done:
    if (err) send_file_error(c, id, err, what, path ? path : "");
    if (fd >= 0) close(fd);
    if (root >= 0) close(root);
    free(lower);
    free(upper);
    free(target);
    free(path);
}

static void file_data(struct connection *c, uint32_t id, const uint8_t *payload, size_t n) {
    struct transfer *t = find_transfer(c, id);
    if (!t || t->kind != T_WRITE) return; /* after a FILE_ERROR: ignored */
    if (n == 0 || n > FILE_CHUNK) {
        send_file_error(c, id, EINVAL, "a data frame out of 1 to 65536 bytes for", t->path);
        release_transfer(t);
        return;
    }
    for (size_t done = 0; done < n;) {
        ssize_t written = write(t->fd, payload + done, n - done);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) {
            send_file_error(c, id, written < 0 ? errno : ENOSPC, "write", t->path);
            release_transfer(t);
            return;
        }
        done += (size_t) written;
    }
    uint32_t acked = (uint32_t) n;
    send_u32s(c, FILE_ACK, id, 1, &acked);
}

static void file_ack(struct connection *c, uint32_t id, const uint8_t *payload, size_t n) {
    struct transfer *t = find_transfer(c, id);
    if (!t || t->kind != T_READ || n != 4) return;
    uint32_t acked = get_u32(payload);
    t->unacked -= acked < t->unacked ? acked : t->unacked;
}

static void file_end(struct connection *c, uint32_t id) {
    struct transfer *t = find_transfer(c, id);
    if (!t) return;
    if (t->kind == T_WRITE) {
        int fd = t->fd;
        t->fd = -1;
        if (close(fd)) send_file_error(c, id, errno, "close", t->path);
        else send_frame(c, FILE_DONE, id, NULL, 0);
    }
    release_transfer(t); /* a read or list the host stopped: nothing more is sent */
}

/* Whether a read or list may send now: its connection has room and, for a read, its window. */
static int transfer_ready(const struct transfer *t) {
    return (t->kind == T_READ || t->kind == T_LIST) && t->conn->out.length < SEND_LIMIT
           && (t->kind != T_READ || t->unacked < FILE_WINDOW);
}

static void pump_transfer(struct transfer *t) {
    if (t->kind == T_READ) {
        static uint8_t chunk[FILE_CHUNK];
        size_t room = FILE_WINDOW - t->unacked;
        ssize_t n = read(t->fd, chunk, room < sizeof chunk ? room : sizeof chunk);
        if (n < 0 && errno == EINTR) return;
        if (n > 0) {
            send_frame(t->conn, FILE_DATA, t->id, chunk, (size_t) n);
            t->unacked += (uint64_t) n;
            return;
        }
        if (n < 0) send_file_error(t->conn, t->id, errno, "read", t->path);
        else send_frame(t->conn, FILE_DONE, t->id, NULL, 0);
        release_transfer(t);
        return;
    }
    for (int i = 0; i < LIST_STEP; i++) {
        errno = 0;
        struct dirent *e = readdir(t->dir);
        if (!e) {
            if (errno) send_file_error(t->conn, t->id, errno, "list", t->path);
            else send_frame(t->conn, FILE_DONE, t->id, NULL, 0);
            release_transfer(t);
            return;
        }
        if (last_is_dot(e->d_name)) continue;
        send_entry(t->conn, t->id, dirfd(t->dir), e->d_name, e->d_name); /* one gone meanwhile is skipped */
    }
}

static void close_transfers(struct connection *c) {
    for (int i = 0; i < MAX_TRANSFERS; i++) {
        if (transfers[i].kind && transfers[i].conn == c) release_transfer(&transfers[i]);
    }
}

static void handle_frame(struct connection *c, int type, uint32_t id, const uint8_t *payload, size_t n) {
    struct process *p = find_process(c, id);
    switch (type) {
    case EXEC:
        start_process(c, id, payload, n);
        break;
    case STDIN_DATA:
        if (p && p->stdin_fd >= 0) buffer_append(&p->stdin_pending, payload, n);
        break;
    case STDIN_CLOSE:
        if (p) {
            p->stdin_close_requested = 1;
            if (p->stdin_pending.length == 0) close_fd(&p->stdin_fd);
        }
        break;
    case KILL:
        /* To the group, even after the leader was reaped: its children may still hold the pipes.
         * The group id cannot be reused while any member lives. */
        if (p && n >= 4) kill(-p->pid, (int) get_u32(payload));
        break;
    case RESIZE:
        /* The size a terminal's programs read (TIOCGWINSZ); the kernel tells the foreground group (SIGWINCH). */
        if (p && p->terminal && p->stdout_fd >= 0 && n == 8) {
            uint32_t rows = get_u32(payload), cols = get_u32(payload + 4);
            if (rows >= 1 && rows <= MAX_TERMINAL && cols >= 1 && cols <= MAX_TERMINAL) {
                struct winsize size = {.ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols};
                ioctl(p->stdout_fd, TIOCSWINSZ, &size);
            }
        }
        break;
    case PING:
        send_frame(c, PONG, id, payload, n);
        break;
    case POWEROFF:
        power_off();
        break;
    case RENEW:
        renew(c, id, payload, n);
        break;
    case FILE_STAT: case FILE_LIST: case FILE_MKDIRS: case FILE_REMOVE: case FILE_WRITE: case FILE_READ: case FILE_SYMLINK:
        file_request(c, type, id, payload, n);
        break;
    case FILE_DATA:
        file_data(c, id, payload, n);
        break;
    case FILE_ACK:
        file_ack(c, id, payload, n);
        break;
    case FILE_END:
        file_end(c, id);
        break;
    default:
        send_error(c, ERROR, id, EINVAL, "unknown frame type");
        break;
    }
}

static void handle_input(struct connection *c) {
    uint8_t chunk[CHUNK];
    ssize_t n = read(c->fd, chunk, sizeof chunk);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        c->closing = 1;
        return;
    }
    if (n < 0) return;
    if (buffer_append(&c->in, chunk, (size_t) n)) {
        c->closing = 1;
        return;
    }
    while (c->in.length >= 9) {
        uint32_t length = get_u32(c->in.data);
        if (length > MAX_FRAME) {
            send_error(c, ERROR, 0, E2BIG, "frame larger than 1 MiB");
            c->closing = 1;
            return;
        }
        if (c->in.length < 9 + (size_t) length) break;
        handle_frame(c, c->in.data[4], get_u32(c->in.data + 5), c->in.data + 9, length);
        buffer_consume(&c->in, 9 + (size_t) length);
    }
}

static void close_connection(struct connection *c) {
    close_transfers(c);
    for (int i = 0; i < MAX_PROCESSES; i++) {
        struct process *p = &processes[i];
        if (p->used && p->conn == c) {
            kill(-p->pid, SIGKILL);
            p->conn = NULL;
            close_fd(&p->stdin_fd);
            close_fd(&p->stdout_fd);
            close_fd(&p->stderr_fd);
            maybe_finish(p);
        }
    }
    close(c->fd);
    buffer_free(&c->in);
    buffer_free(&c->out);
    c->fd = -1;
    c->closing = 0;
}

static struct connection *add_connection(int fd) {
    for (int i = 0; i < MAX_CONNECTIONS; i++) {
        if (connections[i].fd < 0) {
            struct connection *c = &connections[i];
            memset(c, 0, sizeof *c);
            c->fd = fd;
            set_nonblocking(fd);
            char hello[64];
            hello[0] = 0;
            hello[1] = PROTOCOL_VERSION;
            size_t n = 2 + (size_t) snprintf(hello + 2, sizeof hello - 2, "%s", AGENT_VERSION);
            send_frame(c, HELLO, 0, hello, n);
            return c;
        }
    }
    close(fd);
    return NULL;
}

static void pump_output(struct process *p, int *fd, int type) {
    uint8_t chunk[CHUNK];
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n > 0) {
        if (p->conn) send_frame(p->conn, type, p->id, chunk, (size_t) n);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_fd(fd);
        maybe_finish(p);
    }
}

static void pump_stdin(struct process *p) {
    ssize_t n = write(p->stdin_fd, p->stdin_pending.data, p->stdin_pending.length);
    if (n > 0) {
        buffer_consume(&p->stdin_pending, (size_t) n);
        if (p->stdin_pending.length == 0 && p->stdin_close_requested) close_fd(&p->stdin_fd);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        buffer_free(&p->stdin_pending);
        close_fd(&p->stdin_fd);
    }
}

/* ---- PID 1 and listening ---------------------------------------------------------------- */

static const char *cmdline_value(const char *cmdline, const char *key, char *out, size_t size) {
    const char *at = cmdline;
    size_t keylen = strlen(key);
    while ((at = strstr(at, key))) {
        if ((at == cmdline || at[-1] == ' ') && at[keylen] == '=') {
            const char *value = at + keylen + 1;
            size_t n = strcspn(value, " \n");
            if (n >= size) n = size - 1;
            memcpy(out, value, n);
            out[n] = 0;
            return out;
        }
        at += keylen;
    }
    return NULL;
}


/* A boot step PID 1 cannot do without: say why on the console and power off, so the host
 * reports the machine as stopped while booting, with this line in the console tail. */
static void boot_failed(const char *what, const char *detail) {
    logf_("boot failed: %s %s: %s", what, detail, strerror(errno));
    power_off();
}

/*
 * Makes block device `device` the root file system, without exec: PID 1 stays this process.
 * flint.root= mounts an ext4 root as is; flint.overlay= mounts the machine's disk as the
 * writable upper layer over the initramfs, so whatever the guest writes outside /tmp and /run
 * is kept on the disk across stop and start. /dev and /proc move into the new root.
 */
static void switch_root(const char *device, int overlay) {
    const char *root = "/.flint/root";
    const char *disk = overlay ? "/.flint/disk" : root;
    mkdir_parents(root);
    mkdir_parents(disk);
    if (mount(device, disk, "ext4", MS_NOATIME, NULL)) boot_failed("mount", device);
    if (overlay) {
        mkdir("/.flint/disk/upper", 0755);
        mkdir("/.flint/disk/work", 0755);
        mkdir("/.flint/lower", 0755);
        if (mount("/", "/.flint/lower", NULL, MS_BIND, NULL)) boot_failed("bind mount", "/");
        if (mount("overlay", root, "overlay", MS_NOATIME,
                  "lowerdir=/.flint/lower,upperdir=/.flint/disk/upper,workdir=/.flint/disk/work"))
            boot_failed("mount overlay over", device);
        /* The disk itself stays reachable at /.flint/disk, for persistent image uppers: an
         * overlayfs upper cannot live on the overlay root. */
        if (mkdir_parents("/.flint/root/.flint/disk") || mount(disk, "/.flint/root/.flint/disk", NULL, MS_BIND, NULL))
            boot_failed("bind mount the disk into", root);
    }
    if (chdir(root)) boot_failed("chdir", root);
    mkdir("dev", 0755);
    mkdir("proc", 0555);
    if (mount("/dev", "dev", NULL, MS_MOVE, NULL) || mount("/proc", "proc", NULL, MS_MOVE, NULL))
        boot_failed("move /dev and /proc into", root);
    if (mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/")) boot_failed("switch root to", device);
}

/* flint.mounts=TAG:/target[:ro],... : the machine's virtio-fs shares, mounted before "ready". */
static void mount_shares(const char *spec) {
    char copy[2048];
    snprintf(copy, sizeof copy, "%s", spec);
    for (char *save = NULL, *entry = strtok_r(copy, ",", &save); entry; entry = strtok_r(NULL, ",", &save)) {
        char *target = strchr(entry, ':');
        if (!target) { errno = EINVAL; boot_failed("parse flint.mounts entry", entry); }
        *target++ = 0;
        char *mode = strchr(target, ':');
        if (mode) *mode++ = 0;
        mkdir_parents(target);
        unsigned long flags = mode && !strcmp(mode, "ro") ? MS_RDONLY : 0;
        if (mount(entry, target, "virtiofs", flags, NULL)) boot_failed("mount virtio-fs share on", target);
    }
}

static struct sockaddr ipv4(in_addr_t address) {
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = address};
    struct sockaddr out;
    memcpy(&out, &in, sizeof in);
    return out;
}

static void interface_up(int fd, const char *name) {
    struct ifreq request = {0};
    snprintf(request.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(fd, SIOCGIFFLAGS, &request) == 0) {
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &request) == 0) return;
    }
    boot_failed("bring up interface", name);
}

/*
 * Loopback always; with flint.net=ADDRESS/PREFIX,GATEWAY,DNS also eth0 with that address, a
 * default route and /etc/resolv.conf, so exec has the network at once (no DHCP round trips).
 */
static void configure_network(const char *spec) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) boot_failed("open", "an AF_INET socket");
    interface_up(fd, "lo");
    if (spec) {
        char address[32], gateway[32], dns[64];
        unsigned prefix;
        if (sscanf(spec, "%31[0-9.]/%u,%31[0-9.],%63[0-9a-f.:]", address, &prefix, gateway, dns) != 4 || prefix > 32) {
            errno = EINVAL;
            boot_failed("parse flint.net", spec);
        }
        struct ifreq request = {0};
        snprintf(request.ifr_name, IFNAMSIZ, "eth0");
        request.ifr_addr = ipv4(inet_addr(address));
        if (ioctl(fd, SIOCSIFADDR, &request)) boot_failed("set the address of eth0 to", address);
        request.ifr_netmask = ipv4(prefix ? htonl(~0u << (32 - prefix)) : 0);
        if (ioctl(fd, SIOCSIFNETMASK, &request)) boot_failed("set the netmask of", "eth0");
        interface_up(fd, "eth0");
        struct rtentry route = {0};
        route.rt_dst = ipv4(INADDR_ANY);
        route.rt_genmask = ipv4(INADDR_ANY);
        route.rt_gateway = ipv4(inet_addr(gateway));
        route.rt_flags = RTF_UP | RTF_GATEWAY;
        if (ioctl(fd, SIOCADDRT, &route)) boot_failed("add the default route via", gateway);
        mkdir("/etc", 0755);
        FILE *resolv = fopen("/etc/resolv.conf", "we");
        if (!resolv) boot_failed("write", "/etc/resolv.conf");
        fprintf(resolv, "nameserver %s\n", dns);
        fclose(resolv);
    }
    close(fd);
}

/* The kernel command line into `cmdline` (empty when /proc is not mounted). */
static void read_cmdline(char *cmdline, size_t size) {
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? 0 : read(fd, cmdline, size - 1);
    cmdline[n > 0 ? n : 0] = 0;
    if (fd >= 0) close(fd);
}

static void init_system(char *cmdline, size_t size) {
    mkdir("/dev", 0755);
    mkdir("/proc", 0555);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    read_cmdline(cmdline, size);

    char value[2048];
    if (cmdline_value(cmdline, "flint.root", value, sizeof value)) switch_root(value, 0);
    else if (cmdline_value(cmdline, "flint.overlay", value, sizeof value)) switch_root(value, 1);
    mkdir("/sys", 0555);
    mkdir("/tmp", 01777);
    mkdir("/run", 0755);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mkdir("/dev/pts", 0755);
    mount("devpts", "/dev/pts", "devpts", 0, "mode=0620,ptmxmode=0666");
    mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755");
    write_boot_marker();
    char hostname[64];
    if (!cmdline_value(cmdline, "flint.hostname", hostname, sizeof hostname)) strcpy(hostname, "flint");
    sethostname(hostname, strlen(hostname));
    configure_network(cmdline_value(cmdline, "flint.net", value, sizeof value));
    if (cmdline_value(cmdline, "flint.mounts", value, sizeof value)) mount_shares(value);
    /* flint.images=TAG: the virtio-fs share of flattened image trees, the lowers of image roots. */
    if (cmdline_value(cmdline, "flint.images", value, sizeof value)) {
        if (mkdir_parents("/.flint/images")) boot_failed("mkdir", "/.flint/images");
        if (mount(value, "/.flint/images", "virtiofs", MS_RDONLY, NULL)) boot_failed("mount the images share", value);
    }
}

static int listen_vsock(unsigned port) {
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_vm address = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port};
    if (bind(fd, (struct sockaddr *) &address, sizeof address) || listen(fd, 16)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int listen_unix(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) { close(fd); errno = ENAMETOOLONG; return -1; }
    strcpy(address.sun_path, path);
    unlink(path);
    if (bind(fd, (struct sockaddr *) &address, sizeof address) || listen(fd, 16)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void usage(void) {
    puts("Usage: flint-agent [--listen unix:PATH | --listen vsock:PORT] [--version]\n"
         "\n"
         "Serves Flint's exec protocol (guest-agent/PROTOCOL.md). As PID 1 of a Flint guest it also\n"
         "mounts /proc, /sys, /dev, /dev/pts, /tmp and /run, switches to the root disk of flint.root= or\n"
         "flint.overlay=, writes the boot marker, sets the hostname from flint.hostname=, mounts the\n"
         "virtio-fs shares of flint.mounts= and the image share of flint.images= (at /.flint/images), configures lo and eth0 from flint.net=, reaps orphans, and listens on vsock port flint.agent_port=\n"
         "(default 1024).");
}

int main(int argc, char **argv) {
    /* The kernel's own clock since it started timekeeping: its boot up to running us. */
    int64_t started_at_boot_ms = clock_ms(CLOCK_BOOTTIME);
    const char *listen_spec = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(); return 0; }
        if (!strcmp(argv[i], "--version")) { puts("flint-agent " AGENT_VERSION); return 0; }
        if (!strcmp(argv[i], "--listen") && i + 1 < argc) { listen_spec = argv[++i]; continue; }
        fprintf(stderr, "flint-agent: unknown argument %s (see --help)\n", argv[i]);
        return 2;
    }
    is_pid1 = getpid() == 1;
    for (int i = 0; i < MAX_CONNECTIONS; i++) connections[i].fd = -1;
    for (int i = 0; i < MAX_TRANSFERS; i++) transfers[i].fd = -1;
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);

    unsigned port = DEFAULT_PORT;
    char cmdline[4096], value[64];
    if (is_pid1) {
        init_system(cmdline, sizeof cmdline);
        if (cmdline_value(cmdline, "flint.agent_port", value, sizeof value)) port = (unsigned) atoi(value);
    }
    int listener = -1, on_vsock = 0;
    if (listen_spec && !strncmp(listen_spec, "unix:", 5)) {
        listener = listen_unix(listen_spec + 5);
    } else {
        if (listen_spec && !strncmp(listen_spec, "vsock:", 6)) port = (unsigned) atoi(listen_spec + 6);
        listener = listen_vsock(port);
        on_vsock = 1;
    }
    if (listener < 0) {
        logf_("cannot listen on %s: %s", listen_spec ? listen_spec : "vsock", strerror(errno));
        if (is_pid1) for (;;) pause();
        return 1;
    }
    /* A Flint guest's agent: PID 1 of Flint's initramfs, or one started by a custom init of a
     * machine (whose command line always has flint.hostname=) with /dev/mem to write through. */
    if (on_vsock) {
        if (!is_pid1) read_cmdline(cmdline, sizeof cmdline);
        if (is_pid1 || cmdline_value(cmdline, "flint.hostname", value, sizeof value)) signal_listening();
    }
    if (is_pid1) {
        int console = open("/dev/console", O_WRONLY | O_CLOEXEC);
        if (console >= 0) {
            /* The guest's two phases by its own clock, so that any VMM's boot reads the same way. */
            dprintf(console, "flint-agent: ready (vsock port %u, kernel %lld ms, init %lld ms)\n", port,
                    (long long) started_at_boot_ms, (long long) (clock_ms(CLOCK_BOOTTIME) - started_at_boot_ms));
            close(console);
        }
    }

    struct pollfd fds[2 + MAX_CONNECTIONS + 3 * MAX_PROCESSES];
    for (;;) {
        int n = 0, timeout = -1;
        int64_t now = now_ms();
        fds[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = listener, .events = POLLIN};
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            struct connection *c = &connections[i];
            fds[n++] = (struct pollfd){.fd = c->fd, .events = (short) (POLLIN | (c->out.length ? POLLOUT : 0))};
        }
        for (int i = 0; i < MAX_PROCESSES; i++) {
            struct process *p = &processes[i];
            int room = p->used && p->conn && p->conn->out.length < SEND_LIMIT;
            fds[n++] = (struct pollfd){.fd = p->used && room ? p->stdout_fd : -1, .events = POLLIN};
            fds[n++] = (struct pollfd){.fd = p->used && room ? p->stderr_fd : -1, .events = POLLIN};
            fds[n++] = (struct pollfd){.fd = p->used && p->stdin_pending.length ? p->stdin_fd : -1, .events = POLLOUT};
            /* The deadline holds until EXIT: a leader that exited may leave children holding its
             * pipes (sh -c 'sleep 1000 &'), and those die with the group too. */
            if (p->used && p->deadline_ms) {
                int64_t left = p->deadline_ms - now;
                if (left <= 0) {
                    kill(-p->pid, SIGKILL);
                    p->deadline_ms = 0;
                    p->timed_out = 1;
                } else if (timeout < 0 || left < timeout) {
                    timeout = (int) left;
                }
            }
        }
        for (int i = 0; i < MAX_TRANSFERS; i++) {
            if (transfers[i].kind && transfer_ready(&transfers[i])) timeout = 0; /* files never block poll */
        }
        if (poll(fds, (nfds_t) n, timeout) < 0 && errno != EINTR) {
            logf_("poll failed: %s", strerror(errno));
            return 1;
        }
        if (fds[0].revents) {
            struct signalfd_siginfo info;
            while (read(sigfd, &info, sizeof info) > 0) {
            }
            reap_children();
        }
        if (fds[1].revents & POLLIN) {
            int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) add_connection(fd);
        }
        int at = 2;
        for (int i = 0; i < MAX_CONNECTIONS; i++, at++) {
            struct connection *c = &connections[i];
            if (c->fd < 0) continue;
            if (fds[at].revents & (POLLIN | POLLHUP | POLLERR)) handle_input(c);
            if (c->out.length && (fds[at].revents & POLLOUT)) {
                ssize_t sent = write(c->fd, c->out.data, c->out.length);
                if (sent > 0) buffer_consume(&c->out, (size_t) sent);
                else if (sent < 0 && errno != EAGAIN && errno != EINTR) c->closing = 1;
            }
        }
        for (int i = 0; i < MAX_PROCESSES; i++, at += 3) {
            struct process *p = &processes[i];
            if (!p->used) continue;
            if (p->stdout_fd >= 0 && (fds[at].revents & (POLLIN | POLLHUP))) pump_output(p, &p->stdout_fd, STDOUT_DATA);
            if (p->used && p->stderr_fd >= 0 && (fds[at + 1].revents & (POLLIN | POLLHUP)))
                pump_output(p, &p->stderr_fd, STDERR_DATA);
            if (p->used && p->stdin_fd >= 0 && (fds[at + 2].revents & (POLLOUT | POLLERR))) pump_stdin(p);
        }
        for (int i = 0; i < MAX_TRANSFERS; i++) {
            if (transfers[i].kind && !transfers[i].conn->closing && transfer_ready(&transfers[i])) pump_transfer(&transfers[i]);
        }
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            struct connection *c = &connections[i];
            if (c->fd >= 0 && c->closing) close_connection(c);
        }
    }
}
