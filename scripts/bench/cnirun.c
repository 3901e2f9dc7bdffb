/* cnirun: spawns plugin calls on request and reports wall time, rusage and exit code.
 * stdin, one request per line, tab-separated:
 *   R <netns path|-> <program> <stdin file> <stdout file> <stderr file> [KEY=VALUE ...]
 *   B <n>            followed by n R lines: spawn all n at once, then wait for all
 * stdout, one line per call: <exit code> <wall ns> <utime us> <stime us> <maxrss KiB>
 *   (exit code 128+N for a signal); after a batch: W <ns from first spawn to last exit>.
 * The server enters the given netns (setns) before spawning, outside the timed window. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXJOBS 1024
#define MAXF 64

struct job { char *f[MAXF]; int nf; pid_t pid; long long t0, t1; int status; struct rusage ru; int done; };
static struct job jobs[MAXJOBS];
static volatile sig_atomic_t alarmed;
static void on_alarm(int s) { (void)s; alarmed = 1; }
static long long now_ns(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec * 1000000000LL + ts.tv_nsec; }

static char *cur_ns;
static int enter_ns(const char *path) {
    if (!strcmp(path, "-")) return 0;
    if (cur_ns && !strcmp(cur_ns, path)) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) { if (fd >= 0) close(fd); return -1; }
    close(fd); free(cur_ns); cur_ns = strdup(path); return 0;
}

static int split(char *line, struct job *j) {
    j->nf = 0;
    for (char *p = line; p && j->nf < MAXF - 1;) { j->f[j->nf++] = p; p = strchr(p, '\t'); if (p) *p++ = 0; }
    j->f[j->nf] = NULL;
    return j->nf >= 6 && !strcmp(j->f[0], "R") ? 0 : -1;
}

static void spawn(struct job *j) {
    posix_spawn_file_actions_t fa; posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, j->f[3], O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, j->f[4], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, j->f[5], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);   /* own group: a timeout kills the ipam child too */
    posix_spawnattr_setpgroup(&at, 0);
    char *argv[] = { j->f[2], NULL };
    j->done = 0;
    j->t0 = now_ns();
    int e = posix_spawn(&j->pid, j->f[2], &fa, &at, argv, &j->f[6]);
    posix_spawn_file_actions_destroy(&fa); posix_spawnattr_destroy(&at);
    if (e) { j->pid = -1; j->t1 = j->t0; j->status = 127 << 8; memset(&j->ru, 0, sizeof j->ru); j->done = 1; }
}

static void reap(int n, int timeout_s) {
    int left = 0;
    for (int i = 0; i < n; i++) left += !jobs[i].done;
    alarmed = 0; alarm(timeout_s);
    while (left > 0) {
        struct rusage ru; int st;
        pid_t p = wait4(-1, &st, 0, &ru);
        long long t = now_ns();
        if (p < 0) {
            if (errno == EINTR && alarmed) {
                for (int i = 0; i < n; i++) if (!jobs[i].done) kill(-jobs[i].pid, SIGKILL);
                alarmed = 0; continue;
            }
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < n; i++) if (!jobs[i].done && jobs[i].pid == p) {
            jobs[i].t1 = t; jobs[i].status = st; jobs[i].ru = ru; jobs[i].done = 1; left--;
            kill(-p, SIGKILL);   /* stray grandchildren, if any */
        }
    }
    alarm(0);
}

static void report(const struct job *j) {
    int rc = WIFEXITED(j->status) ? WEXITSTATUS(j->status) : 128 + WTERMSIG(j->status);
    printf("%d\t%lld\t%ld\t%ld\t%ld\n", rc, j->t1 - j->t0,
           j->ru.ru_utime.tv_sec * 1000000L + j->ru.ru_utime.tv_usec,
           j->ru.ru_stime.tv_sec * 1000000L + j->ru.ru_stime.tv_usec, j->ru.ru_maxrss);
}

int main(int argc, char **argv) {
    int timeout_s = argc > 1 ? atoi(argv[1]) : 60;
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = on_alarm; sigaction(SIGALRM, &sa, NULL);
    /* request lines are packed into one pool so that the server's own resident set (the
       floor of every ru_maxrss reported, since the spawned child starts on its memory)
       stays small and constant */
    static char pool[1 << 20];
    static char *lines[MAXJOBS];
    char buf[8192];
    while (fgets(buf, sizeof buf, stdin)) {
        buf[strcspn(buf, "\n")] = 0;
        int n = 1, is_batch = buf[0] == 'B';
        if (is_batch) {
            n = atoi(buf + 2);
            if (n < 1 || n > MAXJOBS) { printf("E\tbad batch size\n"); fflush(stdout); continue; }
            size_t used = 0;
            for (int i = 0; i < n; i++) {
                if (!fgets(buf, sizeof buf, stdin)) return 1;
                size_t len = strcspn(buf, "\n");
                if (used + len + 1 > sizeof pool) return 1;
                lines[i] = memcpy(pool + used, buf, len); lines[i][len] = 0; used += len + 1;
            }
        } else {
            lines[0] = buf;
        }
        int bad = 0;
        for (int i = 0; i < n && !bad; i++) if (split(lines[i], &jobs[i]) || enter_ns(jobs[i].f[1])) bad = 1;
        if (bad) { printf("E\tbad request or setns failed: %s\n", strerror(errno)); fflush(stdout); continue; }
        long long b0 = now_ns(), b1 = 0;
        for (int i = 0; i < n; i++) spawn(&jobs[i]);
        reap(n, timeout_s);
        for (int i = 0; i < n; i++) { if (jobs[i].t1 > b1) b1 = jobs[i].t1; report(&jobs[i]); }
        if (is_batch) printf("W\t%lld\n", b1 - b0);
        fflush(stdout);
    }
    return 0;
}
