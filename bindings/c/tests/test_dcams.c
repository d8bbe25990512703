/*
 * test_dcams.c — C tests of libdcams against local sandboxes.
 *
 *   test_dcams --url URL --data DIR --header FILE [--quoted-url URL]
 *              [--slow-url URL] [--quick | --platform]
 *   test_dcams --print-quoted-pass
 *
 * --url is the storage URL a plain `dcams-sandbox` printed
 * (".../v3/stable/api/storage"); --data holds passport-td3.jpg,
 * passport-td2.png, passport-td3.png, passport-td2.jpg; --header is
 * include/dcams.h (the contract: every function it declares must be covered
 * by the ABI-rule tests, every code it defines must have its name).
 * --quoted-url is a sandbox started with `--pass "$(test_dcams
 * --print-quoted-pass)"` (a password with `"`, `\` and `é`); --slow-url one
 * started with `--latency-ms SLOW_LATENCY_MS`. Without them those tests are
 * reported as failures, not skipped. --quick shrinks the threads test (for
 * Valgrind); --platform runs only the 401 check against a sandbox started
 * with --error-style platform. The last line printed is "N passed, M
 * failed"; the exit status is 1 if anything failed.
 *
 * Reply and error JSON is read with dcams_json_get_string/_int64/_bool (the
 * library's own getters, tested on fixed text first); messages are matched
 * with strstr().
 */
#define _POSIX_C_SOURCE 200809L

#include "dcams.h"
#include "check.h"
#include "http_get.h"

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- tiny test harness ------------------------------------------------ */

/* CHECK, CHECK_CTX, check_summary: check.h */

static int check_code(int got, int want, const char *json, const char *file, int line)
{
    char expr[160];
    snprintf(expr, sizeof expr, "code %s (%d), want %s (%d)", dcams_code_name(got), got,
             dcams_code_name(want), want);
    return check_impl(got == want, expr, json, file, line);
}
/* CHECK_CODE(got, want, json): the call returned `want`. */
#define CHECK_CODE(got, want, json) check_code((int)(got), (int)(want), (json), __FILE__, __LINE__)

static int check_has(const char *json, const char *needle, const char *file, int line)
{
    char expr[300];
    snprintf(expr, sizeof expr, "text contains %.250s", needle);
    return check_impl(json != NULL && strstr(json, needle) != NULL, expr,
                      json != NULL ? json : "(NULL)", file, line);
}
/* CHECK_HAS(text, needle): `text` is not NULL and contains `needle`. */
#define CHECK_HAS(text, needle) check_has((text), (needle), __FILE__, __LINE__)

/* The string at `pointer` of `json` must be `want`. */
static int check_str(const char *json, const char *pointer, const char *want, const char *file,
                     int line)
{
    char expr[400], *got = NULL;
    dcams_code code = json != NULL ? dcams_json_get_string(json, pointer, &got, NULL) : -1;
    int ok = code == DCAMS_OK && got != NULL && strcmp(got, want) == 0;
    snprintf(expr, sizeof expr, "%s is \"%.200s\" (got %s, \"%.100s\")", pointer, want,
             dcams_code_name(code), got != NULL ? got : "");
    dcams_string_free(got);
    return check_impl(ok, expr, json != NULL ? json : "(NULL)", file, line);
}
#define CHECK_STR(json, pointer, want) check_str((json), (pointer), (want), __FILE__, __LINE__)

/* The integer at `pointer` of `json` must be `want`. */
static int check_int(const char *json, const char *pointer, int64_t want, const char *file,
                     int line)
{
    char expr[300];
    int64_t got = 0;
    dcams_code code = json != NULL ? dcams_json_get_int64(json, pointer, &got, NULL) : -1;
    snprintf(expr, sizeof expr, "%s is %lld (got %s, %lld)", pointer, (long long)want,
             dcams_code_name(code), (long long)got);
    return check_impl(code == DCAMS_OK && got == want, expr, json != NULL ? json : "(NULL)", file,
                      line);
}
#define CHECK_INT(json, pointer, want) check_int((json), (pointer), (want), __FILE__, __LINE__)

/* The getter of `pointer` in `json` fails with `want` (e.g. DCAMS_ERR_NOT_PRESENT). */
static int check_str_fails(const char *json, const char *pointer, dcams_code want,
                           const char *file, int line)
{
    char *value = NULL;
    dcams_code code = dcams_json_get_string(json, pointer, &value, NULL);
    dcams_string_free(value);
    return check_code(code, want, json, file, line);
}
#define CHECK_STR_FAILS(json, pointer, want) \
    check_str_fails((json), (pointer), (want), __FILE__, __LINE__)

static void section(const char *name)
{
    printf("== %s\n", name);
    fflush(stdout);
}

/* ---- the ABI rule, checked on every call -------------------------------- */

/* Its address marks "not written" out-parameters. */
static max_align_t g_sentinel;
#define SENTINEL(type) ((type *)(void *)&g_sentinel)

/* `error` is an error JSON for `code`: not NULL, not the sentinel, its
 * "code" and "name" those of `code`. */
static int check_error_json(const char *error, dcams_code code, const char *file, int line)
{
    int ok = check_impl(error != NULL && error != SENTINEL(char), "out_error holds an error JSON",
                        NULL, file, line);
    if (ok) {
        ok = check_int(error, "/code", code, file, line);
        ok = check_str(error, "/name", dcams_code_name(code), file, line) && ok;
    }
    return ok;
}
#define CHECK_ERROR_JSON(error, code) check_error_json((error), (code), __FILE__, __LINE__)

/* The outcome of one call that has a char *out_result and char **out_error. */
typedef struct outcome {
    dcams_code code;
    char *result; /* on DCAMS_OK: the result; otherwise NULL */
    char *error;  /* on failure: the error JSON; otherwise NULL */
} outcome;

/* After a call made with result and error preset to the sentinel: on
 * DCAMS_OK the result is written and the error set to NULL; otherwise the
 * result is untouched and the error is the JSON of the code returned. The
 * sentinels are then replaced by NULL. */
static void check_rule(outcome *o, const char *file, int line)
{
    if (o->code == DCAMS_OK) {
        check_impl(o->error == NULL, "on DCAMS_OK, *out_error is set to NULL", NULL, file, line);
        check_impl(o->result != NULL && o->result != SENTINEL(char),
                   "on DCAMS_OK, *out_result is written", NULL, file, line);
    } else {
        check_impl(o->result == SENTINEL(char), "on failure, *out_result is untouched",
                   o->result != SENTINEL(char) ? o->result : NULL, file, line);
        check_error_json(o->error, o->code, file, line);
    }
    if (o->result == SENTINEL(char))
        o->result = NULL;
    if (o->error == SENTINEL(char))
        o->error = NULL;
}

/* CALL(o, expr): runs `expr` (which passes &o.result, &o.error) with both
 * preset to the sentinel, stores its code in o.code and checks the rule. */
#define CALL(o, expr)                                                                    \
    do {                                                                                 \
        (o).result = SENTINEL(char);                                                     \
        (o).error = SENTINEL(char);                                                      \
        (o).code = (expr);                                                               \
        check_rule(&(o), __FILE__, __LINE__);                                            \
    } while (0)

/* The JSON to look at: the result on success, the error otherwise. */
static const char *json_of(const outcome *o)
{
    return o->code == DCAMS_OK ? o->result : o->error;
}

static void outcome_free(outcome *o)
{
    dcams_string_free(o->result);
    dcams_string_free(o->error);
    o->result = o->error = NULL;
}

/* ---- which exports the ABI-rule tests covered --------------------------- */

#define MAX_COVERED 64
static const char *g_covered[MAX_COVERED];
static size_t g_covered_n;

/* Marks `name` as covered (a failing call left every out pointer untouched
 * and set out_error; a successful one set out_error to NULL — or, for the
 * functions that cannot fail, NULL-safety / static results were checked). */
static void covered(const char *name)
{
    size_t i;
    for (i = 0; i < g_covered_n; i++)
        if (strcmp(g_covered[i], name) == 0)
            return;
    if (g_covered_n < MAX_COVERED)
        g_covered[g_covered_n++] = name;
}

/* ---- test environment ------------------------------------------------- */

#define SB_USER "sandbox-user"
#define SB_PASS "sandbox-pass"
#define STORAGE_SUFFIX "/v3/stable/api/storage"
/* The password of the --quoted-url sandbox: a quote, a backslash, an e-acute. */
#define QUOTED_PASS "pa\"ss\\w\xc3\xa9" "rd"
/* The --slow-url sandbox's --latency-ms. */
#define SLOW_LATENCY_MS 1500

static char g_url[512];       /* storage URL */
static char g_base[512];      /* g_url without STORAGE_SUFFIX */
static char g_config[1024];   /* hermetic client configuration JSON for the sandbox */
static const char *g_header;  /* path of dcams.h */
static const char *g_quoted_url, *g_slow_url;

typedef struct blob {
    unsigned char *data;
    size_t len;
} blob;

/* Paths of the test data files, set once in main(). */
static char TD3_JPG[1024], TD2_PNG[1024], TD3_PNG[1024], TD2_JPG[1024], MISSING_JPG[1024],
    MISSING_PNG[1024];

static void set_data_paths(const char *dir)
{
    snprintf(TD3_JPG, sizeof TD3_JPG, "%s/passport-td3.jpg", dir);
    snprintf(TD2_PNG, sizeof TD2_PNG, "%s/passport-td2.png", dir);
    snprintf(TD3_PNG, sizeof TD3_PNG, "%s/passport-td3.png", dir);
    snprintf(TD2_JPG, sizeof TD2_JPG, "%s/passport-td2.jpg", dir);
    snprintf(MISSING_JPG, sizeof MISSING_JPG, "%s/no-such-file.jpg", dir);
    snprintf(MISSING_PNG, sizeof MISSING_PNG, "%s/no-such-back.png", dir);
}

/* Reads a whole file; exits on failure (missing test data is not a test result). */
static blob read_file(const char *path)
{
    blob b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    long size;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    b.len = (size_t)size;
    b.data = malloc(b.len + 1);
    if (b.data == NULL || fread(b.data, 1, b.len, f) != b.len) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    b.data[b.len] = '\0';
    fclose(f);
    return b;
}

static int same_bytes(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
    return a != NULL && b != NULL && alen == blen && memcmp(a, b, alen) == 0;
}

/* ---- sandbox admin endpoints ------------------------------------------ */

/* `base` + `path`, e.g. g_base + "/_sandbox/stats". */
static int sb_request_at(const char *base, const char *method, const char *path, const char *body,
                         http_reply *out)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", base, path);
    return http_request_body(method, url, body, out);
}

static int sb_request(const char *method, const char *path, http_reply *out)
{
    return sb_request_at(g_base, method, path, NULL, out);
}

/* The number after "NAME": in a compact JSON admin reply, or -1. */
static long json_number_after(const char *text, const char *name)
{
    char needle[64];
    const char *p;
    snprintf(needle, sizeof needle, "\"%s\":", name);
    p = text != NULL ? strstr(text, needle) : NULL;
    return p != NULL ? strtol(p + strlen(needle), NULL, 10) : -1;
}

/* Storage requests the sandbox at `base` has counted, or -1. */
static long sb_requests_at(const char *base)
{
    http_reply r;
    long n = -1;
    if (sb_request_at(base, "GET", "/_sandbox/stats", NULL, &r) != 0)
        return -1;
    if (r.status == 200)
        n = json_number_after((const char *)r.body, "requests");
    http_reply_free(&r);
    return n;
}

static long sb_requests(void)
{
    return sb_requests_at(g_base);
}

/* The Content-Length of the last storage request, or -1. */
static long sb_last_content_length(void)
{
    http_reply r;
    long n = -1;
    if (sb_request("GET", "/_sandbox/last-request", &r) != 0)
        return -1;
    if (r.status == 200)
        n = json_number_after((const char *)r.body, "content_length");
    http_reply_free(&r);
    return n;
}

/* Scripts the next storage answers (POST /_sandbox/script). */
static int sb_script(const char *script)
{
    http_reply r;
    int ok = sb_request_at(g_base, "POST", "/_sandbox/script", script, &r) == 0 && r.status == 200;
    http_reply_free(&r);
    return ok;
}

/* Percent-encodes an e-mail for an admin path ('@' and '+' in particular). */
static void encode_email(const char *email, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *email != '\0' && o + 4 < size; email++) {
        unsigned char c = (unsigned char)*email;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '_') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

/* GET /_sandbox/customers/{email}/documents/{side}: the stored bytes. */
static int sb_document(const char *email, const char *side, http_reply *out)
{
    char enc[512], path[700];
    encode_email(email, enc, sizeof enc);
    snprintf(path, sizeof path, "/_sandbox/customers/%s/documents/%s", enc, side);
    return sb_request("GET", path, out);
}

/* HTTP status of GET /_sandbox/customers/{email} (200 if stored), or -1. */
static int sb_customer_status(const char *email)
{
    char enc[512], path[700];
    http_reply r;
    int status;
    encode_email(email, enc, sizeof enc);
    snprintf(path, sizeof path, "/_sandbox/customers/%s", enc);
    if (sb_request("GET", path, &r) != 0)
        return -1;
    status = r.status;
    http_reply_free(&r);
    return status;
}

/* Checks the sandbox stored exactly `want` as `side` of `email`. */
static void check_stored(const char *email, const char *side, const blob *want)
{
    http_reply r;
    int ok = sb_document(email, side, &r) == 0;
    CHECK(ok && r.status == 200);
    CHECK(ok && same_bytes(r.body, r.len, want->data, want->len));
    http_reply_free(&r);
}

/* Checks the sandbox stored no `side` image for `email`. */
static void check_not_stored(const char *email, const char *side)
{
    http_reply r;
    CHECK(sb_document(email, side, &r) == 0 && r.status == 404);
    http_reply_free(&r);
}

/* ---- helpers for library calls ---------------------------------------- */

static dcams_client *new_client(const char *config)
{
    dcams_client *client = NULL;
    char *err = NULL;
    dcams_code code = dcams_client_new(config, &client, &err);
    if (!CHECK_CODE(code, DCAMS_OK, err) || client == NULL) {
        fprintf(stderr, "cannot create a client; giving up\n");
        exit(2);
    }
    return client;
}

/* A customer and the two documents it points to. */
typedef struct person {
    dcams_customer c;
    dcams_document front, back;
} person;

/* A person with only the required members: `email` and the front image at
 * `front_path` (NULL: an empty front document, i.e. no image). */
static void person_init(person *p, const char *email, const char *front_path)
{
    static const dcams_customer customer_init = DCAMS_CUSTOMER_INIT;
    static const dcams_document document_init = DCAMS_DOCUMENT_INIT;
    p->c = customer_init;
    p->front = document_init;
    p->back = document_init;
    p->c.email = email;
    p->front.path = front_path;
    p->c.front = &p->front;
    p->c.back = NULL;
}

/* Gives `p` a back image from a file. */
static void person_back_path(person *p, const char *path)
{
    p->back.path = path;
    p->back.data = NULL;
    p->back.len = 0;
    p->c.back = &p->back;
}

/* Replaces the front image of `p` by bytes in memory. */
static void person_front_bytes(person *p, const unsigned char *data, size_t len)
{
    p->front.path = NULL;
    p->front.data = data;
    p->front.len = len;
}

static void person_back_bytes(person *p, const unsigned char *data, size_t len)
{
    person_back_path(p, NULL);
    p->back.data = data;
    p->back.len = len;
}

/* Upserts `c` with the rule checked, expecting `want`; then, if `pointer`
 * is not NULL, checks the string at `pointer` of the result (on success) or
 * of the error JSON (on failure) is `value`. */
static void upsert_expect(const dcams_client *client, const dcams_customer *c, dcams_code want,
                          const char *pointer, const char *value)
{
    outcome o;
    CALL(o, dcams_client_upsert(client, c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, want, json_of(&o));
    if (pointer != NULL)
        CHECK_STR(json_of(&o), pointer, value);
    outcome_free(&o);
}

/* ---- tests ------------------------------------------------------------ */

/* The header's codes, read from its text: name and number of every
 * "DCAMS_OK = 0," / "DCAMS_ERR_... = N," line. Returns how many it found. */
static size_t header_codes(const char *text, char names[][48], int *numbers, size_t max)
{
    const char *p = strstr(text, "enum dcams_code"), *end = p != NULL ? strstr(p, "};") : NULL;
    size_t n = 0;
    while (p != NULL && end != NULL && (p = strstr(p, "\n  DCAMS_")) != NULL && p < end && n < max) {
        p += strlen("\n  ");
        if (sscanf(p, "%47[A-Z0-9_] = %d", names[n], &numbers[n]) == 2)
            n++;
    }
    return n;
}

static void test_version_and_code_names(void)
{
    static const int not_codes[] = {-1, 10, 19, 28, 39, 59, 98, 100, 12345};
    char names[64][48], version[32];
    int numbers[64];
    blob header = read_file(g_header);
    size_t i, n = header_codes((const char *)header.data, names, numbers, 64);

    section("version and code names");
    CHECK(strcmp(dcams_version(), DCAMS_VERSION) == 0);
    snprintf(version, sizeof version, "%d.%d.%d", DCAMS_VERSION_MAJOR, DCAMS_VERSION_MINOR,
             DCAMS_VERSION_PATCH);
    CHECK(strcmp(version, DCAMS_VERSION) == 0);
    /* Every code the header defines has its own name (the parse found the
     * codes this file uses, so it did not silently find nothing). */
    CHECK(n >= 25);
    CHECK(n > 0 && strcmp(names[0], "DCAMS_OK") == 0 && numbers[0] == DCAMS_OK);
    for (i = 0; i < n; i++)
        CHECK_CTX(strcmp(dcams_code_name(numbers[i]), names[i]) == 0, names[i]);
    for (i = 0; i < sizeof not_codes / sizeof not_codes[0]; i++)
        CHECK_CTX(strcmp(dcams_code_name(not_codes[i]), "DCAMS_ERR_UNKNOWN") == 0,
                  dcams_code_name(not_codes[i]));
    covered("dcams_version");
    covered("dcams_code_name");
    free(header.data);
}

/* The getters on fixed JSON text: pointers, escapes, every error code. */
static void test_json_getters(void)
{
    static const char json[] =
        "{\"a\":{\"b~c\":1,\"d/e\":\"x\"},\"n\":null,\"arr\":[1,\"two\"],"
        "\"big\":12345678901234567890,\"neg\":-9223372036854775808,\"f\":1.5,\"t\":true,"
        "\"no\":false,\"s\":\"q\\\"b\\\\s\\u00e9\xc3\xa9\",\"empty\":\"\"}";
    int64_t n = 0;
    int32_t b = -1;

    section("JSON getters on fixed text");
    CHECK_INT(json, "/a/b~0c", 1);
    CHECK_STR(json, "/a/d~1e", "x");
    CHECK_STR(json, "/arr/1", "two");
    CHECK_INT(json, "/arr/0", 1);
    CHECK_STR(json, "/s", "q\"b\\s\xc3\xa9\xc3\xa9"); /* escapes decoded, UTF-8 out */
    CHECK_STR(json, "/empty", "");
    CHECK_INT(json, "/neg", INT64_MIN);
    CHECK(dcams_json_get_bool(json, "/t", &b, NULL) == DCAMS_OK && b == 1);
    CHECK(dcams_json_get_bool(json, "/no", &b, NULL) == DCAMS_OK && b == 0);

    CHECK_STR_FAILS(json, "/n", DCAMS_ERR_NOT_PRESENT);  /* null is "not present" */
    CHECK_STR_FAILS(json, "/missing", DCAMS_ERR_NOT_PRESENT);
    CHECK_STR_FAILS(json, "/arr/2", DCAMS_ERR_NOT_PRESENT);
    CHECK_STR_FAILS(json, "/a", DCAMS_ERR_WRONG_TYPE);
    CHECK_STR_FAILS(json, "/t", DCAMS_ERR_WRONG_TYPE);
    CHECK_STR_FAILS(json, "", DCAMS_ERR_WRONG_TYPE); /* "" is the whole document */
    CHECK_STR_FAILS(json, "s", DCAMS_ERR_INVALID_ARGUMENT);
    CHECK_STR_FAILS("{", "/a", DCAMS_ERR_INVALID_JSON);
    CHECK_STR_FAILS("{\"a\":\"\xff\"}", "/a", DCAMS_ERR_INVALID_UTF8);
    CHECK_CODE(dcams_json_get_int64(json, "/big", &n, NULL), DCAMS_ERR_WRONG_TYPE, NULL);
    CHECK_CODE(dcams_json_get_int64(json, "/f", &n, NULL), DCAMS_ERR_WRONG_TYPE, NULL);
    CHECK_CODE(dcams_json_get_int64(json, "/s", &n, NULL), DCAMS_ERR_WRONG_TYPE, NULL);
    CHECK_CODE(dcams_json_get_int64(json, "/n", &n, NULL), DCAMS_ERR_NOT_PRESENT, NULL);
    CHECK_CODE(dcams_json_get_bool(json, "/arr/0", &b, NULL), DCAMS_ERR_WRONG_TYPE, NULL);
    CHECK_CODE(dcams_json_get_bool(json, "/nothing", &b, NULL), DCAMS_ERR_NOT_PRESENT, NULL);
    CHECK_CODE(dcams_json_get_string(json, "/a/d~1e", NULL, NULL), DCAMS_ERR_NULL_ARGUMENT, NULL);
}

/* ---- (a) the ABI rule, export by export: sentinels --------------------- */

/* The value a failing call must leave in an out parameter of each type. */
#define SENT_LEN ((size_t)0x5eed5eedu)
#define SENT_I64 ((int64_t)0x5eed5eed5eedLL)
#define SENT_I32 ((int32_t)0x5eed)

static void test_rule_handles(void)
{
    dcams_call *call;
    dcams_config *config;
    dcams_client *client;
    char *err;
    dcams_call_meta meta, before;
    char config_json[1200];

    section("ABI rule: handles (sentinels untouched on failure, out_error NULL on success)");

    /* dcams_call_new */
    err = SENTINEL(char);
    CHECK_CODE(dcams_call_new(NULL, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    CHECK_HAS(err, "out_call");
    dcams_string_free(err);
    CHECK_CODE(dcams_call_new(NULL, NULL), DCAMS_ERR_NULL_ARGUMENT, NULL); /* out_error optional */
    call = SENTINEL(dcams_call);
    err = SENTINEL(char);
    CHECK_CODE(dcams_call_new(&call, &err), DCAMS_OK, err);
    CHECK(err == NULL);
    CHECK(call != NULL && call != SENTINEL(dcams_call));
    covered("dcams_call_new");

    /* dcams_call_set_timeout_ms (no value output) */
    err = SENTINEL(char);
    CHECK_CODE(dcams_call_set_timeout_ms(call, 0, &err), DCAMS_ERR_INVALID_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_ARGUMENT);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_call_set_timeout_ms(NULL, 5, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_call_set_timeout_ms(call, 60000, &err), DCAMS_OK, err);
    CHECK(err == NULL);
    covered("dcams_call_set_timeout_ms");

    /* dcams_call_cancel (no value output; see test_observe.c for a cancel in flight) */
    err = SENTINEL(char);
    CHECK_CODE(dcams_call_cancel(NULL, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    dcams_string_free(err);
    covered("dcams_call_cancel");

    /* dcams_call_get_meta: no call made yet, struct_size too small, NULLs. */
    memset(&meta, 0xa5, sizeof meta);
    meta.struct_size = (uint32_t)sizeof meta;
    before = meta;
    err = SENTINEL(char);
    CHECK_CODE(dcams_call_get_meta(call, &meta, &err), DCAMS_ERR_NOT_PRESENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NOT_PRESENT);
    CHECK(memcmp(&meta, &before, sizeof meta) == 0);
    dcams_string_free(err);
    meta.struct_size = (uint32_t)offsetof(dcams_call_meta, connection_reused);
    before = meta;
    err = SENTINEL(char);
    CHECK_CODE(dcams_call_get_meta(call, &meta, &err), DCAMS_ERR_INVALID_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_ARGUMENT);
    CHECK_HAS(err, "struct_size");
    CHECK(memcmp(&meta, &before, sizeof meta) == 0);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_call_get_meta(NULL, &meta, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    CHECK(memcmp(&meta, &before, sizeof meta) == 0);
    dcams_string_free(err);
    CHECK_CODE(dcams_call_get_meta(call, NULL, NULL), DCAMS_ERR_NULL_ARGUMENT, NULL);
    covered("dcams_call_get_meta"); /* success: see test_call_handle */

    /* dcams_config_new and its setters */
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_new(NULL, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    dcams_string_free(err);
    config = SENTINEL(dcams_config);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_new(&config, &err), DCAMS_OK, err);
    CHECK(err == NULL && config != NULL && config != SENTINEL(dcams_config));
    covered("dcams_config_new");

    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_string(config, "colour", "blue", &err), DCAMS_ERR_INVALID_JSON, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_JSON);
    CHECK_HAS(err, "colour");
    CHECK_CTX(strstr(err, "blue") == NULL, err); /* names the member, never the value */
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_string(config, "retries", "3", &err), DCAMS_ERR_INVALID_JSON, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_JSON);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_string(config, "pass", "\xff", &err), DCAMS_ERR_INVALID_UTF8, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_UTF8);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_string(config, NULL, "x", &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_string(config, "user", SB_USER, &err), DCAMS_OK, err);
    CHECK(err == NULL);
    covered("dcams_config_set_string");

    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_int(config, "retries", -1, &err), DCAMS_ERR_INVALID_JSON, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_JSON);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_int(config, "endpoint", 1, &err), DCAMS_ERR_INVALID_JSON, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_JSON);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_int(NULL, "retries", 1, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_int(config, "retries", 0, &err), DCAMS_OK, err);
    CHECK(err == NULL);
    covered("dcams_config_set_int");

    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_bool(config, "verbose", 1, &err), DCAMS_ERR_INVALID_JSON, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_JSON);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_bool(config, "\xc3(", 1, &err), DCAMS_ERR_INVALID_UTF8, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_UTF8);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_bool(config, "environment", 0, &err), DCAMS_OK, err);
    CHECK(err == NULL);
    covered("dcams_config_set_bool");

    /* dcams_config_set_log_callback (no value output; see test_observe.c for the events) */
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_log_callback(config, NULL, NULL, 6, &err), DCAMS_ERR_INVALID_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_ARGUMENT);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_log_callback(NULL, NULL, NULL, DCAMS_LOG_INFO, &err), DCAMS_ERR_NULL_ARGUMENT,
               err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_config_set_log_callback(config, NULL, NULL, DCAMS_LOG_INFO, &err), DCAMS_OK, err);
    CHECK(err == NULL);
    covered("dcams_config_set_log_callback");

    /* dcams_client_new_from_config: a plain-HTTP non-loopback endpoint. */
    CHECK_CODE(dcams_config_set_string(config, "endpoint", "http://example.com/storage", NULL),
               DCAMS_OK, NULL);
    client = SENTINEL(dcams_client);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new_from_config(config, &client, &err), DCAMS_ERR_CONFIG, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_CONFIG);
    CHECK(client == SENTINEL(dcams_client));
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new_from_config(NULL, &client, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    CHECK(client == SENTINEL(dcams_client));
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new_from_config(config, NULL, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    dcams_string_free(err);
    CHECK_CODE(dcams_config_set_string(config, "endpoint", g_url, NULL), DCAMS_OK, NULL);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new_from_config(config, &client, &err), DCAMS_OK, err);
    CHECK(err == NULL && client != NULL && client != SENTINEL(dcams_client));
    dcams_client_free(client);
    covered("dcams_client_new_from_config");

    /* dcams_client_new: bad JSON, bad UTF-8, unknown member, NULL out_client. */
    client = SENTINEL(dcams_client);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new("{", &client, &err), DCAMS_ERR_INVALID_JSON, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_JSON);
    CHECK(client == SENTINEL(dcams_client));
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new("{\"user\":\"\xff\"}", &client, &err), DCAMS_ERR_INVALID_UTF8, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_UTF8);
    CHECK(client == SENTINEL(dcams_client));
    dcams_string_free(err);
    snprintf(config_json, sizeof config_json, "{\"endpoint\":\"%s\",\"timeout_ms\":0}", g_url);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new(config_json, &client, &err), DCAMS_ERR_CONFIG, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_CONFIG);
    CHECK(client == SENTINEL(dcams_client));
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new(g_config, NULL, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    CHECK_HAS(err, "out_client");
    dcams_string_free(err);
    CHECK_CODE(dcams_client_new(g_config, NULL, NULL), DCAMS_ERR_NULL_ARGUMENT, NULL);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new(g_config, &client, &err), DCAMS_OK, err);
    CHECK(err == NULL && client != NULL && client != SENTINEL(dcams_client));
    dcams_client_free(client);
    client = NULL;
    CHECK_CODE(dcams_client_new(g_config, &client, NULL), DCAMS_OK, NULL);
    CHECK(client != NULL);
    covered("dcams_client_new");

    /* dcams_client_check: NULL client (no report), then a report (see test_observe.c). */
    {
        outcome o;
        CALL(o, dcams_client_check(NULL, NULL, &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_ERR_NULL_ARGUMENT, o.error);
        outcome_free(&o);
        CALL(o, dcams_client_check(client, NULL, NULL, &o.error));
        CHECK_CODE(o.code, DCAMS_ERR_NULL_ARGUMENT, o.error);
        CHECK_HAS(o.error, "out_report");
        outcome_free(&o);
        CALL(o, dcams_client_check(client, NULL, &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_OK, o.error);
        CHECK_STR(o.result, "/name", "DCAMS_OK");
        outcome_free(&o);
    }
    dcams_client_free(client);
    covered("dcams_client_check");

    /* The frees: NULL is harmless. */
    dcams_call_free(call);
    dcams_config_free(config);
    dcams_call_free(NULL);
    dcams_config_free(NULL);
    dcams_client_free(NULL);
    dcams_images_free(NULL);
    dcams_string_free(NULL);
    covered("dcams_call_free");
    covered("dcams_config_free");
    covered("dcams_client_free");
    covered("dcams_images_free");
    covered("dcams_string_free");
}

/* The service calls and the images accessors: failures before and after
 * the network leave every output untouched. */
static void test_rule_services(void)
{
    static const char *email = "rule@example.com";
    dcams_client *client = new_client(g_config);
    dcams_images *images;
    const uint8_t *data;
    size_t len;
    person p;
    outcome o;
    char dir[] = "/tmp/dcams-c-rule-XXXXXX", front_out[128], request[256], *err;

    section("ABI rule: service calls and images (sentinels)");
    person_init(&p, email, TD3_JPG);
    person_back_path(&p, NULL); /* an empty back document: no image */

    /* dcams_client_upsert: before the network (validation) and after (401 elsewhere). */
    p.c.dob = "19900231";
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_VALIDATION, o.error);
    CHECK_STR(o.error, "/field", "dob");
    outcome_free(&o);
    p.c.dob = NULL;
    CALL(o, dcams_client_upsert(NULL, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NULL_ARGUMENT, o.error);
    outcome_free(&o);
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    outcome_free(&o);
    covered("dcams_client_upsert");

    /* dcams_client_get_status: a 404 from the service. */
    CALL(o, dcams_client_get_status(client, "nobody@example.com", NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
    outcome_free(&o);
    CALL(o, dcams_client_get_status(client, email, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    outcome_free(&o);
    covered("dcams_client_get_status");

    /* dcams_client_update_status: a status that is none, and a 404. */
    CALL(o, dcams_client_update_status(client, email, 7, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_VALIDATION, o.error);
    outcome_free(&o);
    CALL(o, dcams_client_update_status(client, "nobody@example.com", DCAMS_STATUS_PASS, NULL,
                                       &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
    outcome_free(&o);
    CALL(o, dcams_client_update_status(client, email, DCAMS_STATUS_PENDING, NULL, &o.result,
                                       &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    outcome_free(&o);
    covered("dcams_client_update_status");

    /* dcams_client_call_json: bad JSON, and a 404 through the JSON entry point. */
    CALL(o, dcams_client_call_json(client, "{", NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_JSON, o.error);
    outcome_free(&o);
    CALL(o, dcams_client_call_json(client,
                                   "{\"service\":\"getStatus\",\"target\":{\"email\":\"nobody@example.com\"}}",
                                   NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
    outcome_free(&o);
    snprintf(request, sizeof request, "{\"service\":\"getStatus\",\"target\":{\"email\":\"%s\"}}",
             email);
    CALL(o, dcams_client_call_json(client, request, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK_STR(o.result, "/status", "PENDING");
    outcome_free(&o);
    covered("dcams_client_call_json");

    /* dcams_client_get_document_images: both outputs untouched on failure. */
    images = SENTINEL(dcams_images);
    CALL(o, dcams_client_get_document_images(client, "nobody@example.com", NULL, &images,
                                             &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
    CHECK(images == SENTINEL(dcams_images));
    outcome_free(&o);
    CALL(o, dcams_client_get_document_images(client, email, NULL, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NULL_ARGUMENT, o.error);
    CHECK_HAS(o.error, "out_images");
    outcome_free(&o);
    CALL(o, dcams_client_get_document_images(client, email, NULL, &images, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK(images != NULL && images != SENTINEL(dcams_images));
    outcome_free(&o);
    covered("dcams_client_get_document_images");

    /* dcams_images_front / _back: no back stored, and NULL images. */
    if (images != NULL && images != SENTINEL(dcams_images)) {
        data = SENTINEL(const uint8_t);
        len = SENT_LEN;
        err = SENTINEL(char);
        CHECK_CODE(dcams_images_back(images, &data, &len, &err), DCAMS_ERR_NOT_PRESENT, err);
        CHECK_ERROR_JSON(err, DCAMS_ERR_NOT_PRESENT);
        CHECK(data == SENTINEL(const uint8_t) && len == SENT_LEN);
        dcams_string_free(err);
        err = SENTINEL(char);
        CHECK_CODE(dcams_images_front(NULL, &data, &len, &err), DCAMS_ERR_NULL_ARGUMENT, err);
        CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
        CHECK(data == SENTINEL(const uint8_t) && len == SENT_LEN);
        dcams_string_free(err);
        err = SENTINEL(char);
        CHECK_CODE(dcams_images_back(NULL, &data, &len, &err), DCAMS_ERR_NULL_ARGUMENT, err);
        CHECK(data == SENTINEL(const uint8_t) && len == SENT_LEN);
        dcams_string_free(err);
        err = SENTINEL(char);
        CHECK_CODE(dcams_images_front(images, NULL, &len, &err), DCAMS_ERR_NULL_ARGUMENT, err);
        CHECK(len == SENT_LEN);
        dcams_string_free(err);
        err = SENTINEL(char);
        CHECK_CODE(dcams_images_front(images, &data, NULL, &err), DCAMS_ERR_NULL_ARGUMENT, err);
        CHECK(data == SENTINEL(const uint8_t));
        dcams_string_free(err);
        err = SENTINEL(char);
        CHECK_CODE(dcams_images_front(images, &data, &len, &err), DCAMS_OK, err);
        CHECK(err == NULL && data != SENTINEL(const uint8_t) && data != NULL && len != SENT_LEN);
        covered("dcams_images_front");
        covered("dcams_images_back"); /* success: see test_lifecycle */
        dcams_images_free(images);
    }

    /* dcams_client_save_document_images: a 404, and a file that cannot be written. */
    if (CHECK(mkdtemp(dir) != NULL)) {
        snprintf(front_out, sizeof front_out, "%s/front.jpg", dir);
        CALL(o, dcams_client_save_document_images(client, "nobody@example.com", front_out, NULL,
                                                  NULL, &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
        CHECK(access(front_out, F_OK) != 0);
        outcome_free(&o);
        snprintf(front_out, sizeof front_out, "%s/no-such-dir/front.jpg", dir);
        CALL(o, dcams_client_save_document_images(client, email, front_out, NULL, NULL, &o.result,
                                                  &o.error));
        CHECK_CODE(o.code, DCAMS_ERR_FILE, o.error);
        outcome_free(&o);
        snprintf(front_out, sizeof front_out, "%s/front.jpg", dir);
        CALL(o, dcams_client_save_document_images(client, email, front_out, NULL, NULL, &o.result,
                                                  &o.error));
        CHECK_CODE(o.code, DCAMS_OK, o.error);
        outcome_free(&o);
        remove(front_out);
        rmdir(dir);
        covered("dcams_client_save_document_images");
    }
    dcams_client_free(client);
}

/* The getters: each error leaves *out_value untouched; success clears out_error. */
static void test_rule_getters(void)
{
    static const char json[] = "{\"s\":\"text\",\"n\":42,\"b\":true,\"z\":null}";
    static const char *const pointers[] = {"/z", "/missing", "nope"};
    static const dcams_code want[] = {DCAMS_ERR_NOT_PRESENT, DCAMS_ERR_NOT_PRESENT,
                                      DCAMS_ERR_INVALID_ARGUMENT};
    char *s, *err;
    int64_t n;
    int32_t b;
    size_t i;

    section("ABI rule: JSON getters (sentinels)");
    for (i = 0; i < sizeof pointers / sizeof pointers[0]; i++) {
        s = SENTINEL(char);
        err = SENTINEL(char);
        CHECK_CODE(dcams_json_get_string(json, pointers[i], &s, &err), want[i], err);
        CHECK_ERROR_JSON(err, want[i]);
        CHECK(s == SENTINEL(char));
        dcams_string_free(err);
        n = SENT_I64;
        err = SENTINEL(char);
        CHECK_CODE(dcams_json_get_int64(json, pointers[i], &n, &err), want[i], err);
        CHECK_ERROR_JSON(err, want[i]);
        CHECK(n == SENT_I64);
        dcams_string_free(err);
        b = SENT_I32;
        err = SENTINEL(char);
        CHECK_CODE(dcams_json_get_bool(json, pointers[i], &b, &err), want[i], err);
        CHECK_ERROR_JSON(err, want[i]);
        CHECK(b == SENT_I32);
        dcams_string_free(err);
    }
    /* Wrong types, bad JSON, NULL json. */
    s = SENTINEL(char);
    err = SENTINEL(char);
    CHECK_CODE(dcams_json_get_string(json, "/n", &s, &err), DCAMS_ERR_WRONG_TYPE, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_WRONG_TYPE);
    CHECK(s == SENTINEL(char));
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_json_get_string("[", "/n", &s, &err), DCAMS_ERR_INVALID_JSON, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_JSON);
    CHECK(s == SENTINEL(char));
    dcams_string_free(err);
    n = SENT_I64;
    err = SENTINEL(char);
    CHECK_CODE(dcams_json_get_int64(json, "/s", &n, &err), DCAMS_ERR_WRONG_TYPE, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_WRONG_TYPE);
    CHECK(n == SENT_I64);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_json_get_int64(NULL, "/n", &n, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    CHECK(n == SENT_I64);
    dcams_string_free(err);
    b = SENT_I32;
    err = SENTINEL(char);
    CHECK_CODE(dcams_json_get_bool(json, "/n", &b, &err), DCAMS_ERR_WRONG_TYPE, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_WRONG_TYPE);
    CHECK(b == SENT_I32);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_json_get_bool(json, NULL, &b, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK(b == SENT_I32);
    dcams_string_free(err);

    /* Success: the value written, out_error set to NULL. */
    err = SENTINEL(char);
    CHECK_CODE(dcams_json_get_string(json, "/s", &s, &err), DCAMS_OK, err);
    CHECK(err == NULL && s != SENTINEL(char) && s != NULL && strcmp(s, "text") == 0);
    if (s != SENTINEL(char))
        dcams_string_free(s);
    err = SENTINEL(char);
    CHECK_CODE(dcams_json_get_int64(json, "/n", &n, &err), DCAMS_OK, err);
    CHECK(err == NULL && n == 42);
    err = SENTINEL(char);
    CHECK_CODE(dcams_json_get_bool(json, "/b", &b, &err), DCAMS_OK, err);
    CHECK(err == NULL && b == 1);
    covered("dcams_json_get_string");
    covered("dcams_json_get_int64");
    covered("dcams_json_get_bool");
}

/* dcams_client_upsert_batch: failures before any record leave the summary
 * untouched and set out_error; success sets out_error to NULL and writes it.
 * Its records and callbacks: test_batch.c. */
static int32_t count_callback(void *userdata, size_t index, dcams_code code, const char *json,
                              const dcams_call_meta *meta)
{
    (void)index;
    (void)code;
    (void)json;
    (void)meta;
    ++*(int *)userdata;
    return 0;
}

static void test_rule_batch(void)
{
    dcams_client *client = new_client(g_config);
    dcams_batch_summary summary = DCAMS_BATCH_SUMMARY_INIT, before;
    dcams_batch_options options = DCAMS_BATCH_OPTIONS_INIT;
    const dcams_customer *none[1] = {NULL};
    int calls = 0;
    char *err;

    section("ABI rule: dcams_client_upsert_batch (sentinels)");
    summary.records = 777;
    before = summary;
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_upsert_batch(client, none, 1, NULL, NULL, &calls, &summary, &err),
               DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_NULL_ARGUMENT);
    CHECK_HAS(err, "callback");
    CHECK(memcmp(&summary, &before, sizeof summary) == 0);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_upsert_batch(client, NULL, 3, NULL, count_callback, &calls, &summary, &err),
               DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_HAS(err, "customers");
    dcams_string_free(err);
    options.struct_size = 4;
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_upsert_batch(client, none, 1, &options, count_callback, &calls, &summary, &err),
               DCAMS_ERR_INVALID_ARGUMENT, err);
    CHECK_ERROR_JSON(err, DCAMS_ERR_INVALID_ARGUMENT);
    dcams_string_free(err);
    options.struct_size = sizeof options;
    options.concurrency = 5000;
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_upsert_batch(client, none, 1, &options, count_callback, &calls, &summary, &err),
               DCAMS_ERR_INVALID_ARGUMENT, err);
    dcams_string_free(err);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_upsert_batch(client, none, 1, NULL, count_callback, &calls, NULL, &err),
               DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK_HAS(err, "out_summary");
    dcams_string_free(err);
    CHECK(memcmp(&summary, &before, sizeof summary) == 0 && calls == 0);
    /* Success: one NULL element is one failed record, reported; out_error NULL. */
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_upsert_batch(client, none, 1, NULL, count_callback, &calls, &summary, &err),
               DCAMS_OK, err);
    CHECK(err == NULL);
    CHECK(calls == 1 && summary.records == 1 && summary.failed == 1 && summary.attempts == 0);
    CHECK(summary.struct_size == sizeof summary);
    covered("dcams_client_upsert_batch");
    dcams_client_free(client);
}

/* Every function the header declares was covered by the tests above, and
 * every name marked covered is declared (no typo hides a gap). Run last. */
static void test_header_coverage(void)
{
    blob header = read_file(g_header);
    const char *p = (const char *)header.data;
    size_t declared = 0, fallible = 0, i;

    section("ABI rule: every export of dcams.h covered");
    while ((p = strstr(p, "\ndcams_code dcams_")) != NULL) {
        char name[80];
        p += strlen("\ndcams_code ");
        if (sscanf(p, "%79[a-z0-9_](", name) == 1) {
            size_t j;
            int found = 0;
            for (j = 0; j < g_covered_n; j++)
                found |= strcmp(g_covered[j], name) == 0;
            CHECK_CTX(found, name);
            declared++;
            fallible++;
        }
    }
    /* The functions that cannot fail: frees and static strings. */
    {
        static const char *const patterns[] = {"\nvoid dcams_", "\nconst char *dcams_"};
        size_t k;
        for (k = 0; k < 2; k++) {
            for (p = (const char *)header.data; (p = strstr(p, patterns[k])) != NULL;) {
                char name[80];
                p += strlen(patterns[k]) - strlen("dcams_");
                if (sscanf(p, "%79[a-z0-9_](", name) == 1) {
                    size_t j;
                    int found = 0;
                    for (j = 0; j < g_covered_n; j++)
                        found |= strcmp(g_covered[j], name) == 0;
                    CHECK_CTX(found, name);
                    declared++;
                }
                p++;
            }
        }
    }
    printf("   %lu functions declared (%lu fallible), %lu covered\n", (unsigned long)declared,
           (unsigned long)fallible, (unsigned long)g_covered_n);
    CHECK(fallible >= 20);
    for (i = 0; i < g_covered_n; i++) {
        char decl[100];
        snprintf(decl, sizeof decl, "%s(", g_covered[i]);
        CHECK_CTX(strstr((const char *)header.data, decl) != NULL, g_covered[i]);
    }
    CHECK(declared == g_covered_n);
    free(header.data);
}

/* Every pointer argument of every service call, one at a time: no request is sent. */
static void test_null_arguments(void)
{
    dcams_client *client = new_client(g_config);
    person p;
    dcams_images *images = SENTINEL(dcams_images);
    outcome o;
    long before = sb_requests();
    size_t i;
    struct {
        const char *argument;
        dcams_code code;
        char *result, *error;
    } cases[20];
    size_t n = 0;

    section("NULL arguments");
    CHECK(before >= 0);
    person_init(&p, "null@example.com", TD3_JPG);

#define NULL_CASE(arg, expr)                                                             \
    do {                                                                                 \
        CALL(o, expr);                                                                   \
        cases[n].argument = (arg);                                                       \
        cases[n].code = o.code;                                                          \
        cases[n].result = o.result;                                                      \
        cases[n].error = o.error;                                                        \
        n++;                                                                             \
    } while (0)
    NULL_CASE("client", dcams_client_call_json(NULL, "{}", NULL, &o.result, &o.error));
    NULL_CASE("request_json", dcams_client_call_json(client, NULL, NULL, &o.result, &o.error));
    NULL_CASE("out_result", dcams_client_call_json(client, "{}", NULL, NULL, &o.error));
    NULL_CASE("client", dcams_client_upsert(NULL, &p.c, NULL, &o.result, &o.error));
    NULL_CASE("customer", dcams_client_upsert(client, NULL, NULL, &o.result, &o.error));
    NULL_CASE("out_result", dcams_client_upsert(client, &p.c, NULL, NULL, &o.error));
    NULL_CASE("client", dcams_client_get_status(NULL, "a@example.com", NULL, &o.result, &o.error));
    NULL_CASE("email", dcams_client_get_status(client, NULL, NULL, &o.result, &o.error));
    NULL_CASE("out_result", dcams_client_get_status(client, "a@example.com", NULL, NULL, &o.error));
    NULL_CASE("client", dcams_client_update_status(NULL, "a@example.com", DCAMS_STATUS_PASS, NULL,
                                                   &o.result, &o.error));
    NULL_CASE("email", dcams_client_update_status(client, NULL, DCAMS_STATUS_PASS, NULL, &o.result,
                                                  &o.error));
    NULL_CASE("out_result", dcams_client_update_status(client, "a@example.com", DCAMS_STATUS_PASS,
                                                       NULL, NULL, &o.error));
    NULL_CASE("client", dcams_client_get_document_images(NULL, "a@example.com", NULL, &images,
                                                         &o.result, &o.error));
    NULL_CASE("email", dcams_client_get_document_images(client, NULL, NULL, &images, &o.result,
                                                        &o.error));
    NULL_CASE("out_result", dcams_client_get_document_images(client, "a@example.com", NULL,
                                                             &images, NULL, &o.error));
    NULL_CASE("client", dcams_client_save_document_images(NULL, "a@example.com", "/tmp/f", NULL,
                                                          NULL, &o.result, &o.error));
    NULL_CASE("email", dcams_client_save_document_images(client, NULL, "/tmp/f", NULL, NULL,
                                                         &o.result, &o.error));
    NULL_CASE("front_path", dcams_client_save_document_images(client, "a@example.com", NULL, NULL,
                                                              NULL, &o.result, &o.error));
    NULL_CASE("out_result", dcams_client_save_document_images(client, "a@example.com", "/tmp/f",
                                                              NULL, NULL, NULL, &o.error));
#undef NULL_CASE
    for (i = 0; i < n; i++) {
        CHECK_CODE(cases[i].code, DCAMS_ERR_NULL_ARGUMENT, cases[i].error);
        CHECK_HAS(cases[i].error, cases[i].argument);
        dcams_string_free(cases[i].result);
        dcams_string_free(cases[i].error);
    }
    CHECK(images == SENTINEL(dcams_images));
    /* out_error may be NULL: the code alone. */
    CHECK_CODE(dcams_client_get_status(client, NULL, NULL, NULL, NULL), DCAMS_ERR_NULL_ARGUMENT,
               NULL);
    CHECK(sb_requests() == before);
    dcams_client_free(client);
}

static void test_utf8_and_json(void)
{
    dcams_client *client = new_client(g_config);
    dcams_client *out_client;
    person p;
    outcome o;
    char *err = NULL, config[1200];
    long before = sb_requests();

    section("invalid UTF-8 and JSON");
    CHECK(before >= 0);

    CALL(o, dcams_client_call_json(client, "{\"target\":{\"email\":\"\xc3\x28\"}}", NULL,
                                   &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_UTF8, o.error);
    CHECK_HAS(o.error, "request_json");
    outcome_free(&o);
    person_init(&p, "bad\xff\xfe@example.com", TD3_JPG);
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_UTF8, o.error);
    CHECK_HAS(o.error, "customer->email");
    outcome_free(&o);
    person_init(&p, "ok@example.com", TD3_JPG);
    p.c.city = "Spr\xe9ngfield"; /* Latin-1, not UTF-8 */
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_UTF8, o.error);
    CHECK_HAS(o.error, "customer->city");
    outcome_free(&o);
    CALL(o, dcams_client_get_status(client, "x\x80@example.com", NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_UTF8, o.error);
    outcome_free(&o);

    CALL(o, dcams_client_call_json(client, "{", NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_JSON, o.error);
    outcome_free(&o);
    CALL(o, dcams_client_call_json(client, "[1,2]", NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_JSON, o.error);
    outcome_free(&o);

    /* dcams_client_new: unknown member, wrong type, plain HTTP elsewhere. */
    snprintf(config, sizeof config, "{\"endpoint\":\"%s\",\"colour\":\"blue\"}", g_url);
    out_client = SENTINEL(dcams_client);
    CHECK_CODE(dcams_client_new(config, &out_client, &err), DCAMS_ERR_INVALID_JSON, err);
    CHECK_HAS(err, "colour");
    CHECK(out_client == SENTINEL(dcams_client));
    dcams_string_free(err);
    snprintf(config, sizeof config, "{\"endpoint\":\"%s\",\"timeout_ms\":\"soon\"}", g_url);
    CHECK_CODE(dcams_client_new(config, &out_client, &err), DCAMS_ERR_INVALID_JSON, err);
    dcams_string_free(err);
    CHECK_CODE(dcams_client_new("{\"endpoint\":\"http://example.com/x\",\"user\":\"u\","
                                "\"pass\":\"secret-pass-1\"}",
                                &out_client, &err),
               DCAMS_ERR_CONFIG, err);
    CHECK_STR(err, "/name", "DCAMS_ERR_CONFIG");
    CHECK(out_client == SENTINEL(dcams_client));
    CHECK_CTX(err == NULL || strstr(err, "secret-pass-1") == NULL, err); /* no password in errors */
    dcams_string_free(err);

    CHECK(sb_requests() == before);
    dcams_client_free(client);
}

/* Input the library must reject before sending anything. */
static void test_validation(void)
{
    static const char *bad_dobs[] = {"19900231", "1990-01-31", "01/31/1990", "1990013", "abcdefgh"};
    static const char *bad_emails[] = {"not-an-email", "a@", "@example.com", ""};
    static const unsigned char not_image[] = "this is plain text, not an image";
    dcams_client *client = new_client(g_config);
    dcams_client *no_creds;
    blob jpg = read_file(TD3_JPG);
    person p;
    outcome o;
    char config[1200];
    long before = sb_requests();
    size_t i;

    section("validation before sending");
    CHECK(before >= 0);

    person_init(&p, "v@example.com", NULL); /* an empty front document */
    upsert_expect(client, &p.c, DCAMS_ERR_VALIDATION, "/field", "documents.front");
    p.c.front = NULL; /* no front document at all */
    upsert_expect(client, &p.c, DCAMS_ERR_VALIDATION, "/field", "documents.front");

    for (i = 0; i < sizeof bad_dobs / sizeof bad_dobs[0]; i++) {
        person_init(&p, "v@example.com", TD3_JPG);
        p.c.dob = bad_dobs[i];
        upsert_expect(client, &p.c, DCAMS_ERR_VALIDATION, "/field", "dob");
    }
    for (i = 0; i < sizeof bad_emails / sizeof bad_emails[0]; i++) {
        person_init(&p, bad_emails[i], TD3_JPG);
        upsert_expect(client, &p.c, DCAMS_ERR_VALIDATION, "/field", "email");
    }
    person_init(&p, NULL, TD3_JPG); /* email is a required member */
    upsert_expect(client, &p.c, DCAMS_ERR_VALIDATION, "/field", "email");

    person_init(&p, "v@example.com", NULL); /* data with len 0 */
    person_front_bytes(&p, jpg.data, 0);
    upsert_expect(client, &p.c, DCAMS_ERR_VALIDATION, "/field", "documents.front");

    person_init(&p, "v@example.com", TD3_JPG); /* data and path */
    p.front.data = jpg.data;
    p.front.len = jpg.len;
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_ARGUMENT, o.error);
    CHECK_HAS(o.error, "customer->front");
    outcome_free(&o);

    person_init(&p, "v@example.com", NULL); /* len without data */
    p.front.len = 10;
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_ARGUMENT, o.error);
    CHECK_HAS(o.error, "customer->front");
    outcome_free(&o);

    person_init(&p, "v@example.com", NULL); /* bytes that are no image */
    person_front_bytes(&p, not_image, sizeof not_image - 1);
    upsert_expect(client, &p.c, DCAMS_ERR_VALIDATION, "/field", "documents.front");

    person_init(&p, "v@example.com", TD3_JPG); /* back: no image */
    person_back_bytes(&p, not_image, sizeof not_image - 1);
    upsert_expect(client, &p.c, DCAMS_ERR_VALIDATION, "/field", "documents.back");

    person_init(&p, "v@example.com", MISSING_JPG); /* missing file */
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_FILE, o.error);
    CHECK_HAS(o.error, "no-such-file.jpg");
    outcome_free(&o);
    person_init(&p, "v@example.com", TD3_JPG);
    person_back_path(&p, MISSING_PNG);
    upsert_expect(client, &p.c, DCAMS_ERR_FILE, NULL, NULL);

    /* getStatus / updateStatus validate the e-mail and the status. */
    CALL(o, dcams_client_get_status(client, "not-an-email", NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_VALIDATION, o.error);
    CHECK_STR(o.error, "/field", "email");
    outcome_free(&o);
    CALL(o, dcams_client_update_status(client, "v@example.com", 0, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_VALIDATION, o.error);
    CHECK_STR(o.error, "/field", "status");
    outcome_free(&o);

    /* A client without credentials: DCAMS_ERR_CONFIG at call time, nothing sent. */
    snprintf(config, sizeof config, "{\"environment\":false,\"endpoint\":\"%s\"}", g_url);
    no_creds = new_client(config);
    person_init(&p, "v@example.com", TD3_JPG);
    upsert_expect(no_creds, &p.c, DCAMS_ERR_CONFIG, "/name", "DCAMS_ERR_CONFIG");
    dcams_client_free(no_creds);

    CHECK(sb_requests() == before);
    free(jpg.data);
    dcams_client_free(client);
}

/* The dcams_customer of an "old" header that ended before `back`: what a
 * program built against it passes. Same layout as the current struct's first
 * members (checked below), and exactly offsetof(dcams_customer, back) bytes. */
typedef struct customer_v0 {
    uint32_t struct_size;
    const char *email, *fn, *ln, *addr, *city, *state, *zip, *dob, *phone;
    const dcams_document *front;
} customer_v0;
_Static_assert(sizeof(customer_v0) == offsetof(dcams_customer, back), "old customer size");
_Static_assert(offsetof(customer_v0, email) == offsetof(dcams_customer, email), "email");
_Static_assert(offsetof(customer_v0, phone) == offsetof(dcams_customer, phone), "phone");
_Static_assert(offsetof(customer_v0, front) == offsetof(dcams_customer, front), "front");

/* (d) Versioned structs: an old caller's shorter dcams_customer, a newer
 * caller's longer one, and sizes that are wrong. */
static void test_versioned_structs(void)
{
    /* A dcams_customer as a later header might append to it. */
    typedef struct customer_v2 {
        dcams_customer v1;
        const char *appended;
    } customer_v2;
    static const char *email = "old-caller@example.com";
    dcams_client *client = new_client(g_config);
    const size_t old_size = offsetof(dcams_customer, back);
    customer_v0 *old = malloc(old_size);
    dcams_document front = DCAMS_DOCUMENT_INIT, short_doc = DCAMS_DOCUMENT_INIT;
    customer_v2 newer;
    person p;
    outcome o;
    long before;

    section("versioned structs: old and new callers");
    /* An "old" caller: its dcams_customer ends before `back`. malloc'd to
     * exactly that size, so ASan/Valgrind report any read past struct_size. */
    if (CHECK(old != NULL)) {
        memset(old, 0, old_size);
        old->struct_size = (uint32_t)old_size;
        old->email = email;
        old->fn = "Old";
        front.path = TD3_JPG;
        old->front = &front;
        CALL(o, dcams_client_upsert(client, (const dcams_customer *)(const void *)old, NULL,
                                    &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_OK, o.error);
        CHECK_STR(o.result, "/type", "createCustomer");
        CHECK_STR(o.result, "/target/email", email);
        outcome_free(&o);
        check_not_stored(email, "back");
        /* Shorter than the first version (ends inside `front`): refused. */
        old->struct_size = (uint32_t)offsetof(dcams_customer, front);
        CALL(o, dcams_client_upsert(client, (const dcams_customer *)(const void *)old, NULL,
                                    &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_ERR_INVALID_ARGUMENT, o.error);
        CHECK_HAS(o.error, "struct_size");
        outcome_free(&o);
        free(old);
    }

    before = sb_requests();
    person_init(&p, "sizes@example.com", TD3_JPG);
    p.c.struct_size = 0; /* never set */
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_ARGUMENT, o.error);
    CHECK_HAS(o.error, "struct_size");
    outcome_free(&o);

    person_init(&p, "sizes@example.com", NULL);
    short_doc.struct_size = 0; /* a document without its size */
    short_doc.path = TD3_JPG;
    p.c.front = &short_doc;
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_ARGUMENT, o.error);
    CHECK_HAS(o.error, "customer->front->struct_size");
    outcome_free(&o);

    /* A newer caller that sets a member this version does not know. */
    memset(&newer, 0, sizeof newer);
    person_init(&p, "newer@example.com", TD3_JPG);
    newer.v1 = p.c;
    newer.v1.struct_size = (uint32_t)sizeof newer;
    newer.appended = "a value for a member libdcams does not have";
    CALL(o, dcams_client_upsert(client, &newer.v1, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_INVALID_ARGUMENT, o.error);
    CHECK_HAS(o.error, "does not know");
    outcome_free(&o);
    CHECK(sb_requests() == before);
    /* ... and one that leaves it zero: accepted. */
    newer.appended = NULL;
    CALL(o, dcams_client_upsert(client, &newer.v1, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK_STR(o.result, "/target/email", "newer@example.com");
    outcome_free(&o);
    dcams_client_free(client);
}

static void test_upsert(void)
{
    static const char *jane = "Jane.Doe+kyc@Example.COM";
    dcams_client *client = new_client(g_config);
    blob td3_jpg = read_file(TD3_JPG);
    blob td2_png = read_file(TD2_PNG);
    blob td3_png = read_file(TD3_PNG);
    blob td2_jpg = read_file(TD2_JPG);
    person p;
    http_reply r;
    outcome o;
    long before = sb_requests();

    section("upsert by paths and by bytes");
    CHECK(before >= 0);

    person_init(&p, "paths@example.com", TD3_JPG);
    person_back_path(&p, TD2_PNG);
    p.c.fn = "Ada";
    p.c.ln = "Example";
    p.c.addr = "1 Test Way";
    p.c.city = "Springfield";
    p.c.state = "IL";
    p.c.zip = "62701";
    p.c.dob = "19800214";
    p.c.phone = "2175550100";
    p.c.reference = "R-C-1";
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK_STR(o.result, "/result", "Success");
    CHECK_STR(o.result, "/type", "createCustomer");
    CHECK_STR(o.result, "/status", "PENDING");
    CHECK_STR(o.result, "/reference", "R-C-1");
    CHECK_STR(o.result, "/target/fn", "Ada");
    CHECK_STR(o.result, "/target/city", "Springfield");
    CHECK_STR(o.result, "/target/dob", "19800214");
    CHECK_HAS(o.result, "\"customer_link\":\"http");
    CHECK_STR_FAILS(o.result, "/target/documents", DCAMS_ERR_NOT_PRESENT); /* no images echoed */
    outcome_free(&o);
    CHECK(sb_requests() == before + 1);
    check_stored("paths@example.com", "front", &td3_jpg);
    check_stored("paths@example.com", "back", &td2_png);
    upsert_expect(client, &p.c, DCAMS_OK, "/type", "updateCustomer");
    upsert_expect(client, &p.c, DCAMS_OK, "/status", "PENDING");
    CHECK(sb_requests() == before + 3);

    /* The same customer, new images from memory: replaced byte for byte. */
    person_front_bytes(&p, td3_png.data, td3_png.len);
    person_back_bytes(&p, td2_jpg.data, td2_jpg.len);
    upsert_expect(client, &p.c, DCAMS_OK, "/type", "updateCustomer");
    check_stored("paths@example.com", "front", &td3_png);
    check_stored("paths@example.com", "back", &td2_jpg);

    /* A new customer from bytes, front only. */
    person_init(&p, "bytes@example.com", NULL);
    person_front_bytes(&p, td2_jpg.data, td2_jpg.len);
    upsert_expect(client, &p.c, DCAMS_OK, "/type", "createCustomer");
    check_stored("bytes@example.com", "front", &td2_jpg);
    check_not_stored("bytes@example.com", "back");

    /* The e-mail is sent byte for byte (no case folding, '+' kept). */
    person_init(&p, jane, TD3_JPG);
    upsert_expect(client, &p.c, DCAMS_OK, "/target/email", jane);
    CHECK(sb_request("GET", "/_sandbox/last-request", &r) == 0 && r.status == 200);
    CHECK_HAS((const char *)r.body, "\"email\":\"Jane.Doe+kyc@Example.COM\"");
    CHECK_HAS((const char *)r.body, "\"service\":\"createOrUpdateCustomer\"");
    CHECK_HAS((const char *)r.body, "\"method\":\"POST\"");
    CHECK_HAS((const char *)r.body, "\"content_type\":\"application/json\"");
    http_reply_free(&r);
    CHECK(sb_customer_status(jane) == 200);
    check_stored(jane, "front", &td3_jpg);

    free(td3_jpg.data);
    free(td2_png.data);
    free(td3_png.data);
    free(td2_jpg.data);
    dcams_client_free(client);
}

/* 401 with a wrong password; with --platform the AUTH0 shape. */
static void test_unauthorized(int platform)
{
    dcams_client *client;
    person p;
    outcome o;
    char config[1200];
    int32_t retryable = -1;
    long before = sb_requests();

    section(platform ? "401, platform error style" : "401");
    person_init(&p, "auth@example.com", TD3_JPG);
    snprintf(config, sizeof config,
             "{\"environment\":false,\"endpoint\":\"%s\",\"user\":\"" SB_USER
             "\",\"pass\":\"wrong-pass-123\"}",
             g_url);
    client = new_client(config);
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_UNAUTHORIZED, o.error);
    CHECK_INT(o.error, "/http_status", 401);
    CHECK_INT(o.error, "/attempts", 1);
    CHECK(dcams_json_get_bool(o.error, "/retryable", &retryable, NULL) == DCAMS_OK && retryable == 0);
    if (platform) {
        CHECK_STR(o.error, "/service_code", "AUTH0");
        CHECK_STR(o.error, "/service_message", "Bad Login");
    } else {
        CHECK_STR(o.error, "/service_message", "Either your username or password is incorrect");
        CHECK_STR_FAILS(o.error, "/service_code", DCAMS_ERR_NOT_PRESENT);
    }
    CHECK_CTX(o.error != NULL && strstr(o.error, "wrong-pass-123") == NULL, o.error);
    CHECK(sb_requests() == before + 1);
    outcome_free(&o);
    CALL(o, dcams_client_get_status(client, "auth@example.com", NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_UNAUTHORIZED, o.error);
    outcome_free(&o);
    dcams_client_free(client);
}

static void test_not_found(void)
{
    dcams_client *client = new_client(g_config);
    dcams_images *images = SENTINEL(dcams_images);
    outcome o;

    section("404");
    CALL(o, dcams_client_get_status(client, "nobody@example.com", NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
    CHECK_INT(o.error, "/http_status", 404);
    CHECK_STR(o.error, "/service_message", "The email address was not found");
    outcome_free(&o);
    CALL(o, dcams_client_get_document_images(client, "nobody@example.com", NULL, &images,
                                             &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
    CHECK(images == SENTINEL(dcams_images));
    outcome_free(&o);
    CALL(o, dcams_client_update_status(client, "nobody@example.com", DCAMS_STATUS_FAIL, NULL,
                                       &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
    outcome_free(&o);
    dcams_client_free(client);
}

/* The service's own 400s (both messages) and a gateway page: the client's
 * validation prevents them, so the sandbox is scripted to answer them. */
static void test_scripted_answers(void)
{
    static const struct {
        const char *script, *pointer, *want;
        dcams_code code;
    } cases[] = {
        {"{\"status\":400,\"body\":\"{\\\"result\\\":\\\"Error\\\",\\\"message\\\":"
         "\\\"The email address is invalid\\\"}\"}",
         "/service_message", "The email address is invalid", DCAMS_ERR_BAD_REQUEST},
        {"{\"status\":400,\"body\":\"{\\\"result\\\":\\\"Error\\\",\\\"message\\\":"
         "\\\"Missing a required input\\\"}\"}",
         "/service_message", "Missing a required input", DCAMS_ERR_BAD_REQUEST},
        {"{\"status\":413,\"content_type\":\"text/html\",\"body\":\"<html>Request Entity Too "
         "Large</html>\"}",
         NULL, "text/html", DCAMS_ERR_PAYLOAD_TOO_LARGE},
    };
    dcams_client *client = new_client(g_config);
    person p;
    size_t i;

    section("scripted 400s and a gateway page");
    person_init(&p, "scripted@example.com", TD3_JPG);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        outcome o;
        if (!CHECK(sb_script(cases[i].script)))
            continue;
        CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
        CHECK_CODE(o.code, cases[i].code, o.error);
        CHECK_STR(o.error, "/name", dcams_code_name(cases[i].code));
        if (cases[i].pointer != NULL)
            CHECK_STR(o.error, cases[i].pointer, cases[i].want);
        else
            CHECK_HAS(o.error, cases[i].want);
        outcome_free(&o);
    }
    dcams_client_free(client);
}

/* Reads a file written by save_document_images and compares it. */
static void check_file(const char *path, const blob *want)
{
    blob got = read_file(path);
    CHECK(same_bytes(got.data, got.len, want->data, want->len));
    free(got.data);
}

/* The images of `images` are `front` and `back` (NULL: not stored). */
static void check_images(const dcams_images *images, const blob *front, const blob *back)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    CHECK_CODE(dcams_images_front(images, &data, &len, NULL), DCAMS_OK, NULL);
    CHECK(same_bytes(data, len, front->data, front->len));
    if (back != NULL) {
        CHECK_CODE(dcams_images_back(images, &data, &len, NULL), DCAMS_OK, NULL);
        CHECK(same_bytes(data, len, back->data, back->len));
    } else {
        CHECK_CODE(dcams_images_back(images, &data, &len, NULL), DCAMS_ERR_NOT_PRESENT, NULL);
    }
}

static void test_lifecycle(void)
{
    static const char *email = "life@example.com";
    dcams_client *client = new_client(g_config);
    blob front = read_file(TD3_JPG);
    blob back = read_file(TD2_PNG);
    person p;
    outcome o;
    dcams_images *images = NULL;
    char dir[] = "/tmp/dcams-c-test-XXXXXX", dir2[] = "/tmp/dcams-c-test-XXXXXX", front_out[128],
         back_out[128];
    long before;

    section("lifecycle: status, images, updateStatus");
    person_init(&p, email, TD3_JPG);
    person_back_path(&p, TD2_PNG);
    p.c.fn = "Life";
    p.c.dob = "19700101";
    upsert_expect(client, &p.c, DCAMS_OK, "/type", "createCustomer");

    CALL(o, dcams_client_get_status(client, email, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK_STR(o.result, "/status", "PENDING");
    CHECK_STR(o.result, "/result", "Success");
    CHECK_STR(o.result, "/target/fn", "Life");
    outcome_free(&o);

    CALL(o, dcams_client_get_document_images(client, email, NULL, &images, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK_INT(o.result, "/target/documents/front_bytes", (int64_t)front.len);
    CHECK_INT(o.result, "/target/documents/back_bytes", (int64_t)back.len);
    CHECK_STR(o.result, "/status", "PENDING");
    CHECK_STR_FAILS(o.result, "/target/documents/front", DCAMS_ERR_NOT_PRESENT);
    if (CHECK(images != NULL))
        check_images(images, &front, &back);
    dcams_images_free(images);
    outcome_free(&o);

    /* save_document_images writes the same bytes to files. */
    if (CHECK(mkdtemp(dir) != NULL)) {
        snprintf(front_out, sizeof front_out, "%s/front.jpg", dir);
        snprintf(back_out, sizeof back_out, "%s/back.png", dir);
        CALL(o, dcams_client_save_document_images(client, email, front_out, back_out, NULL,
                                                  &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_OK, o.error);
        CHECK_INT(o.result, "/target/documents/front_bytes", (int64_t)front.len);
        outcome_free(&o);
        check_file(front_out, &front);
        check_file(back_out, &back);
        remove(front_out);
        remove(back_out);
        rmdir(dir);
    }

    CALL(o, dcams_client_update_status(client, email, DCAMS_STATUS_PASS, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK_STR(o.result, "/target/status", "PASS");
    outcome_free(&o);
    CALL(o, dcams_client_get_status(client, email, NULL, &o.result, &o.error));
    CHECK_STR(json_of(&o), "/status", "PASS");
    outcome_free(&o);

    /* An update keeps the review status. */
    upsert_expect(client, &p.c, DCAMS_OK, "/type", "updateCustomer");
    CALL(o, dcams_client_get_status(client, email, NULL, &o.result, &o.error));
    CHECK_STR(json_of(&o), "/status", "PASS");
    outcome_free(&o);

    before = sb_requests();
    CALL(o, dcams_client_update_status(client, email, 7, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_VALIDATION, o.error);
    CHECK_STR(o.error, "/field", "status");
    outcome_free(&o);
    CHECK(sb_requests() == before);

    CALL(o, dcams_client_update_status(client, email, DCAMS_STATUS_FAIL, NULL, &o.result, &o.error));
    CHECK_STR(json_of(&o), "/target/status", "FAIL");
    outcome_free(&o);

    /* A customer without a back image: not present in memory, no back file written. */
    person_init(&p, "front-only@example.com", TD3_JPG);
    upsert_expect(client, &p.c, DCAMS_OK, "/type", "createCustomer");
    images = NULL;
    CALL(o, dcams_client_get_document_images(client, p.c.email, NULL, &images, &o.result,
                                             &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK_INT(o.result, "/target/documents/back_bytes", 0);
    if (CHECK(images != NULL))
        check_images(images, &front, NULL);
    dcams_images_free(images);
    outcome_free(&o);
    if (CHECK(mkdtemp(dir2) != NULL)) {
        FILE *stale;
        snprintf(front_out, sizeof front_out, "%s/front.jpg", dir2);
        snprintf(back_out, sizeof back_out, "%s/back.png", dir2);
        stale = fopen(back_out, "wb"); /* a back image left from an earlier customer */
        if (CHECK(stale != NULL)) {
            fputs("stale", stale);
            fclose(stale);
        }
        CALL(o, dcams_client_save_document_images(client, p.c.email, front_out, back_out, NULL,
                                                  &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_OK, o.error);
        outcome_free(&o);
        check_file(front_out, &front);
        CHECK(access(back_out, F_OK) != 0); /* no back stored: the stale file is removed */
        remove(front_out);
        remove(back_out);
        rmdir(dir2);
    }

    free(front.data);
    free(back.data);
    dcams_client_free(client);
}

/* (b) C without JSON: a client configured with dcams_config_* only, with a
 * password holding `"`, `\` and `é`, against a sandbox that demands exactly
 * that password; replies and errors read with the getters only. */
static void test_no_json(void)
{
    static const char *email = "no-json@example.com";
    dcams_config *config = NULL;
    dcams_client *client = NULL, *wrong = NULL;
    char base[512], *value = NULL;
    http_reply r;
    person p;
    outcome o;
    int64_t n = 0;
    int32_t b = -1;
    long before;
    size_t len;

    section("C without JSON: dcams_config and the getters (quoted password)");
    if (!CHECK_CTX(g_quoted_url != NULL, "run with --quoted-url (see run.sh)"))
        return;
    len = strlen(g_quoted_url) - strlen(STORAGE_SUFFIX);
    memcpy(base, g_quoted_url, len);
    base[len] = '\0';
    CHECK(strchr(QUOTED_PASS, '"') != NULL && strchr(QUOTED_PASS, '\\') != NULL &&
          strstr(QUOTED_PASS, "\xc3\xa9") != NULL);

    CHECK_CODE(dcams_config_new(&config, NULL), DCAMS_OK, NULL);
    CHECK_CODE(dcams_config_set_bool(config, "environment", 0, NULL), DCAMS_OK, NULL);
    CHECK_CODE(dcams_config_set_string(config, "endpoint", g_quoted_url, NULL), DCAMS_OK, NULL);
    CHECK_CODE(dcams_config_set_string(config, "user", SB_USER, NULL), DCAMS_OK, NULL);
    CHECK_CODE(dcams_config_set_string(config, "pass", QUOTED_PASS, NULL), DCAMS_OK, NULL);
    CHECK_CODE(dcams_config_set_int(config, "retries", 0, NULL), DCAMS_OK, NULL);
    CHECK_CODE(dcams_config_set_int(config, "timeout_ms", 30000, NULL), DCAMS_OK, NULL);
    CHECK_CODE(dcams_client_new_from_config(config, &client, NULL), DCAMS_OK, NULL);
    /* The same configuration with the password cut before the `é`: a control
     * that the sandbox checks the whole password. */
    CHECK_CODE(dcams_config_set_string(config, "pass", "pa\"ss\\w", NULL), DCAMS_OK, NULL);
    CHECK_CODE(dcams_client_new_from_config(config, &wrong, NULL), DCAMS_OK, NULL);
    dcams_config_free(config); /* clients do not keep it */
    if (!CHECK(client != NULL && wrong != NULL)) {
        dcams_client_free(client);
        dcams_client_free(wrong);
        return;
    }

    if (!CHECK(sb_request_at(base, "POST", "/_sandbox/reset", NULL, &r) == 0 && r.status == 200)) {
        http_reply_free(&r);
        dcams_client_free(client);
        dcams_client_free(wrong);
        return;
    }
    http_reply_free(&r);
    before = sb_requests_at(base);
    person_init(&p, email, TD3_JPG);
    p.c.fn = "Zo\xc3\xab";
    p.c.reference = "NJ-1";
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK_STR(o.result, "/type", "createCustomer");
    CHECK_STR(o.result, "/status", "PENDING");
    CHECK_STR(o.result, "/target/email", email);
    CHECK_STR(o.result, "/target/fn", "Zo\xc3\xab");
    CHECK_STR(o.result, "/reference", "NJ-1");
    CHECK(dcams_json_get_string(o.result, "/customer_link", &value, NULL) == DCAMS_OK &&
          value != NULL && strncmp(value, "http", 4) == 0);
    dcams_string_free(value);
    value = NULL;
    /* Not present, and of the wrong type. */
    CHECK_STR_FAILS(o.result, "/target/phone", DCAMS_ERR_NOT_PRESENT);
    CHECK_STR_FAILS(o.result, "/target", DCAMS_ERR_WRONG_TYPE);
    CHECK_CODE(dcams_json_get_int64(o.result, "/status", &n, NULL), DCAMS_ERR_WRONG_TYPE, NULL);
    CHECK_CODE(dcams_json_get_bool(o.result, "/type", &b, NULL), DCAMS_ERR_WRONG_TYPE, NULL);
    outcome_free(&o);
    CHECK(sb_requests_at(base) == before + 1);

    CALL(o, dcams_client_get_status(client, email, NULL, &o.result, &o.error));
    CHECK_STR(json_of(&o), "/status", "PENDING");
    outcome_free(&o);

    /* An error: a 404 from getStatus. */
    CALL(o, dcams_client_get_status(client, "nobody@example.com", NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
    CHECK_INT(o.error, "/http_status", 404);
    CHECK_INT(o.error, "/code", DCAMS_ERR_NOT_FOUND);
    CHECK_STR(o.error, "/service_message", "The email address was not found");
    CHECK_STR_FAILS(o.error, "/field", DCAMS_ERR_NOT_PRESENT);      /* null */
    CHECK_STR_FAILS(o.error, "/http_status", DCAMS_ERR_WRONG_TYPE); /* a number */
    CHECK_CODE(dcams_json_get_int64(o.error, "/message", &n, NULL), DCAMS_ERR_WRONG_TYPE, NULL);
    CHECK(dcams_json_get_bool(o.error, "/retryable", &b, NULL) == DCAMS_OK && b == 0);
    outcome_free(&o);

    /* The control: the shorter password is refused with a 401. */
    CALL(o, dcams_client_get_status(wrong, email, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_UNAUTHORIZED, o.error);
    CHECK_INT(o.error, "/http_status", 401);
    CHECK_STR(o.error, "/service_message", "Either your username or password is incorrect");
    CHECK_CTX(o.error != NULL && strstr(o.error, "pa\\\"ss") == NULL && strstr(o.error, "pa\"ss") == NULL,
              o.error); /* the password is never in an error */
    outcome_free(&o);

    dcams_client_free(client);
    dcams_client_free(wrong);
}

/* (c) Owned strings may be cut up by the caller before they are freed. */
static void test_strtok_free(void)
{
    dcams_client *client = new_client(g_config);
    person p;
    outcome o;
    char *value = NULL, *token, *save = NULL;
    int tokens = 0, saw_type = 0;

    section("freeing strings after strtok");
    person_init(&p, "strtok@example.com", TD2_JPG);
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    if (o.result != NULL) {
        for (token = strtok_r(o.result, "{}\",:", &save); token != NULL;
             token = strtok_r(NULL, "{}\",:", &save)) {
            tokens++;
            saw_type |= strcmp(token, "createCustomer") == 0;
        }
    }
    CHECK(tokens > 5 && saw_type);
    outcome_free(&o); /* NULs all over the block: still one free() */

    CALL(o, dcams_client_get_status(client, "nobody@example.com", NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
    tokens = 0;
    if (o.error != NULL)
        for (token = strtok(o.error, ","); token != NULL; token = strtok(NULL, ","))
            tokens++;
    CHECK(tokens >= 10); /* the ten members of the error JSON */
    outcome_free(&o);

    CHECK_CODE(dcams_json_get_string("{\"m\":\"a b c d\"}", "/m", &value, NULL), DCAMS_OK, NULL);
    tokens = 0;
    if (value != NULL)
        for (token = strtok(value, " "); token != NULL; token = strtok(NULL, " "))
            tokens++;
    CHECK(tokens == 4);
    dcams_string_free(value);
    dcams_client_free(client);
}

/* (e) dcams_call: a per-call deadline both ways, and what each call did. */
static void test_call_handle(void)
{
    static const char *email = "call@example.com";
    dcams_client *client = new_client(g_config);
    dcams_call *call = NULL;
    dcams_call_meta meta = DCAMS_CALL_META_INIT;
    struct {
        dcams_call_meta meta;
        unsigned char future[16]; /* members a later header might append */
    } newer;
    unsigned char untouched[16];
    person p;
    outcome o;
    char config[1200];
    long before;

    section("dcams_call: per-call timeout and metadata");
    CHECK_CODE(dcams_call_new(&call, NULL), DCAMS_OK, NULL);
    if (!CHECK(call != NULL)) {
        dcams_client_free(client);
        return;
    }

    /* After a success: attempts, status, sizes, connection reuse. */
    person_init(&p, email, TD3_JPG);
    CALL(o, dcams_client_upsert(client, &p.c, call, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK_CODE(dcams_call_get_meta(call, &meta, NULL), DCAMS_OK, NULL);
    CHECK(meta.struct_size == sizeof meta);
    CHECK(meta.code == DCAMS_OK);
    CHECK(meta.attempts == 1);
    CHECK(meta.http_status == 200);
    CHECK_CTX(meta.request_bytes > 0 && (long)meta.request_bytes == sb_last_content_length(),
              "request_bytes is the Content-Length the sandbox received");
    CHECK(o.result != NULL && meta.response_bytes == strlen(o.result));
    CHECK(meta.elapsed_ms < 60000);
    /* 1 reused, 0 new, -1 not known (libdcams 0.2.0 always reports -1). */
    CHECK(meta.connection_reused >= -1 && meta.connection_reused <= 1);
    outcome_free(&o);
    CALL(o, dcams_client_get_status(client, email, call, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error);
    CHECK_CODE(dcams_call_get_meta(call, &meta, NULL), DCAMS_OK, NULL);
    CHECK(meta.connection_reused >= -1 && meta.connection_reused <= 1);
    CHECK(o.result != NULL && meta.response_bytes == strlen(o.result));
    CHECK((long)meta.request_bytes == sb_last_content_length());
    outcome_free(&o);

    /* After failures: before any traffic, a 404, retried 503s. */
    person_init(&p, "not-an-email", TD3_JPG);
    CALL(o, dcams_client_upsert(client, &p.c, call, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_VALIDATION, o.error);
    outcome_free(&o);
    CHECK_CODE(dcams_call_get_meta(call, &meta, NULL), DCAMS_OK, NULL);
    CHECK(meta.code == DCAMS_ERR_VALIDATION);
    CHECK(meta.attempts == 0);
    CHECK(meta.http_status == 0);
    CALL(o, dcams_client_get_status(client, "nobody@example.com", call, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
    CHECK_CODE(dcams_call_get_meta(call, &meta, NULL), DCAMS_OK, NULL);
    CHECK(meta.code == DCAMS_ERR_NOT_FOUND);
    CHECK(meta.attempts == 1);
    CHECK(meta.http_status == 404);
    CHECK(o.error != NULL && meta.response_bytes > 0);
    outcome_free(&o);
    {
        dcams_client *retrying;
        snprintf(config, sizeof config,
                 "{\"environment\":false,\"endpoint\":\"%s\",\"user\":\"" SB_USER
                 "\",\"pass\":\"" SB_PASS "\",\"retries\":2,\"retry_backoff_ms\":5}",
                 g_url);
        retrying = new_client(config);
        before = sb_requests();
        CHECK(sb_script("{\"status\":503,\"body\":\"\",\"times\":3}"));
        CALL(o, dcams_client_get_status(retrying, email, call, &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_ERR_SERVER_ERROR, o.error);
        CHECK_INT(o.error, "/attempts", 3);
        CHECK(sb_requests() == before + 3);
        CHECK_CODE(dcams_call_get_meta(call, &meta, NULL), DCAMS_OK, NULL);
        CHECK(meta.code == DCAMS_ERR_SERVER_ERROR);
        CHECK(meta.attempts == 3);
        CHECK(meta.http_status == 503);
        CHECK(meta.request_bytes > 0);
        outcome_free(&o);
        dcams_client_free(retrying);
    }

    /* A newer caller's larger dcams_call_meta: the members this version
     * knows are written, the rest is left alone. */
    memset(&newer, 0x5a, sizeof newer);
    memset(untouched, 0x5a, sizeof untouched);
    newer.meta.struct_size = (uint32_t)sizeof newer;
    CHECK_CODE(dcams_call_get_meta(call, &newer.meta, NULL), DCAMS_OK, NULL);
    CHECK(newer.meta.struct_size == sizeof newer);
    CHECK(newer.meta.attempts == 3 && newer.meta.http_status == 503);
    CHECK(memcmp(newer.future, untouched, sizeof untouched) == 0);

    /* The per-call deadline, against a sandbox that answers after SLOW_LATENCY_MS. */
    if (CHECK_CTX(g_slow_url != NULL, "run with --slow-url (see run.sh)")) {
        dcams_client *patient, *hasty;
        snprintf(config, sizeof config,
                 "{\"environment\":false,\"endpoint\":\"%s\",\"user\":\"" SB_USER
                 "\",\"pass\":\"" SB_PASS "\",\"retries\":0}",
                 g_slow_url);
        patient = new_client(config); /* the default timeout_ms, 120 s */
        snprintf(config, sizeof config,
                 "{\"environment\":false,\"endpoint\":\"%s\",\"user\":\"" SB_USER
                 "\",\"pass\":\"" SB_PASS "\",\"retries\":0,\"timeout_ms\":300}",
                 g_slow_url);
        hasty = new_client(config);

        /* A short per-call deadline cuts the patient client's call short. */
        CHECK_CODE(dcams_call_set_timeout_ms(call, 300, NULL), DCAMS_OK, NULL);
        CALL(o, dcams_client_get_status(patient, email, call, &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_ERR_TIMEOUT, o.error);
        outcome_free(&o);
        CHECK_CODE(dcams_call_get_meta(call, &meta, NULL), DCAMS_OK, NULL);
        CHECK(meta.code == DCAMS_ERR_TIMEOUT);
        CHECK(meta.attempts >= 1);
        CHECK(meta.http_status == 0);
        CHECK_CTX(meta.elapsed_ms >= 250 && meta.elapsed_ms < SLOW_LATENCY_MS - 300,
                  "elapsed_ms within the 300 ms call deadline, well before the sandbox answers");
        /* The hasty client alone times out as well (control)... */
        CALL(o, dcams_client_get_status(hasty, email, NULL, &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_ERR_TIMEOUT, o.error);
        outcome_free(&o);
        /* ... but a long per-call deadline lets its call finish. */
        CHECK_CODE(dcams_call_set_timeout_ms(call, 30000, NULL), DCAMS_OK, NULL);
        CALL(o, dcams_client_get_status(hasty, "nobody@example.com", call, &o.result, &o.error));
        CHECK_CODE(o.code, DCAMS_ERR_NOT_FOUND, o.error);
        outcome_free(&o);
        CHECK_CODE(dcams_call_get_meta(call, &meta, NULL), DCAMS_OK, NULL);
        CHECK(meta.code == DCAMS_ERR_NOT_FOUND && meta.http_status == 404 && meta.attempts == 1);
        CHECK_CTX(meta.elapsed_ms >= SLOW_LATENCY_MS - 100,
                  "elapsed_ms includes the sandbox's latency");
        dcams_client_free(patient);
        dcams_client_free(hasty);
    }
    dcams_call_free(call);
    dcams_client_free(client);
}

/* (f) A hermetic client reads no environment variable: each variable below
 * breaks (or redirects) a client that reads the environment. */
static void test_hermetic(void)
{
    static const struct {
        const char *name, *value;
    } poison[] = {
        {"DCAMS_ENDPOINT", "http://example.com/plain-http-elsewhere"},
        {"DCAMS_TIMEOUT_MS", "soon"},
        {"DCAMS_CONNECT_TIMEOUT_MS", "-1"},
        {"DCAMS_RETRIES", "many"},
        {"https_proxy", "http://[not-a-proxy"},
        {"HTTPS_PROXY", "http://[not-a-proxy"},
        {"all_proxy", "http://[not-a-proxy"},
        {"DCAMS_CA_BUNDLE", "/nonexistent/ca.pem"},
    };
    dcams_client *client = NULL;
    dcams_config *config = NULL;
    person p;
    outcome o;
    char *err = NULL, json[1200];
    long before;
    size_t i;

    static const char *const others[] = {"ALL_PROXY", "no_proxy", "NO_PROXY", "DCAMS_USER",
                                         "DCAMS_PASS", "DCAMS_TEST_KEY", "DCAMS_CA_FILE"};

    section("hermetic clients ignore the environment");
    /* Start from none of them set, whatever the developer's shell exports. */
    for (i = 0; i < sizeof poison / sizeof poison[0]; i++)
        unsetenv(poison[i].name);
    for (i = 0; i < sizeof others / sizeof others[0]; i++)
        unsetenv(others[i]);
    for (i = 0; i < sizeof poison / sizeof poison[0]; i++) {
        if (!CHECK(setenv(poison[i].name, poison[i].value, 1) == 0))
            continue;
        /* Control: a client that reads the environment fails to build. The
         * endpoint is the default https one, so proxy and CA variables apply. */
        client = SENTINEL(dcams_client);
        CHECK_CODE(dcams_client_new("{\"user\":\"u\",\"pass\":\"p\"}", &client, &err),
                   DCAMS_ERR_CONFIG, err);
        CHECK_CTX(client == SENTINEL(dcams_client), poison[i].name);
        dcams_string_free(err);
        err = NULL;
        /* Hermetic, by JSON and by dcams_config: built. */
        client = NULL;
        CHECK_CODE(dcams_client_new("{\"environment\":false,\"user\":\"u\",\"pass\":\"p\"}",
                                    &client, &err),
                   DCAMS_OK, err);
        CHECK_CTX(client != NULL, poison[i].name);
        dcams_client_free(client);
        client = NULL;
        CHECK_CODE(dcams_config_new(&config, NULL), DCAMS_OK, NULL);
        CHECK_CODE(dcams_config_set_bool(config, "environment", 0, NULL), DCAMS_OK, NULL);
        CHECK_CODE(dcams_client_new_from_config(config, &client, &err), DCAMS_OK, err);
        CHECK_CTX(client != NULL, poison[i].name);
        dcams_client_free(client);
        dcams_config_free(config);
        config = NULL;
        client = NULL;
        unsetenv(poison[i].name);
    }

    /* Credentials and endpoint in the environment: an environment client uses
     * them, a hermetic one has none (DCAMS_ERR_CONFIG, nothing sent). */
    setenv("DCAMS_ENDPOINT", g_url, 1);
    setenv("DCAMS_USER", SB_USER, 1);
    setenv("DCAMS_PASS", SB_PASS, 1);
    person_init(&p, "hermetic@example.com", TD3_JPG);
    before = sb_requests();
    client = new_client(NULL);
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_OK, o.error); /* control: the environment is read */
    outcome_free(&o);
    dcams_client_free(client);
    CHECK(sb_requests() == before + 1);
    snprintf(json, sizeof json, "{\"environment\":false,\"endpoint\":\"%s\"}", g_url);
    client = new_client(json);
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_CONFIG, o.error);
    CHECK_INT(o.error, "/attempts", 0);
    outcome_free(&o);
    dcams_client_free(client);
    CHECK_CODE(dcams_config_new(&config, NULL), DCAMS_OK, NULL);
    CHECK_CODE(dcams_config_set_bool(config, "environment", 0, NULL), DCAMS_OK, NULL);
    CHECK_CODE(dcams_config_set_string(config, "endpoint", g_url, NULL), DCAMS_OK, NULL);
    client = NULL;
    CHECK_CODE(dcams_client_new_from_config(config, &client, NULL), DCAMS_OK, NULL);
    dcams_config_free(config);
    CALL(o, dcams_client_upsert(client, &p.c, NULL, &o.result, &o.error));
    CHECK_CODE(o.code, DCAMS_ERR_CONFIG, o.error);
    outcome_free(&o);
    dcams_client_free(client);
    CHECK(sb_requests() == before + 1);
    unsetenv("DCAMS_ENDPOINT");
    unsetenv("DCAMS_USER");
    unsetenv("DCAMS_PASS");
}

/* ---- threads: one client, many callers ---------------------------------- */

typedef struct worker {
    pthread_t thread;
    int id, iterations;
    const dcams_client *client;
    const blob *front;
    int ok, invalid; /* outcomes as expected */
} worker;

static int is_invalid_iteration(int i) { return i % 5 == 2; }

static void *worker_main(void *arg)
{
    worker *w = arg;
    int i;

    for (i = 0; i < w->iterations; i++) {
        char email[64];
        int invalid = is_invalid_iteration(i);
        person p;
        outcome o;

        snprintf(email, sizeof email, "thread%d-%d@example.com", w->id, i);
        person_init(&p, email, NULL);
        person_front_bytes(&p, w->front->data, w->front->len);
        p.c.fn = "Thread";
        p.c.dob = invalid ? "19900231" : "19800214";
        CALL(o, dcams_client_upsert(w->client, &p.c, NULL, &o.result, &o.error));
        if (invalid) {
            if (CHECK_CODE(o.code, DCAMS_ERR_VALIDATION, o.error) && CHECK_STR(o.error, "/field", "dob"))
                w->invalid++;
        } else {
            if (CHECK_CODE(o.code, DCAMS_OK, o.error) && CHECK_STR(o.result, "/target/email", email) &&
                CHECK_STR(o.result, "/type", "createCustomer"))
                w->ok++;
        }
        outcome_free(&o);
    }
    return NULL;
}

static void test_threads(int threads, int iterations)
{
    dcams_client *client = new_client(g_config);
    blob front = read_file(TD3_JPG);
    worker workers[16];
    int i, ok = 0, invalid = 0, want_invalid = 0, started = 0;
    long before = sb_requests();
    char email[64];

    section("threads sharing one client");
    if (threads > (int)(sizeof workers / sizeof workers[0]))
        threads = (int)(sizeof workers / sizeof workers[0]);
    for (i = 0; i < iterations; i++)
        want_invalid += is_invalid_iteration(i);
    for (i = 0; i < threads; i++) {
        workers[i].id = i;
        workers[i].iterations = iterations;
        workers[i].client = client;
        workers[i].front = &front;
        workers[i].ok = workers[i].invalid = 0;
        if (!CHECK(pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) == 0))
            break;
        started++;
    }
    for (i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        ok += workers[i].ok;
        invalid += workers[i].invalid;
    }
    printf("   %d threads x %d calls: %d created, %d rejected\n", threads, iterations, ok, invalid);
    CHECK(ok == threads * (iterations - want_invalid));
    CHECK(invalid == threads * want_invalid);
    CHECK(sb_requests() == before + threads * (iterations - want_invalid));
    snprintf(email, sizeof email, "thread%d-%d@example.com", threads - 1, iterations - 1);
    CHECK(sb_customer_status(email) == 200);
    snprintf(email, sizeof email, "thread0-%d@example.com", 2); /* an invalid iteration */
    CHECK(sb_customer_status(email) == 404);
    check_stored("thread0-0@example.com", "front", &front);
    free(front.data);
    dcams_client_free(client);
}

/* ---- main -------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: test_dcams --url URL --data DIR --header FILE [--quoted-url URL]\n"
                    "                  [--slow-url URL] [--quick | --platform]\n"
                    "       test_dcams --print-quoted-pass\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *data = NULL;
    int quick = 0, platform = 0, i;
    size_t n;
    http_reply r;

    setvbuf(stdout, NULL, _IOLBF, 0); /* keep stdout and stderr lines in order */
    if (argc == 2 && strcmp(argv[1], "--print-quoted-pass") == 0) {
        fputs(QUOTED_PASS, stdout);
        return 0;
    }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) {
            quick = 1;
        } else if (strcmp(a, "--platform") == 0) {
            platform = 1;
        } else if (i + 1 < argc && strcmp(a, "--url") == 0) {
            url = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--data") == 0) {
            data = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--header") == 0) {
            g_header = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--quoted-url") == 0) {
            g_quoted_url = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--slow-url") == 0) {
            g_slow_url = argv[++i];
        } else {
            return usage();
        }
    }
    if (url == NULL || data == NULL || g_header == NULL)
        return usage();
    n = strlen(url);
    if (n >= sizeof g_url || n < strlen(STORAGE_SUFFIX) ||
        strcmp(url + n - strlen(STORAGE_SUFFIX), STORAGE_SUFFIX) != 0) {
        fprintf(stderr, "test_dcams: %s is not a sandbox storage URL (.../v3/stable/api/storage)\n",
                url);
        return 2;
    }
    strcpy(g_url, url);
    memcpy(g_base, url, n - strlen(STORAGE_SUFFIX));
    g_base[n - strlen(STORAGE_SUFFIX)] = '\0';
    set_data_paths(data);
    /* Hermetic: nothing in the caller's environment (DCAMS_*, proxies) can
     * redirect or break these clients. */
    snprintf(g_config, sizeof g_config,
             "{\"environment\":false,\"endpoint\":\"%s\",\"user\":\"" SB_USER "\",\"pass\":\"" SB_PASS
             "\"}",
             g_url);

    if (sb_request("POST", "/_sandbox/reset", &r) != 0 || r.status != 200) {
        fprintf(stderr, "test_dcams: the sandbox at %s does not answer\n", g_base);
        http_reply_free(&r);
        return 2;
    }
    http_reply_free(&r);

    if (platform) {
        test_unauthorized(1);
    } else {
        test_version_and_code_names();
        test_json_getters();
        test_rule_handles();
        test_rule_services();
        test_rule_getters();
        test_rule_batch();
        test_header_coverage();
        test_null_arguments();
        test_utf8_and_json();
        test_validation();
        test_versioned_structs();
        test_upsert();
        test_unauthorized(0);
        test_not_found();
        test_scripted_answers();
        test_lifecycle();
        test_no_json();
        test_strtok_free();
        test_call_handle();
        test_hermetic();
        if (quick)
            test_threads(4, 10);
        else
            test_threads(8, 50);
    }

    return check_summary();
}
