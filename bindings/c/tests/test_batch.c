/*
 * test_batch.c — dcams_client_upsert_batch from C, against a local sandbox.
 *
 *   test_batch --url URL --data DIR [--quick]
 *
 * 200 customers (40 with --quick, for Valgrind), valid and invalid mixed, 8
 * at a time: exactly one callback per record, on libdcams's threads (never
 * the calling one), never two at once, none after the call returned, each
 * with the record's own outcome; the sandbox holds exactly the valid ones.
 * Then a callback that stops the batch. The last line printed is "N passed,
 * M failed"; the exit status is 1 if anything failed.
 */
#define _POSIX_C_SOURCE 200809L

#include "dcams.h"
#include "http_get.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int g_passed, g_failed;

static void check(int ok, const char *what, int index, const char *context)
{
    if (ok) {
        g_passed++;
        return;
    }
    g_failed++;
    if (index >= 0)
        fprintf(stderr, "FAIL record %d: %s\n", index, what);
    else
        fprintf(stderr, "FAIL %s\n", what);
    if (context != NULL)
        fprintf(stderr, "     got: %.500s\n", context);
}
#define CHECK(cond) check(!!(cond), #cond, -1, NULL)

#define MAX_RECORDS 200

/* What each record is, and so what its callback must say. */
enum kind { VALID_PATH, VALID_BYTES, BAD_DOB, BAD_EMAIL, NULL_ELEMENT, NO_FILE, BAD_STRUCT };

static enum kind kind_of(int i)
{
    switch (i % 10) {
    case 1: return BAD_DOB;
    case 3: return BAD_EMAIL;
    case 5: return NULL_ELEMENT;
    case 7: return NO_FILE;
    case 9: return BAD_STRUCT;
    case 0: case 4: case 8: return VALID_PATH;
    default: return VALID_BYTES;
    }
}

static dcams_code want_code(enum kind k)
{
    switch (k) {
    case BAD_DOB: case BAD_EMAIL: return DCAMS_ERR_VALIDATION;
    case NULL_ELEMENT: return DCAMS_ERR_NULL_ARGUMENT;
    case NO_FILE: return DCAMS_ERR_FILE;
    case BAD_STRUCT: return DCAMS_ERR_INVALID_ARGUMENT;
    default: return DCAMS_OK;
    }
}

/* What the callbacks saw. Written from libdcams's threads. */
typedef struct seen {
    pthread_t caller;
    atomic_int calls[MAX_RECORDS];
    atomic_int total;
    atomic_int inside;      /* callbacks running right now */
    atomic_int overlapped;  /* times a callback began while another ran */
    atomic_int on_caller;   /* callbacks on the calling thread */
    atomic_int wrong;       /* callbacks whose outcome was not the record's */
    int stop_after;         /* return non-zero from this callback on; 0: never */
    pthread_t threads[16];
    atomic_int nthreads;
    char emails[MAX_RECORDS][64];
    char first_wrong[600];
} seen;

static int32_t on_record(void *userdata, size_t index, dcams_code code, const char *json,
                         const dcams_call_meta *meta)
{
    seen *s = userdata;
    int n, t, known = 0;
    char *value = NULL;
    enum kind k = kind_of((int)index);

    if (atomic_fetch_add(&s->inside, 1) != 0)
        atomic_fetch_add(&s->overlapped, 1);
    if (pthread_equal(pthread_self(), s->caller))
        atomic_fetch_add(&s->on_caller, 1);
    for (t = 0; t < atomic_load(&s->nthreads); t++)
        known |= pthread_equal(s->threads[t], pthread_self());
    if (!known && atomic_load(&s->nthreads) < 16)
        s->threads[atomic_fetch_add(&s->nthreads, 1)] = pthread_self();

    if (index < MAX_RECORDS)
        atomic_fetch_add(&s->calls[index], 1);
    n = atomic_fetch_add(&s->total, 1) + 1;

    /* The record's own outcome: the code, and the JSON that goes with it. */
    {
        int ok = index < MAX_RECORDS && code == want_code(k) && json != NULL && meta != NULL &&
                 meta->code == code && meta->attempts == (code == DCAMS_OK ? 1u : 0u);
        if (ok && code == DCAMS_OK) {
            ok = dcams_json_get_string(json, "/type", &value, NULL) == DCAMS_OK &&
                 strcmp(value, "createCustomer") == 0;
            dcams_string_free(value);
            value = NULL;
            ok = ok && dcams_json_get_string(json, "/target/email", &value, NULL) == DCAMS_OK &&
                 strcmp(value, s->emails[index]) == 0;
        } else if (ok) {
            int64_t got = -1;
            ok = dcams_json_get_int64(json, "/code", &got, NULL) == DCAMS_OK && got == (int64_t)code;
            if (ok && (k == BAD_DOB || k == BAD_EMAIL))
                ok = dcams_json_get_string(json, "/field", &value, NULL) == DCAMS_OK &&
                     strcmp(value, k == BAD_DOB ? "dob" : "email") == 0;
        }
        dcams_string_free(value);
        if (!ok && atomic_fetch_add(&s->wrong, 1) == 0)
            snprintf(s->first_wrong, sizeof s->first_wrong, "record %zu: %s %s", index,
                     dcams_code_name(code), json != NULL ? json : "(NULL)");
    }
    atomic_fetch_sub(&s->inside, 1);
    return s->stop_after != 0 && n >= s->stop_after;
}

typedef struct blob {
    unsigned char *data;
    size_t len;
} blob;

/* Counts the records refused with a 401 (the halting test's callback). */
static int32_t count_refused(void *userdata, size_t index, dcams_code code, const char *json,
                             const dcams_call_meta *meta)
{
    (void)index, (void)json, (void)meta;
    if (code == DCAMS_ERR_UNAUTHORIZED)
        atomic_fetch_add((atomic_int *)userdata, 1);
    return 0;
}

static blob read_file(const char *path)
{
    blob b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    b.data = malloc((size_t)n);
    b.len = fread(b.data, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static char g_base[512];

/* The sandbox's record for `email`: its HTTP status (200 or 404), and its upsert count. */
static int stored(const char *email, int64_t *upserts)
{
    char url[768], escaped[160];
    const char *p;
    size_t o = 0;
    http_reply r;
    int status;
    for (p = email; *p != '\0' && o + 4 < sizeof escaped; p++) {
        if (*p == '@') {
            memcpy(escaped + o, "%40", 3);
            o += 3;
        } else {
            escaped[o++] = *p;
        }
    }
    escaped[o] = '\0';
    snprintf(url, sizeof url, "%s/_sandbox/customers/%s", g_base, escaped);
    if (http_get(url, &r) != 0)
        return -1;
    status = r.status;
    *upserts = 0;
    if (status == 200)
        dcams_json_get_int64((const char *)r.body, "/upserts", upserts, NULL);
    http_reply_free(&r);
    return status;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *data = NULL;
    int quick = 0, i, n, once = 1, bad;
    char config[1024], front_path[1024], missing[1024], *err = NULL;
    dcams_client *client = NULL;
    dcams_customer customers[MAX_RECORDS];
    dcams_document documents[MAX_RECORDS];
    const dcams_customer *array[MAX_RECORDS];
    dcams_batch_options options = DCAMS_BATCH_OPTIONS_INIT;
    dcams_batch_summary summary = DCAMS_BATCH_SUMMARY_INIT;
    static seen s;
    blob png;
    dcams_code code;

    for (i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--url") == 0)
            url = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--data") == 0)
            data = argv[++i];
        else if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else {
            fprintf(stderr, "usage: test_batch --url URL --data DIR [--quick]\n");
            return 2;
        }
    }
    if (url == NULL || data == NULL) {
        fprintf(stderr, "usage: test_batch --url URL --data DIR [--quick]\n");
        return 2;
    }
    n = quick ? 40 : MAX_RECORDS;
    snprintf(g_base, sizeof g_base, "%.*s", (int)(strlen(url) - strlen("/v3/stable/api/storage")), url);
    snprintf(front_path, sizeof front_path, "%s/passport-td3.jpg", data);
    snprintf(missing, sizeof missing, "%s/no-such-image.jpg", data);
    {
        char png_path[1024];
        snprintf(png_path, sizeof png_path, "%s/passport-td2.png", data);
        png = read_file(png_path);
    }
    snprintf(config, sizeof config,
             "{\"environment\":false,\"endpoint\":\"%s\",\"user\":\"sandbox-user\",\"pass\":\"sandbox-pass\"}",
             url);
    if (dcams_client_new(config, &client, &err) != DCAMS_OK) {
        fprintf(stderr, "cannot make a client: %s\n", err);
        return 1;
    }

    printf("== dcams_client_upsert_batch: %d customers, valid and invalid, 8 at a time\n", n);
    for (i = 0; i < n; i++) {
        dcams_customer c = DCAMS_CUSTOMER_INIT;
        dcams_document d = DCAMS_DOCUMENT_INIT;
        enum kind k = kind_of(i);
        snprintf(s.emails[i], sizeof s.emails[i], "batch-%ld-%d@example.com", (long)getpid(), i);
        c.email = k == BAD_EMAIL ? "not-an-address" : s.emails[i];
        c.fn = "Ada";
        c.dob = k == BAD_DOB ? "19900231" : "19800214";
        if (k == VALID_BYTES) {
            d.data = png.data;
            d.len = png.len;
        } else {
            d.path = k == NO_FILE ? missing : front_path;
        }
        documents[i] = d;
        c.front = &documents[i];
        if (k == BAD_STRUCT)
            c.struct_size = 0;
        customers[i] = c;
        array[i] = k == NULL_ELEMENT ? NULL : &customers[i];
    }
    s.caller = pthread_self();
    options.concurrency = 8;
    err = (char *)&once; /* a sentinel: set to NULL on success */
    code = dcams_client_upsert_batch(client, array, (size_t)n, &options, on_record, &s, &summary, &err);
    check(code == DCAMS_OK, "the batch call returns DCAMS_OK", -1, err == (char *)&once ? NULL : err);
    CHECK(err == NULL);

    bad = 0;
    for (i = 0; i < n; i++) {
        if (atomic_load(&s.calls[i]) != 1) {
            check(0, "exactly one callback", i, NULL);
            bad++;
        }
    }
    check(bad == 0 && atomic_load(&s.total) == n, "one callback per record, no more", -1, NULL);
    check(atomic_load(&s.wrong) == 0, "every callback has its record's outcome", -1, s.first_wrong);
    CHECK(atomic_load(&s.on_caller) == 0);
    CHECK(atomic_load(&s.overlapped) == 0);
    check(atomic_load(&s.nthreads) >= 2, "callbacks came from several libdcams threads", -1, NULL);
    CHECK(summary.records == (uint64_t)n);
    CHECK(summary.created == (uint64_t)(n / 2) && summary.succeeded == (uint64_t)(n / 2));
    CHECK(summary.failed == (uint64_t)(n / 2));
    CHECK(summary.attempts == (uint64_t)(n / 2));
    CHECK(summary.stopped == 0 && summary.struct_size == sizeof summary);
    {
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
        check(atomic_load(&s.total) == n, "no callback after the call returned", -1, NULL);
    }
    /* The sandbox's view: each valid customer stored once, no invalid one. */
    bad = 0;
    for (i = 0; i < n; i++) {
        int64_t upserts = -1;
        enum kind k = kind_of(i);
        int status = stored(s.emails[i], &upserts);
        int ok = want_code(k) == DCAMS_OK ? status == 200 && upserts == 1 : status == 404;
        if (!ok && bad++ < 5)
            check(0, "the sandbox holds exactly the valid records", i, NULL);
    }
    check(bad == 0, "the sandbox holds exactly the valid records, once each", -1, NULL);

    /* A callback that says stop: no further record is started. */
    printf("== a callback that stops the batch\n");
    {
        static seen s2;
        dcams_batch_summary summary2 = DCAMS_BATCH_SUMMARY_INIT;
        for (i = 0; i < n; i++)
            snprintf(s2.emails[i], sizeof s2.emails[i], "%s", s.emails[i]);
        s2.caller = pthread_self();
        s2.stop_after = 3;
        options.concurrency = 2;
        code = dcams_client_upsert_batch(client, array, (size_t)n, &options, on_record, &s2, &summary2, NULL);
        CHECK(code == DCAMS_OK);
        CHECK(summary2.stopped == 1);
        check(summary2.records >= 3 && summary2.records <= 3 + 2, "at most the records in flight after the stop",
              -1, NULL);
        CHECK(summary2.records == (uint64_t)atomic_load(&s2.total));
    }

    /* A wrong password halts the batch: nothing is sent after the first 401. */
    printf("== a wrong password halts the batch\n");
    {
        dcams_client *wrong = NULL;
        dcams_batch_summary summary3 = DCAMS_BATCH_SUMMARY_INIT;
        dcams_batch_options four = DCAMS_BATCH_OPTIONS_INIT;
        static atomic_int refused;
        snprintf(config, sizeof config,
                 "{\"environment\":false,\"endpoint\":\"%s\",\"user\":\"sandbox-user\",\"pass\":\"wrong-pass\"}",
                 url);
        CHECK(dcams_client_new(config, &wrong, NULL) == DCAMS_OK);
        four.concurrency = 4;
        code = dcams_client_upsert_batch(wrong, array, (size_t)n, &four, count_refused, &refused, &summary3, NULL);
        CHECK(code == DCAMS_OK);
        CHECK(summary3.halted_code == DCAMS_ERR_UNAUTHORIZED && summary3.stopped == 1);
        check(summary3.attempts >= 1 && summary3.attempts <= 4, "at most the 4 requests in flight were sent", -1,
              NULL);
        CHECK((uint64_t)atomic_load(&refused) == summary3.attempts);
        CHECK(summary.halted_code == DCAMS_OK);
        dcams_client_free(wrong);
    }

    /* The one rule: a failure before any record leaves the summary untouched. */
    {
        dcams_batch_summary untouched = DCAMS_BATCH_SUMMARY_INIT;
        untouched.records = 12345;
        err = NULL;
        code = dcams_client_upsert_batch(client, array, (size_t)n, &options, NULL, &s, &untouched, &err);
        CHECK(code == DCAMS_ERR_NULL_ARGUMENT && untouched.records == 12345);
        check(err != NULL && strstr(err, "callback") != NULL, "the error names the callback", -1, err);
        dcams_string_free(err);
        options.rate = -1;
        code = dcams_client_upsert_batch(client, array, (size_t)n, &options, on_record, &s, &untouched, NULL);
        CHECK(code == DCAMS_ERR_INVALID_ARGUMENT && untouched.records == 12345);
    }

    dcams_client_free(client);
    free(png.data);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
