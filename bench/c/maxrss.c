/*
 * maxrss.c — runs a command and reports its wall time and peak RSS.
 *
 *   maxrss OUTFILE COMMAND [ARGS...]
 *
 * Writes "<wall seconds> <peak RSS KiB> <CPU seconds, user + system>" to OUTFILE and exits with the
 * command's status. Why not measure from the Python driver: Linux carries
 * the parent's RSS high-water mark into a (v)forked child's ru_maxrss, so a
 * child of a big process reports the parent's peak. This launcher is tiny.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    struct rusage ru;
    int status;
    pid_t pid;
    FILE *out;

    if (argc < 3) {
        fputs("usage: maxrss OUTFILE COMMAND [ARGS...]\n", stderr);
        return 64;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid < 0) {
        perror("maxrss: fork");
        return 71;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("maxrss: exec");
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("maxrss: wait4");
        return 71;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out = fopen(argv[1], "w");
    if (!out) {
        perror("maxrss: OUTFILE");
        return 73;
    }
    fprintf(out, "%.6f %ld %.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            ru.ru_maxrss,
            (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    fclose(out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
