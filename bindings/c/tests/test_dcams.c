/*
 * test_dcams.c — C tests of libdcams against the local sandbox.
 *
 *   test_dcams STORAGE_URL DATA_DIR [--quick | --platform]
 *
 * STORAGE_URL is what `dcams-sandbox` printed (".../v3/stable/api/storage");
 * DATA_DIR holds passport-td3.jpg, passport-td2.png, passport-td3.png,
 * passport-td2.jpg. --quick shrinks the threads test (for Valgrind);
 * --platform runs only the 401 check against a sandbox started with
 * --error-style platform. The last line printed is "N passed, M failed";
 * the exit status is 1 if anything failed.
 *
 * Result JSON is checked with strstr(): the library writes compact JSON
 * ("key":value, no spaces), which is all these checks rely on.
 */
#define _POSIX_C_SOURCE 200809L

#include "dcams.h"
#include "http_get.h"

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- tiny test harness ------------------------------------------------ */

static atomic_int g_passed, g_failed;

static int check_impl(int ok, const char *expr, const char *context, const char *file, int line)
{
    if (ok) {
        atomic_fetch_add(&g_passed, 1);
    } else {
        atomic_fetch_add(&g_failed, 1);
        fprintf(stderr, "FAIL %s:%d: %s\n", file, line, expr);
        if (context != NULL)
            fprintf(stderr, "     got: %.600s\n", context);
    }
    return ok;
}

/* CHECK(cond): counts a pass or a failure (thread-safe). */
#define CHECK(cond) check_impl(!!(cond), #cond, NULL, __FILE__, __LINE__)
/* CHECK_CTX(cond, text): as CHECK, printing `text` (e.g. a result JSON) on failure. */
#define CHECK_CTX(cond, text) check_impl(!!(cond), #cond, (text), __FILE__, __LINE__)

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
    snprintf(expr, sizeof expr, "result contains %.250s", needle);
    return check_impl(json != NULL && strstr(json, needle) != NULL, expr,
                      json != NULL ? json : "(NULL)", file, line);
}
/* CHECK_HAS(json, needle): `json` is not NULL and contains `needle`. */
#define CHECK_HAS(json, needle) check_has((json), (needle), __FILE__, __LINE__)

static void section(const char *name)
{
    printf("== %s\n", name);
    fflush(stdout);
}

/* ---- test environment ------------------------------------------------- */

#define SB_USER "sandbox-user"
#define SB_PASS "sandbox-pass"
#define STORAGE_SUFFIX "/v3/stable/api/storage"

static char g_url[512];       /* storage URL */
static char g_base[512];      /* g_url without STORAGE_SUFFIX */
static char g_config[1024];   /* client configuration JSON for the sandbox */
static max_align_t g_sentinel; /* its address marks "not written" out-parameters */
#define SENTINEL(type) ((type *)(void *)&g_sentinel)

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
    fclose(f);
    return b;
}

static int same_bytes(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
    return a != NULL && b != NULL && alen == blen && memcmp(a, b, alen) == 0;
}

/* ---- sandbox admin endpoints ------------------------------------------ */

static int sb_request(const char *method, const char *path, http_reply *out)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", g_base, path);
    return http_request(method, url, out);
}

/* Storage requests the sandbox has counted, or -1. */
static long sb_requests(void)
{
    http_reply r;
    const char *p;
    long n = -1;

    if (sb_request("GET", "/_sandbox/stats", &r) != 0)
        return -1;
    p = r.status == 200 ? strstr((const char *)r.body, "\"requests\":") : NULL;
    if (p != NULL)
        n = strtol(p + strlen("\"requests\":"), NULL, 10);
    http_reply_free(&r);
    return n;
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
    dcams_string_free(err);
    return client;
}

/* A customer with only the required members. */
static dcams_customer customer(const char *email, const char *front_path)
{
    dcams_customer c;
    memset(&c, 0, sizeof c);
    c.email = email;
    c.front.path = front_path;
    return c;
}

/* Upserts `c`, expecting `want`; the result must contain `needle` (if not NULL). */
static void upsert_expect(const dcams_client *client, const dcams_customer *c, dcams_code want,
                          const char *needle)
{
    char *result = NULL;
    dcams_code code = dcams_client_upsert(client, c, &result);
    CHECK_CODE(code, want, result);
    if (needle != NULL)
        CHECK_HAS(result, needle);
    dcams_string_free(result);
}

/* ---- tests ------------------------------------------------------------ */

static void test_version(void)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {DCAMS_OK, "DCAMS_OK"},
        {DCAMS_ERR_NULL_ARGUMENT, "DCAMS_ERR_NULL_ARGUMENT"},
        {DCAMS_ERR_INVALID_ARGUMENT, "DCAMS_ERR_INVALID_ARGUMENT"},
        {DCAMS_ERR_INVALID_UTF8, "DCAMS_ERR_INVALID_UTF8"},
        {DCAMS_ERR_INVALID_JSON, "DCAMS_ERR_INVALID_JSON"},
        {DCAMS_ERR_VALIDATION, "DCAMS_ERR_VALIDATION"},
        {DCAMS_ERR_CONFIG, "DCAMS_ERR_CONFIG"},
        {DCAMS_ERR_FILE, "DCAMS_ERR_FILE"},
        {DCAMS_ERR_BAD_REQUEST, "DCAMS_ERR_BAD_REQUEST"},
        {DCAMS_ERR_UNAUTHORIZED, "DCAMS_ERR_UNAUTHORIZED"},
        {DCAMS_ERR_FORBIDDEN, "DCAMS_ERR_FORBIDDEN"},
        {DCAMS_ERR_NOT_FOUND, "DCAMS_ERR_NOT_FOUND"},
        {DCAMS_ERR_PAYLOAD_TOO_LARGE, "DCAMS_ERR_PAYLOAD_TOO_LARGE"},
        {DCAMS_ERR_RATE_LIMITED, "DCAMS_ERR_RATE_LIMITED"},
        {DCAMS_ERR_SERVER_ERROR, "DCAMS_ERR_SERVER_ERROR"},
        {DCAMS_ERR_SERVICE_ERROR, "DCAMS_ERR_SERVICE_ERROR"},
        {DCAMS_ERR_HTTP, "DCAMS_ERR_HTTP"},
        {DCAMS_ERR_TRANSPORT, "DCAMS_ERR_TRANSPORT"},
        {DCAMS_ERR_TLS, "DCAMS_ERR_TLS"},
        {DCAMS_ERR_TIMEOUT, "DCAMS_ERR_TIMEOUT"},
        {DCAMS_ERR_BAD_RESPONSE, "DCAMS_ERR_BAD_RESPONSE"},
        {DCAMS_ERR_REDIRECT, "DCAMS_ERR_REDIRECT"},
        {DCAMS_ERR_INTERNAL, "DCAMS_ERR_INTERNAL"},
        {8, "DCAMS_ERR_UNKNOWN"},
        {-1, "DCAMS_ERR_UNKNOWN"},
        {12345, "DCAMS_ERR_UNKNOWN"},
    };
    size_t i;
    char version[32];

    section("version and code names");
    CHECK(strcmp(dcams_version(), DCAMS_VERSION) == 0);
    snprintf(version, sizeof version, "%d.%d.%d", DCAMS_VERSION_MAJOR, DCAMS_VERSION_MINOR,
             DCAMS_VERSION_PATCH);
    CHECK(strcmp(version, DCAMS_VERSION) == 0);
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK_CTX(strcmp(dcams_code_name(names[i].code), names[i].name) == 0,
                  dcams_code_name(names[i].code));
}

/* Every pointer argument of every export, one at a time: no request is sent. */
static void test_null_arguments(void)
{
    dcams_client *client = new_client(g_config);
    dcams_client *out_client;
    dcams_customer c = customer("null@example.com", TD3_JPG);
    dcams_images *images;
    char *result, *err;
    long before = sb_requests();

    section("NULL arguments");
    CHECK(before >= 0);

    /* dcams_client_new */
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new(g_config, NULL, &err), DCAMS_ERR_NULL_ARGUMENT, err);
    CHECK(err != SENTINEL(char) && err != NULL);
    if (err != SENTINEL(char)) {
        CHECK_HAS(err, "out_client");
        CHECK_HAS(err, "\"name\":\"DCAMS_ERR_NULL_ARGUMENT\"");
        CHECK_HAS(err, "\"code\":1");
        dcams_string_free(err);
    }
    CHECK_CODE(dcams_client_new(g_config, NULL, NULL), DCAMS_ERR_NULL_ARGUMENT, NULL);
    out_client = NULL;
    CHECK_CODE(dcams_client_new(g_config, &out_client, NULL), DCAMS_OK, NULL); /* out_error optional */
    CHECK(out_client != NULL);
    dcams_client_free(out_client);
    out_client = SENTINEL(dcams_client);
    err = SENTINEL(char);
    CHECK_CODE(dcams_client_new(g_config, &out_client, &err), DCAMS_OK, NULL);
    CHECK(out_client != NULL && out_client != SENTINEL(dcams_client));
    CHECK(err == NULL); /* set to NULL on success */
    dcams_client_free(out_client);

    /* dcams_client_call_json */
    result = NULL;
    CHECK_CODE(dcams_client_call_json(NULL, "{}", &result), DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "client");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_call_json(client, NULL, &result), DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "request_json");
    dcams_string_free(result);
    CHECK_CODE(dcams_client_call_json(client, "{}", NULL), DCAMS_ERR_NULL_ARGUMENT, NULL);

    /* dcams_client_upsert */
    result = NULL;
    CHECK_CODE(dcams_client_upsert(NULL, &c, &result), DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "client");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_upsert(client, NULL, &result), DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "customer");
    dcams_string_free(result);
    CHECK_CODE(dcams_client_upsert(client, &c, NULL), DCAMS_ERR_NULL_ARGUMENT, NULL);

    /* dcams_client_get_status */
    result = NULL;
    CHECK_CODE(dcams_client_get_status(NULL, "a@example.com", &result), DCAMS_ERR_NULL_ARGUMENT,
               result);
    CHECK_HAS(result, "client");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_get_status(client, NULL, &result), DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "email");
    dcams_string_free(result);
    CHECK_CODE(dcams_client_get_status(client, "a@example.com", NULL), DCAMS_ERR_NULL_ARGUMENT,
               NULL);

    /* dcams_client_update_status */
    result = NULL;
    CHECK_CODE(dcams_client_update_status(NULL, "a@example.com", DCAMS_STATUS_PASS, &result),
               DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "client");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_update_status(client, NULL, DCAMS_STATUS_PASS, &result),
               DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "email");
    dcams_string_free(result);
    CHECK_CODE(dcams_client_update_status(client, "a@example.com", DCAMS_STATUS_PASS, NULL),
               DCAMS_ERR_NULL_ARGUMENT, NULL);

    /* dcams_client_get_document_images (out_images NULL is allowed: see lifecycle) */
    result = NULL;
    images = SENTINEL(dcams_images);
    CHECK_CODE(dcams_client_get_document_images(NULL, "a@example.com", &images, &result),
               DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "client");
    CHECK(images == NULL);
    dcams_string_free(result);
    result = NULL;
    images = SENTINEL(dcams_images);
    CHECK_CODE(dcams_client_get_document_images(client, NULL, &images, &result),
               DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "email");
    CHECK(images == NULL);
    dcams_string_free(result);
    images = SENTINEL(dcams_images);
    CHECK_CODE(dcams_client_get_document_images(client, "a@example.com", &images, NULL),
               DCAMS_ERR_NULL_ARGUMENT, NULL);
    CHECK(images == NULL);

    /* dcams_client_save_document_images (back_path NULL is allowed: see lifecycle) */
    result = NULL;
    CHECK_CODE(dcams_client_save_document_images(NULL, "a@example.com", "/tmp/f", NULL, &result),
               DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "client");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_save_document_images(client, NULL, "/tmp/f", NULL, &result),
               DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "email");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_save_document_images(client, "a@example.com", NULL, NULL, &result),
               DCAMS_ERR_NULL_ARGUMENT, result);
    CHECK_HAS(result, "front_path");
    dcams_string_free(result);
    CHECK_CODE(dcams_client_save_document_images(client, "a@example.com", "/tmp/f", NULL, NULL),
               DCAMS_ERR_NULL_ARGUMENT, NULL);

    /* The free functions accept NULL. */
    dcams_string_free(NULL);
    dcams_images_free(NULL);
    dcams_client_free(NULL);
    CHECK(1);

    CHECK(sb_requests() == before);
    dcams_client_free(client);
}

static void test_utf8_and_json(void)
{
    dcams_client *client = new_client(g_config);
    dcams_client *out_client;
    dcams_customer c = customer("bad\xff\xfe@example.com", TD3_JPG);
    char *result = NULL, *err = NULL, config[1200];
    long before = sb_requests();

    section("invalid UTF-8 and JSON");
    CHECK(before >= 0);

    CHECK_CODE(dcams_client_call_json(client, "{\"target\":{\"email\":\"\xc3\x28\"}}", &result),
               DCAMS_ERR_INVALID_UTF8, result);
    CHECK_HAS(result, "request_json");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_upsert(client, &c, &result), DCAMS_ERR_INVALID_UTF8, result);
    CHECK_HAS(result, "customer.email");
    dcams_string_free(result);
    result = NULL;
    c = customer("ok@example.com", TD3_JPG);
    c.city = "Spr\xe9ngfield"; /* Latin-1, not UTF-8 */
    CHECK_CODE(dcams_client_upsert(client, &c, &result), DCAMS_ERR_INVALID_UTF8, result);
    CHECK_HAS(result, "customer.city");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_get_status(client, "x\x80@example.com", &result),
               DCAMS_ERR_INVALID_UTF8, result);
    dcams_string_free(result);
    result = NULL;

    CHECK_CODE(dcams_client_call_json(client, "{", &result), DCAMS_ERR_INVALID_JSON, result);
    CHECK_HAS(result, "\"code\":4");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_call_json(client, "[1,2]", &result), DCAMS_ERR_INVALID_JSON, result);
    dcams_string_free(result);
    result = NULL;

    /* dcams_client_new: bad UTF-8, bad JSON, unknown member, bad endpoint. */
    out_client = SENTINEL(dcams_client);
    CHECK_CODE(dcams_client_new("{\"user\":\"\xff\"}", &out_client, &err), DCAMS_ERR_INVALID_UTF8,
               err);
    CHECK(out_client == NULL);
    dcams_string_free(err);
    err = NULL;
    out_client = SENTINEL(dcams_client);
    CHECK_CODE(dcams_client_new("{", &out_client, &err), DCAMS_ERR_INVALID_JSON, err);
    CHECK(out_client == NULL);
    dcams_string_free(err);
    err = NULL;
    snprintf(config, sizeof config, "{\"endpoint\":\"%s\",\"colour\":\"blue\"}", g_url);
    out_client = SENTINEL(dcams_client);
    CHECK_CODE(dcams_client_new(config, &out_client, &err), DCAMS_ERR_INVALID_JSON, err);
    CHECK_HAS(err, "colour");
    CHECK(out_client == NULL);
    dcams_string_free(err);
    err = NULL;
    snprintf(config, sizeof config, "{\"endpoint\":\"%s\",\"timeout_ms\":\"soon\"}", g_url);
    CHECK_CODE(dcams_client_new(config, &out_client, &err), DCAMS_ERR_INVALID_JSON, err);
    dcams_string_free(err);
    err = NULL;
    out_client = SENTINEL(dcams_client);
    CHECK_CODE(dcams_client_new("{\"endpoint\":\"http://example.com/x\",\"user\":\"u\",\"pass\":\"p\"}",
                                &out_client, &err),
               DCAMS_ERR_CONFIG, err);
    CHECK_HAS(err, "\"name\":\"DCAMS_ERR_CONFIG\"");
    CHECK(out_client == NULL);
    CHECK_CTX(err == NULL || strstr(err, "\"p\"") == NULL, err); /* no password in errors */
    dcams_string_free(err);
    err = NULL;
    snprintf(config, sizeof config, "{\"endpoint\":\"%s\",\"timeout_ms\":0}", g_url);
    CHECK_CODE(dcams_client_new(config, &out_client, &err), DCAMS_ERR_CONFIG, err);
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
    dcams_customer c;
    char *result = NULL, config[1200];
    long before = sb_requests();
    size_t i;

    section("validation before sending");
    CHECK(before >= 0);

    c = customer("v@example.com", NULL); /* no front at all */
    upsert_expect(client, &c, DCAMS_ERR_VALIDATION, "\"field\":\"documents.front\"");

    for (i = 0; i < sizeof bad_dobs / sizeof bad_dobs[0]; i++) {
        c = customer("v@example.com", TD3_JPG);
        c.dob = bad_dobs[i];
        upsert_expect(client, &c, DCAMS_ERR_VALIDATION, "\"field\":\"dob\"");
    }
    for (i = 0; i < sizeof bad_emails / sizeof bad_emails[0]; i++) {
        c = customer(bad_emails[i], TD3_JPG);
        upsert_expect(client, &c, DCAMS_ERR_VALIDATION, "\"field\":\"email\"");
    }
    c = customer(NULL, TD3_JPG); /* email is a required member */
    upsert_expect(client, &c, DCAMS_ERR_VALIDATION, "\"field\":\"email\"");

    c = customer("v@example.com", NULL); /* data with len 0 */
    c.front.data = jpg.data;
    c.front.len = 0;
    upsert_expect(client, &c, DCAMS_ERR_VALIDATION, "\"field\":\"documents.front\"");

    c = customer("v@example.com", TD3_JPG); /* data and path */
    c.front.data = jpg.data;
    c.front.len = jpg.len;
    upsert_expect(client, &c, DCAMS_ERR_INVALID_ARGUMENT, "documents.front");

    c = customer("v@example.com", NULL); /* len without data */
    c.front.len = 10;
    upsert_expect(client, &c, DCAMS_ERR_INVALID_ARGUMENT, "documents.front");

    c = customer("v@example.com", NULL); /* bytes that are no image */
    c.front.data = not_image;
    c.front.len = sizeof not_image - 1;
    upsert_expect(client, &c, DCAMS_ERR_VALIDATION, "\"field\":\"documents.front\"");

    c = customer("v@example.com", TD3_JPG); /* back: no image */
    c.back.data = not_image;
    c.back.len = sizeof not_image - 1;
    upsert_expect(client, &c, DCAMS_ERR_VALIDATION, "\"field\":\"documents.back\"");

    c = customer("v@example.com", MISSING_JPG); /* missing file */
    upsert_expect(client, &c, DCAMS_ERR_FILE, "no-such-file.jpg");
    c = customer("v@example.com", TD3_JPG);
    c.back.path = MISSING_PNG;
    upsert_expect(client, &c, DCAMS_ERR_FILE, NULL);

    /* getStatus / updateStatus validate the e-mail and the status. */
    CHECK_CODE(dcams_client_get_status(client, "not-an-email", &result), DCAMS_ERR_VALIDATION,
               result);
    CHECK_HAS(result, "\"field\":\"email\"");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_update_status(client, "v@example.com", 0, &result),
               DCAMS_ERR_VALIDATION, result);
    CHECK_HAS(result, "\"field\":\"status\"");
    dcams_string_free(result);
    result = NULL;

    /* A client without credentials: DCAMS_ERR_CONFIG at call time, nothing sent. */
    snprintf(config, sizeof config, "{\"endpoint\":\"%s\"}", g_url);
    no_creds = new_client(config);
    c = customer("v@example.com", TD3_JPG);
    upsert_expect(no_creds, &c, DCAMS_ERR_CONFIG, "\"name\":\"DCAMS_ERR_CONFIG\"");
    dcams_client_free(no_creds);

    CHECK(sb_requests() == before);
    free(jpg.data);
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
    dcams_customer c;
    http_reply r;
    long before = sb_requests();

    section("upsert by paths and by bytes");
    CHECK(before >= 0);

    c = customer("paths@example.com", TD3_JPG);
    c.back.path = TD2_PNG;
    c.fn = "Ada";
    c.ln = "Example";
    c.addr = "1 Test Way";
    c.city = "Springfield";
    c.state = "IL";
    c.zip = "62701";
    c.dob = "19800214";
    c.phone = "2175550100";
    c.reference = "R-C-1";
    upsert_expect(client, &c, DCAMS_OK, "\"type\":\"createCustomer\"");
    CHECK(sb_requests() == before + 1);
    check_stored("paths@example.com", "front", &td3_jpg);
    check_stored("paths@example.com", "back", &td2_png);
    upsert_expect(client, &c, DCAMS_OK, "\"type\":\"updateCustomer\"");
    upsert_expect(client, &c, DCAMS_OK, "\"status\":\"PENDING\"");
    upsert_expect(client, &c, DCAMS_OK, "\"reference\":\"R-C-1\"");
    CHECK(sb_requests() == before + 4);

    /* The same customer, new images from memory: replaced byte for byte. */
    c.front.path = NULL;
    c.front.data = td3_png.data;
    c.front.len = td3_png.len;
    c.back.path = NULL;
    c.back.data = td2_jpg.data;
    c.back.len = td2_jpg.len;
    upsert_expect(client, &c, DCAMS_OK, "\"type\":\"updateCustomer\"");
    check_stored("paths@example.com", "front", &td3_png);
    check_stored("paths@example.com", "back", &td2_jpg);

    /* A new customer from bytes, front only. */
    c = customer("bytes@example.com", NULL);
    c.front.data = td2_jpg.data;
    c.front.len = td2_jpg.len;
    upsert_expect(client, &c, DCAMS_OK, "\"type\":\"createCustomer\"");
    check_stored("bytes@example.com", "front", &td2_jpg);
    CHECK(sb_document("bytes@example.com", "back", &r) == 0 && r.status == 404);
    http_reply_free(&r);

    /* The e-mail is sent byte for byte (no case folding, '+' kept). */
    c = customer(jane, TD3_JPG);
    upsert_expect(client, &c, DCAMS_OK, "\"email\":\"Jane.Doe+kyc@Example.COM\"");
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
    dcams_customer c = customer("auth@example.com", TD3_JPG);
    char config[1200], *result = NULL;
    long before = sb_requests();

    section(platform ? "401, platform error style" : "401 and 404");
    snprintf(config, sizeof config,
             "{\"endpoint\":\"%s\",\"user\":\"" SB_USER "\",\"pass\":\"wrong-pass-123\"}", g_url);
    client = new_client(config);
    CHECK_CODE(dcams_client_upsert(client, &c, &result), DCAMS_ERR_UNAUTHORIZED, result);
    CHECK_HAS(result, "\"http_status\":401");
    CHECK_HAS(result, "\"name\":\"DCAMS_ERR_UNAUTHORIZED\"");
    CHECK_HAS(result, "\"retryable\":false");
    if (platform) {
        CHECK_HAS(result, "\"service_code\":\"AUTH0\"");
        CHECK_HAS(result, "\"service_message\":\"Bad Login\"");
    } else {
        CHECK_HAS(result, "\"service_message\":\"Either your username or password is incorrect\"");
    }
    CHECK_CTX(result != NULL && strstr(result, "wrong-pass-123") == NULL, result);
    CHECK(sb_requests() == before + 1);
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_get_status(client, "auth@example.com", &result),
               DCAMS_ERR_UNAUTHORIZED, result);
    dcams_string_free(result);
    dcams_client_free(client);
}

static void test_not_found(void)
{
    dcams_client *client = new_client(g_config);
    dcams_images *images = SENTINEL(dcams_images);
    char *result = NULL;

    CHECK_CODE(dcams_client_get_status(client, "nobody@example.com", &result),
               DCAMS_ERR_NOT_FOUND, result);
    CHECK_HAS(result, "\"http_status\":404");
    CHECK_HAS(result, "The email address was not found");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_get_document_images(client, "nobody@example.com", &images, &result),
               DCAMS_ERR_NOT_FOUND, result);
    CHECK(images == NULL);
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_update_status(client, "nobody@example.com", DCAMS_STATUS_FAIL, &result),
               DCAMS_ERR_NOT_FOUND, result);
    dcams_string_free(result);
    dcams_client_free(client);
}

/* The service's own 400s (both messages) and a gateway page: the client's
 * validation prevents them, so the sandbox is scripted to answer them. */
static void test_scripted_answers(void)
{
    static const struct {
        const char *script, *code_name, *want;
        dcams_code code;
    } cases[] = {
        {"{\"status\":400,\"body\":\"{\\\"result\\\":\\\"Error\\\",\\\"message\\\":"
         "\\\"The email address is invalid\\\"}\"}",
         "DCAMS_ERR_BAD_REQUEST", "\"service_message\":\"The email address is invalid\"", DCAMS_ERR_BAD_REQUEST},
        {"{\"status\":400,\"body\":\"{\\\"result\\\":\\\"Error\\\",\\\"message\\\":"
         "\\\"Missing a required input\\\"}\"}",
         "DCAMS_ERR_BAD_REQUEST", "\"service_message\":\"Missing a required input\"", DCAMS_ERR_BAD_REQUEST},
        {"{\"status\":413,\"content_type\":\"text/html\",\"body\":\"<html>Request Entity Too Large</html>\"}",
         "DCAMS_ERR_PAYLOAD_TOO_LARGE", "text/html", DCAMS_ERR_PAYLOAD_TOO_LARGE},
    };
    dcams_client *client = new_client(g_config);
    dcams_customer c = customer("scripted@example.com", TD3_JPG);
    size_t i;

    section("scripted 400s and a gateway page");
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[1024], *result = NULL;
        http_reply r;
        snprintf(url, sizeof url, "%s/_sandbox/script", g_base);
        if (!CHECK(http_request_body("POST", url, cases[i].script, &r) == 0 && r.status == 200))
            continue;
        http_reply_free(&r);
        CHECK_CODE(dcams_client_upsert(client, &c, &result), cases[i].code, result);
        CHECK_HAS(result, cases[i].code_name);
        CHECK_HAS(result, cases[i].want);
        dcams_string_free(result);
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

static void test_lifecycle(void)
{
    static const char *email = "life@example.com";
    dcams_client *client = new_client(g_config);
    blob front = read_file(TD3_JPG);
    blob back = read_file(TD2_PNG);
    dcams_customer c = customer(email, TD3_JPG);
    dcams_images *images = NULL;
    char *result = NULL, dir[] = "/tmp/dcams-c-test-XXXXXX", dir2[] = "/tmp/dcams-c-test-XXXXXX",
         front_out[128], back_out[128], want[64];
    long before;

    section("lifecycle: status, images, updateStatus");
    c.back.path = TD2_PNG;
    c.fn = "Life";
    c.dob = "19700101";
    upsert_expect(client, &c, DCAMS_OK, "\"type\":\"createCustomer\"");

    CHECK_CODE(dcams_client_get_status(client, email, &result), DCAMS_OK, result);
    CHECK_HAS(result, "\"status\":\"PENDING\"");
    CHECK_HAS(result, "\"result\":\"Success\"");
    dcams_string_free(result);
    result = NULL;

    CHECK_CODE(dcams_client_get_document_images(client, email, &images, &result), DCAMS_OK, result);
    snprintf(want, sizeof want, "\"front_bytes\":%lu", (unsigned long)front.len);
    CHECK_HAS(result, want);
    snprintf(want, sizeof want, "\"back_bytes\":%lu", (unsigned long)back.len);
    CHECK_HAS(result, want);
    CHECK(images != NULL);
    if (images != NULL) {
        CHECK(same_bytes(images->front, images->front_len, front.data, front.len));
        CHECK(same_bytes(images->back, images->back_len, back.data, back.len));
    }
    dcams_images_free(images);
    dcams_string_free(result);
    result = NULL;

    /* out_images may be NULL: only the summary. */
    CHECK_CODE(dcams_client_get_document_images(client, email, NULL, &result), DCAMS_OK, result);
    CHECK_HAS(result, "\"status\":\"PENDING\"");
    dcams_string_free(result);
    result = NULL;

    /* save_document_images writes the same bytes to files. */
    if (CHECK(mkdtemp(dir) != NULL)) {
        snprintf(front_out, sizeof front_out, "%s/front.jpg", dir);
        snprintf(back_out, sizeof back_out, "%s/back.png", dir);
        CHECK_CODE(dcams_client_save_document_images(client, email, front_out, back_out, &result),
                   DCAMS_OK, result);
        dcams_string_free(result);
        result = NULL;
        check_file(front_out, &front);
        check_file(back_out, &back);
        remove(front_out);
        remove(back_out);
        snprintf(front_out, sizeof front_out, "%s/no-such-dir/front.jpg", dir);
        CHECK_CODE(dcams_client_save_document_images(client, email, front_out, NULL, &result),
                   DCAMS_ERR_FILE, result);
        dcams_string_free(result);
        result = NULL;
        rmdir(dir);
    }

    CHECK_CODE(dcams_client_update_status(client, email, DCAMS_STATUS_PASS, &result), DCAMS_OK,
               result);
    CHECK_HAS(result, "\"status\":\"PASS\"");
    dcams_string_free(result);
    result = NULL;
    CHECK_CODE(dcams_client_get_status(client, email, &result), DCAMS_OK, result);
    CHECK_HAS(result, "\"status\":\"PASS\"");
    dcams_string_free(result);
    result = NULL;

    /* An update keeps the review status. */
    upsert_expect(client, &c, DCAMS_OK, "\"type\":\"updateCustomer\"");
    CHECK_CODE(dcams_client_get_status(client, email, &result), DCAMS_OK, result);
    CHECK_HAS(result, "\"status\":\"PASS\"");
    dcams_string_free(result);
    result = NULL;

    before = sb_requests();
    CHECK_CODE(dcams_client_update_status(client, email, 7, &result), DCAMS_ERR_VALIDATION, result);
    CHECK_HAS(result, "\"field\":\"status\"");
    dcams_string_free(result);
    result = NULL;
    CHECK(sb_requests() == before);

    CHECK_CODE(dcams_client_update_status(client, email, DCAMS_STATUS_FAIL, &result), DCAMS_OK,
               result);
    CHECK_HAS(result, "\"status\":\"FAIL\"");
    dcams_string_free(result);
    result = NULL;

    /* A customer without a back image: NULL/0 in memory, no back file written. */
    c = customer("front-only@example.com", TD3_JPG);
    upsert_expect(client, &c, DCAMS_OK, "\"type\":\"createCustomer\"");
    images = NULL;
    CHECK_CODE(dcams_client_get_document_images(client, c.email, &images, &result), DCAMS_OK,
               result);
    CHECK_HAS(result, "\"back_bytes\":0");
    CHECK(images != NULL && images->back == NULL && images->back_len == 0);
    CHECK(images != NULL && same_bytes(images->front, images->front_len, front.data, front.len));
    dcams_images_free(images);
    dcams_string_free(result);
    result = NULL;
    if (CHECK(mkdtemp(dir2) != NULL)) {
        snprintf(front_out, sizeof front_out, "%s/front.jpg", dir2);
        snprintf(back_out, sizeof back_out, "%s/back.png", dir2);
        FILE *stale = fopen(back_out, "wb"); /* a back image left from an earlier customer */
        if (CHECK(stale != NULL)) {
            fputs("stale", stale);
            fclose(stale);
        }
        CHECK_CODE(dcams_client_save_document_images(client, c.email, front_out, back_out, &result),
                   DCAMS_OK, result);
        check_file(front_out, &front);
        CHECK(access(back_out, F_OK) != 0); /* no back stored: the stale file is removed */
        remove(front_out);
        remove(back_out);
        rmdir(dir2);
    }
    dcams_string_free(result);

    free(front.data);
    free(back.data);
    dcams_client_free(client);
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
        char email[64], needle[96], *result = NULL;
        int invalid = is_invalid_iteration(i);
        dcams_customer c;
        dcams_code code;

        snprintf(email, sizeof email, "thread%d-%d@example.com", w->id, i);
        snprintf(needle, sizeof needle, "\"email\":\"%s\"", email);
        c = customer(email, NULL);
        c.front.data = w->front->data;
        c.front.len = w->front->len;
        c.fn = "Thread";
        c.dob = invalid ? "19900231" : "19800214";
        code = dcams_client_upsert(w->client, &c, &result);
        if (invalid) {
            if (CHECK_CODE(code, DCAMS_ERR_VALIDATION, result) && CHECK_HAS(result, "\"field\":\"dob\""))
                w->invalid++;
        } else {
            if (CHECK_CODE(code, DCAMS_OK, result) && CHECK_HAS(result, needle) &&
                CHECK_HAS(result, "\"type\":\"createCustomer\""))
                w->ok++;
        }
        dcams_string_free(result);
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

static void usage(void)
{
    fprintf(stderr, "usage: test_dcams STORAGE_URL DATA_DIR [--quick | --platform]\n");
}

int main(int argc, char **argv)
{
    static const char *env[] = {"DCAMS_ENDPOINT", "DCAMS_USER", "DCAMS_PASS", "DCAMS_TEST_KEY",
                                "DCAMS_CONNECT_TIMEOUT_MS", "DCAMS_TIMEOUT_MS"};
    int quick = 0, platform = 0, i;
    size_t n;
    http_reply r;

    setvbuf(stdout, NULL, _IOLBF, 0); /* keep stdout and stderr lines in order */
    if (argc < 3 || argc > 4) {
        usage();
        return 2;
    }
    if (argc == 4) {
        if (strcmp(argv[3], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[3], "--platform") == 0) {
            platform = 1;
        } else {
            usage();
            return 2;
        }
    }
    n = strlen(argv[1]);
    if (n >= sizeof g_url || n < strlen(STORAGE_SUFFIX) ||
        strcmp(argv[1] + n - strlen(STORAGE_SUFFIX), STORAGE_SUFFIX) != 0) {
        fprintf(stderr, "test_dcams: %s is not a sandbox storage URL (.../v3/stable/api/storage)\n",
                argv[1]);
        return 2;
    }
    strcpy(g_url, argv[1]);
    memcpy(g_base, argv[1], n - strlen(STORAGE_SUFFIX));
    g_base[n - strlen(STORAGE_SUFFIX)] = '\0';
    set_data_paths(argv[2]);
    snprintf(g_config, sizeof g_config,
             "{\"endpoint\":\"%s\",\"user\":\"" SB_USER "\",\"pass\":\"" SB_PASS "\"}", g_url);
    /* The tests set everything explicitly: no DCAMS_* variable may leak in. */
    for (i = 0; i < (int)(sizeof env / sizeof env[0]); i++)
        unsetenv(env[i]);

    if (sb_request("POST", "/_sandbox/reset", &r) != 0 || r.status != 200) {
        fprintf(stderr, "test_dcams: the sandbox at %s does not answer\n", g_base);
        http_reply_free(&r);
        return 2;
    }
    http_reply_free(&r);

    if (platform) {
        test_unauthorized(1);
    } else {
        test_version();
        test_null_arguments();
        test_utf8_and_json();
        test_validation();
        test_upsert();
        test_unauthorized(0);
        test_not_found();
        test_scripted_answers();
        test_lifecycle();
        if (quick)
            test_threads(4, 10);
        else
            test_threads(8, 50);
    }

    printf("%d passed, %d failed\n", atomic_load(&g_passed), atomic_load(&g_failed));
    fflush(stdout); /* before any exit-time leak report (LeakSanitizer ends with _exit) */
    return atomic_load(&g_failed) == 0 ? 0 : 1;
}
