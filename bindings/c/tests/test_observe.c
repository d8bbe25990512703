/*
 * test_observe.c — C tests of what libdcams lets a caller see and steer:
 * the log callback, per-call metadata, dcams_client_check.
 *
 *   test_observe --url URL --slow-url URL [--quick]
 *
 * --url is the storage URL of a plain `dcams-sandbox`, --slow-url one that
 * answers after a delay of at least a second (`--latency-ms`). --quick
 * shrinks the threads test (for Valgrind). The last line printed is "N passed, M
 * failed"; the exit status is 1 if anything failed.
 */
#define _POSIX_C_SOURCE 200809L

#include "dcams.h"
#include "check.h"
#include "http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* CHECK, CHECK_CTX, check_summary: check.h */

static char g_url[512], g_base[512], g_slow_url[512];
static int g_quick;

/* ---- the sandbox's admin endpoints --------------------------------------- */

static long admin_number(const char *path, const char *pointer)
{
    char url[1024];
    http_reply r;
    int64_t n = -1;
    snprintf(url, sizeof url, "%s%s", g_base, path);
    if (http_get(url, &r) != 0)
        return -1;
    if (r.status != 200 || dcams_json_get_int64((const char *)r.body, pointer, &n, NULL) != DCAMS_OK)
        n = -1;
    http_reply_free(&r);
    return (long)n;
}

static long sb_customers(void)
{
    return admin_number("/_sandbox/stats", "/customers");
}

static int sb_script(const char *script)
{
    char url[1024];
    http_reply r;
    int ok;
    snprintf(url, sizeof url, "%s/_sandbox/script", g_base);
    ok = http_request_body("POST", url, script, &r) == 0 && r.status == 200;
    http_reply_free(&r);
    return ok;
}

/* A loopback port where nothing listens (bound, then released). */
static int dead_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* ---- the log callback: every line recorded with the thread it came on ----- */

#define MAX_LINES 4096
typedef struct line {
    int32_t level;
    pthread_t thread;
    char target[32];
    char message[200];
} line;

typedef struct log_book {
    pthread_mutex_t lock;
    size_t n, dropped;
    line lines[MAX_LINES];
} log_book;

static log_book g_book = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {{0}}};

static void record(void *userdata, int32_t level, const char *target, const char *message, size_t len)
{
    log_book *book = userdata;
    pthread_mutex_lock(&book->lock);
    if (book->n < MAX_LINES && strlen(message) == len) {
        line *l = &book->lines[book->n++];
        l->level = level;
        l->thread = pthread_self();
        snprintf(l->target, sizeof l->target, "%s", target);
        snprintf(l->message, sizeof l->message, "%s", message);
    } else {
        book->dropped++;
    }
    pthread_mutex_unlock(&book->lock);
}

static void book_clear(void)
{
    pthread_mutex_lock(&g_book.lock);
    g_book.n = g_book.dropped = 0;
    pthread_mutex_unlock(&g_book.lock);
}

static size_t book_count(const char *target, const char *prefix, pthread_t *only)
{
    size_t i, n = 0;
    pthread_mutex_lock(&g_book.lock);
    for (i = 0; i < g_book.n; i++) {
        const line *l = &g_book.lines[i];
        if ((target == NULL || strcmp(l->target, target) == 0) &&
            (prefix == NULL || strncmp(l->message, prefix, strlen(prefix)) == 0) &&
            (only == NULL || pthread_equal(l->thread, *only)))
            n++;
    }
    pthread_mutex_unlock(&g_book.lock);
    return n;
}

/* A hermetic client of the sandbox, logging into g_book at `level` (0: no callback). */
static dcams_client *client_with(int32_t level, const char *pass, int retries)
{
    dcams_config *config = NULL;
    dcams_client *client = NULL;
    char *err = NULL;
    int ok = dcams_config_new(&config, &err) == DCAMS_OK &&
             dcams_config_set_bool(config, "environment", 0, &err) == DCAMS_OK &&
             dcams_config_set_string(config, "endpoint", g_url, &err) == DCAMS_OK &&
             dcams_config_set_string(config, "user", "sandbox-user", &err) == DCAMS_OK &&
             dcams_config_set_string(config, "pass", pass, &err) == DCAMS_OK &&
             dcams_config_set_int(config, "retries", retries, &err) == DCAMS_OK &&
             dcams_config_set_int(config, "retry_backoff_ms", 20, &err) == DCAMS_OK &&
             (level == 0 || dcams_config_set_log_callback(config, record, &g_book, level, &err) == DCAMS_OK) &&
             dcams_client_new_from_config(config, &client, &err) == DCAMS_OK;
    CHECK_CTX(ok, err);
    dcams_string_free(err);
    dcams_config_free(config);
    return client;
}

/* createOrUpdateCustomer of `email` with a tiny PNG, so that getStatus finds it. */
static dcams_code upsert_tiny(dcams_client *client, const char *email)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0};
    dcams_document front = DCAMS_DOCUMENT_INIT;
    dcams_customer c = DCAMS_CUSTOMER_INIT;
    char *result = NULL, *err = NULL;
    dcams_code code;
    front.data = png;
    front.len = sizeof png;
    c.email = email;
    c.front = &front;
    code = dcams_client_upsert(client, &c, NULL, &result, &err);
    dcams_string_free(result);
    dcams_string_free(err);
    return code;
}

static dcams_code get_status(dcams_client *client, const char *email, dcams_call *call)
{
    char *result = NULL, *err = NULL;
    dcams_code code = dcams_client_get_status(client, email, call, &result, &err);
    dcams_string_free(result);
    dcams_string_free(err);
    return code;
}

/* Three scripted 503s, then the service's success: three retry lines with
 * their pauses, and attempts 4 in the metadata. */
static void test_retries_logged(void)
{
    dcams_client *client = client_with(DCAMS_LOG_INFO, "sandbox-pass", 3);
    dcams_call *call = NULL;
    dcams_call_meta meta = DCAMS_CALL_META_INIT;
    size_t i, retries = 0;

    printf("== the log callback: three 503s, then the answer\n");
    CHECK(dcams_call_new(&call, NULL) == DCAMS_OK);
    CHECK(upsert_tiny(client, "observe-retry@example.com") == DCAMS_OK);
    CHECK(sb_script("{\"status\":503,\"body\":\"{\\\"error\\\":\\\"busy\\\"}\",\"times\":3}"));
    book_clear();
    CHECK(get_status(client, "observe-retry@example.com", call) == DCAMS_OK);
    CHECK(dcams_call_get_meta(call, &meta, NULL) == DCAMS_OK);
    CHECK(meta.attempts == 4);
    CHECK(meta.http_status == 200);
    CHECK(meta.code == DCAMS_OK);
    CHECK(meta.connection_reused == 1 || meta.connection_reused == 0);
    pthread_mutex_lock(&g_book.lock);
    for (i = 0; i < g_book.n; i++) {
        const line *l = &g_book.lines[i];
        char want[64];
        CHECK_CTX(l->level >= DCAMS_LOG_ERROR && l->level <= DCAMS_LOG_INFO, l->message);
        if (strcmp(l->target, "dcams::retry") != 0)
            continue;
        retries++;
        snprintf(want, sizeof want, " attempt=%zu of=4", retries + 1);
        CHECK_CTX(l->level == DCAMS_LOG_WARN, l->message);
        CHECK_CTX(strncmp(l->message, "retrying reason=\"HTTP 503\" pause_ms=", 36) == 0, l->message);
        CHECK_CTX(strstr(l->message, want) != NULL, l->message);
    }
    CHECK(g_book.dropped == 0);
    pthread_mutex_unlock(&g_book.lock);
    CHECK(retries == 3);
    CHECK(book_count("dcams::call", "call finished service=getStatus outcome=ok status=200 attempts=4", NULL) == 1);
    dcams_call_free(call);
    dcams_client_free(client);
}

/* ---- 8 threads: every line on the thread that made the call, none after ---- */

typedef struct worker {
    dcams_client *client;
    pthread_t self;
    size_t at_return, later;
    int failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    int i, calls = g_quick ? 3 : 10;
    w->self = pthread_self();
    for (i = 0; i < calls; i++)
        w->failures += get_status(w->client, "nobody@example.com", NULL) != DCAMS_ERR_NOT_FOUND;
    w->at_return = book_count(NULL, NULL, &w->self);
    {
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    w->later = book_count(NULL, NULL, &w->self);
    return NULL;
}

static void test_callbacks_on_the_calling_thread(void)
{
    enum { THREADS = 8 };
    dcams_client *client = client_with(DCAMS_LOG_DEBUG, "sandbox-pass", 0);
    worker w[THREADS];
    pthread_t t[THREADS];
    size_t i, total = 0;

    printf("== the log callback: 8 threads, each line on its caller's thread, none after\n");
    book_clear();
    memset(w, 0, sizeof w);
    for (i = 0; i < THREADS; i++) {
        w[i].client = client;
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (i = 0; i < THREADS; i++) {
        CHECK(w[i].failures == 0);
        CHECK(w[i].at_return >= (size_t)(g_quick ? 3 : 10) * 4);
        CHECK(w[i].at_return == w[i].later);
        total += w[i].later;
    }
    /* Every line belongs to one of the eight callers. */
    CHECK(total == book_count(NULL, NULL, NULL));
    CHECK(g_book.dropped == 0);
    dcams_client_free(client);
}

/* ---- dcams_client_check --------------------------------------------------- */

static char *check_report(dcams_client *client)
{
    char *report = NULL, *err = NULL;
    dcams_code code = dcams_client_check(client, NULL, &report, &err);
    CHECK_CTX(code == DCAMS_OK, err);
    dcams_string_free(err);
    return report;
}

static int json_is(const char *json, const char *pointer, const char *want)
{
    char *value = NULL;
    int same = dcams_json_get_string(json, pointer, &value, NULL) == DCAMS_OK && strcmp(value, want) == 0;
    dcams_string_free(value);
    return same;
}

static int json_contains(const char *json, const char *pointer, const char *needle)
{
    char *value = NULL;
    int has = dcams_json_get_string(json, pointer, &value, NULL) == DCAMS_OK && strstr(value, needle) != NULL;
    dcams_string_free(value);
    return has;
}

static void test_check(void)
{
    long customers = sb_customers();
    /* (runs after the retry test, which created one record) */
    dcams_client *client;
    char *report, dead_url[128], dead_host[64], config[512];
    int32_t ok = -1;

    printf("== dcams_client_check: accepted, rejected, a dead port; nothing stored\n");
    CHECK(customers >= 0);
    client = client_with(0, "sandbox-pass", 2);
    report = check_report(client);
    CHECK(dcams_json_get_bool(report, "/ok", &ok, NULL) == DCAMS_OK && ok == 1);
    CHECK_CTX(json_is(report, "/steps/5/step", "credentials") && json_is(report, "/steps/5/outcome", "ok"), report);
    CHECK(json_is(report, "/steps/3/outcome", "skipped")); /* no proxy */
    dcams_string_free(report);
    dcams_client_free(client);

    client = client_with(0, "wrong-pass", 2);
    report = check_report(client);
    CHECK(dcams_json_get_bool(report, "/ok", &ok, NULL) == DCAMS_OK && ok == 0);
    CHECK_CTX(json_is(report, "/name", "DCAMS_ERR_UNAUTHORIZED"), report);
    CHECK(json_is(report, "/failed_step", "credentials"));
    CHECK(json_contains(report, "/hint", "user and pass"));
    CHECK(json_is(report, "/error/name", "DCAMS_ERR_UNAUTHORIZED"));
    CHECK(strstr(report, "wrong-pass") == NULL);
    dcams_string_free(report);
    dcams_client_free(client);

    snprintf(dead_host, sizeof dead_host, "127.0.0.1:%d", dead_port());
    snprintf(dead_url, sizeof dead_url, "http://%s/v3/stable/api/storage", dead_host);
    snprintf(config, sizeof config,
             "{\"environment\":false,\"endpoint\":\"%s\",\"user\":\"u\",\"pass\":\"p\",\"connect_timeout_ms\":2000}",
             dead_url);
    client = NULL;
    CHECK(dcams_client_new(config, &client, NULL) == DCAMS_OK);
    report = check_report(client);
    CHECK_CTX(json_is(report, "/failed_step", "connect"), report);
    CHECK(json_is(report, "/name", "DCAMS_ERR_TRANSPORT"));
    CHECK_CTX(json_contains(report, "/hint", dead_host), report);
    dcams_string_free(report);
    dcams_client_free(client);

    CHECK(sb_customers() == customers);
}

/* ---- dcams_call_cancel from another thread ---------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct canceller {
    dcams_call *call;
    double at;
} canceller;

static void *cancel_soon(void *arg)
{
    canceller *c = arg;
    struct timespec pause = {0, 300 * 1000 * 1000};
    nanosleep(&pause, NULL);
    c->at = now_s();
    CHECK(dcams_call_cancel(c->call, NULL) == DCAMS_OK);
    return NULL;
}

/* A call waiting for the slow sandbox's answer is cancelled from another
 * thread: DCAMS_ERR_CANCELLED within 100 ms (+ margin), not retried; then
 * the same client and handle complete a call. */
static void test_cancel(void)
{
    dcams_client *client;
    dcams_call *call = NULL;
    dcams_call_meta meta = DCAMS_CALL_META_INIT;
    canceller c;
    pthread_t t;
    char config[1024], *err = NULL;
    dcams_code code;
    double returned;

    printf("== dcams_call_cancel: a call waiting for its answer, cancelled from another thread\n");
    snprintf(config, sizeof config,
             "{\"environment\":false,\"endpoint\":\"%s\",\"user\":\"sandbox-user\",\"pass\":\"sandbox-pass\"}",
             g_slow_url);
    client = NULL;
    CHECK_CTX(dcams_client_new(config, &client, &err) == DCAMS_OK, err);
    dcams_string_free(err);
    CHECK(dcams_call_new(&call, NULL) == DCAMS_OK);
    c.call = call;
    c.at = 0;
    CHECK(pthread_create(&t, NULL, cancel_soon, &c) == 0);
    code = get_status(client, "nobody@example.com", call);
    returned = now_s();
    pthread_join(t, NULL);
    CHECK(code == DCAMS_ERR_CANCELLED);
    /* 100 ms promised, plus a margin for a loaded machine (under Valgrind, --quick: a second). */
    CHECK_CTX(returned - c.at < (g_quick ? 1.0 : 0.1 + 0.25), "returned too long after the cancel");
    CHECK(dcams_call_get_meta(call, &meta, NULL) == DCAMS_OK && meta.code == DCAMS_ERR_CANCELLED && meta.attempts == 1);
    /* The same client and handle go on: the cancel was consumed. */
    CHECK(get_status(client, "nobody@example.com", call) == DCAMS_ERR_NOT_FOUND);
    dcams_call_free(call);
    dcams_client_free(client);
}

int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
            snprintf(g_url, sizeof g_url, "%s", argv[++i]);
        else if (strcmp(argv[i], "--slow-url") == 0 && i + 1 < argc)
            snprintf(g_slow_url, sizeof g_slow_url, "%s", argv[++i]);
        else if (strcmp(argv[i], "--quick") == 0)
            g_quick = 1;
        else {
            fprintf(stderr, "usage: test_observe --url URL --slow-url URL [--quick]\n");
            return 2;
        }
    }
    if (g_url[0] == '\0' || strstr(g_url, "/v3/stable/api/storage") == NULL || g_slow_url[0] == '\0') {
        fprintf(stderr, "test_observe: --url and --slow-url must be sandboxes' storage URLs\n");
        return 2;
    }
    snprintf(g_base, sizeof g_base, "%.*s", (int)(strstr(g_url, "/v3/stable/api/storage") - g_url), g_url);

    test_retries_logged();
    test_callbacks_on_the_calling_thread();
    test_check();
    test_cancel();

    return check_summary();
}
