/*
 * dcams_bench.c — load generator for `make bench` (W3, W4): many upserts on
 * ONE dcams_client, sequentially or from several pthreads sharing it.
 *
 *   dcams_bench loop N BATCH FRONT [BACK]     N sequential upserts (after 20 warm-up
 *                                             calls); prints {"batches":[s...],"cpu":[s...],"batch":BATCH}
 *                                             (wall and process CPU seconds per batch)
 *   dcams_bench threads T N FRONT [BACK]      T threads x N upserts each, one shared
 *                                             client; prints {"elapsed":s,"calls":T*N}
 *   dcams_bench loop-log N BATCH FRONT [BACK] as loop, the client with a log callback at
 *                                             DCAMS_LOG_INFO that counts the lines (W3's
 *                                             logging overhead); also prints "log_lines"
 *
 * Built with -DDCAMS_BENCH_BEFORE against a libdcams from before the log
 * callback existed (W3's "before" peer), loop-log is left out.
 *
 * Endpoint and credentials from DCAMS_ENDPOINT / DCAMS_USER / DCAMS_PASS.
 * Images are given as paths (read and encoded by libdcams while sending).
 */
#define _POSIX_C_SOURCE 200809L
#include "dcams.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static dcams_client *client;
static const char *front_path, *back_path;
static int per_thread;
static pthread_barrier_t start_line;
static int failures;
static pthread_mutex_t failures_lock = PTHREAD_MUTEX_INITIALIZER;
static long log_lines;

#ifndef DCAMS_BENCH_BEFORE
/* Counts the lines; what a cheap real callback costs beyond libdcams's own work. */
static void count_line(void *userdata, int32_t level, const char *target, const char *message, size_t len)
{
    (void)userdata;
    (void)level;
    (void)target;
    (void)message;
    (void)len;
    log_lines++; /* one thread: loop-log is sequential */
}

/* A client from the environment with count_line at DCAMS_LOG_INFO. */
static dcams_code new_logging_client(char **error)
{
    dcams_config *config = NULL;
    dcams_code code = dcams_config_new(&config, error);
    if (code == DCAMS_OK)
        code = dcams_config_set_log_callback(config, count_line, NULL, DCAMS_LOG_INFO, error);
    if (code == DCAMS_OK)
        code = dcams_client_new_from_config(config, &client, error);
    dcams_config_free(config);
    return code;
}
#endif

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static int upsert(const char *email)
{
    dcams_document front = DCAMS_DOCUMENT_INIT, back = DCAMS_DOCUMENT_INIT;
    dcams_customer c = DCAMS_CUSTOMER_INIT;
    char *result = NULL, *error = NULL;
    dcams_code code;

    c.email = email;
    c.fn = "Ada";
    c.ln = "Example";
    c.dob = "19800214";
    front.path = front_path;
    back.path = back_path;
    c.front = &front;
    c.back = back_path != NULL ? &back : NULL;
    code = dcams_client_upsert(client, &c, NULL, &result, &error);
    if (code != DCAMS_OK)
        fprintf(stderr, "dcams_bench: %s: %s\n", dcams_code_name(code), error ? error : "");
    dcams_string_free(result);
    dcams_string_free(error);
    return code == DCAMS_OK ? 0 : 1;
}

static void *worker(void *arg)
{
    char email[64];
    int i, bad = 0;

    snprintf(email, sizeof email, "bench-c-t%d@example.com", (int)(size_t)arg);
    pthread_barrier_wait(&start_line);
    for (i = 0; i < per_thread; i++)
        bad += upsert(email);
    pthread_mutex_lock(&failures_lock);
    failures += bad;
    pthread_mutex_unlock(&failures_lock);
    return NULL;
}

static int usage(void)
{
    fputs("usage: dcams_bench loop|loop-log N BATCH FRONT [BACK] | threads T N FRONT [BACK]\n", stderr);
    return 64;
}

int main(int argc, char **argv)
{
    char *error = NULL;
    int status = 0;

    if (argc < 5)
        return usage();
    front_path = argv[4];
    back_path = argc > 5 ? argv[5] : NULL;
#ifndef DCAMS_BENCH_BEFORE
    if (strcmp(argv[1], "loop-log") == 0 ? new_logging_client(&error) != DCAMS_OK
                                         : dcams_client_new(NULL, &client, &error) != DCAMS_OK) {
#else
    if (dcams_client_new(NULL, &client, &error) != DCAMS_OK) {
#endif
        fprintf(stderr, "dcams_bench: %s\n", error);
        dcams_string_free(error);
        return 2;
    }
    if (strcmp(argv[1], "loop") == 0 || strcmp(argv[1], "loop-log") == 0) {
        int n = atoi(argv[2]), batch = atoi(argv[3]), i, bad = 0, rounds;
        double t0, c0, *cpu;
        if (n <= 0 || batch <= 0)
            return usage();
        for (i = 0; i < 20; i++)
            bad += upsert("bench-c@example.com");
        rounds = n / batch;
        cpu = calloc((size_t)rounds + 1, sizeof *cpu);
        printf("{\"batch\":%d,\"batches\":[", batch);
        for (i = 0; i < rounds; i++) {
            int j;
            t0 = now();
            c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            for (j = 0; j < batch; j++)
                bad += upsert("bench-c@example.com");
            cpu[i] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
            printf("%s%.6f", i ? "," : "", now() - t0);
        }
        printf("],\"cpu\":[");
        for (i = 0; i < rounds; i++)
            printf("%s%.6f", i ? "," : "", cpu[i]);
        printf("],\"errors\":%d,\"log_lines\":%ld}\n", bad, log_lines);
        free(cpu);
        status = bad ? 2 : 0;
    } else if (strcmp(argv[1], "threads") == 0) {
        int t = atoi(argv[2]), i;
        pthread_t *ids;
        double t0;
        per_thread = atoi(argv[3]);
        if (t <= 0 || per_thread <= 0)
            return usage();
        ids = calloc((size_t)t, sizeof *ids);
        pthread_barrier_init(&start_line, NULL, (unsigned)t + 1);
        for (i = 0; i < t; i++)
            pthread_create(&ids[i], NULL, worker, (void *)(size_t)i);
        pthread_barrier_wait(&start_line);
        t0 = now();
        for (i = 0; i < t; i++)
            pthread_join(ids[i], NULL);
        printf("{\"elapsed\":%.6f,\"calls\":%d,\"errors\":%d}\n", now() - t0, t * per_thread, failures);
        free(ids);
        status = failures ? 2 : 0;
    } else {
        status = usage();
    }
    dcams_client_free(client);
    return status;
}
