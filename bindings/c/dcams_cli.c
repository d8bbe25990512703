/*
 * dcams_cli.c — a small command-line client for DCAMS, written against the
 * libdcams C API (include/dcams.h). Plain C11, no dependencies.
 *
 *   dcams_cli upsert     --email E --front PATH [--back PATH] [--fn X] [--ln X]
 *                        [--addr X] [--city X] [--state X] [--zip X]
 *                        [--dob YYYYMMDD] [--phone X] [--reference R]
 *   dcams_cli status     --email E
 *   dcams_cli images     --email E --out-front PATH [--out-back PATH]
 *   dcams_cli set-status --email E --status PASS|PENDING|FAIL
 *   dcams_cli check      (configuration, network, TLS and credentials; stores nothing)
 *
 * Endpoint and credentials come from the environment: DCAMS_ENDPOINT
 * (default https://dcams.app/v3/stable/api/storage), DCAMS_USER, DCAMS_PASS,
 * and optionally DCAMS_TEST_KEY, DCAMS_CONNECT_TIMEOUT_MS, DCAMS_TIMEOUT_MS,
 * DCAMS_RETRIES, DCAMS_CA_FILE, DCAMS_CA_BUNDLE and the usual proxy variables.
 *
 * Every command also takes --timeout-ms MS: that call's own deadline
 * (retries included), set on a dcams_call handle, instead of the client's;
 * and --log LEVEL (error, warn, info, debug, trace): the library's log
 * events at that level on stderr, through dcams_config_set_log_callback.
 *
 * On success the reply JSON goes to stdout (one line, for scripts) and a
 * one-line summary read from it with dcams_json_get_string/_int64 (no JSON
 * parser) to stderr; the exit status is 0. On failure the error JSON and a
 * line with the code's name, message and field go to stderr; the exit
 * status is 1 for a usage error, 2 for an error reported by libdcams.
 * `check` prints its report JSON on stdout and one line per step on
 * stderr; it exits 0 when every step passed, 2 (after the hint) otherwise.
 */
#include "dcams.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_LIBRARY = 2 };

/* Every option any command takes; NULL = not given. */
typedef struct options {
    const char *email, *front, *back, *fn, *ln, *addr, *city, *state, *zip, *dob, *phone,
        *reference, *out_front, *out_back, *status, *timeout_ms, *log;
} options;

/* One accepted "--name VALUE" and where its value goes. */
typedef struct option_slot {
    const char *name;
    const char **value;
} option_slot;

#define MAX_SLOTS 17

static const char usage_text[] =
    "usage: dcams_cli COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  upsert      create or update a customer and upload the document images\n"
    "              --email E --front PATH [--back PATH] [--fn X] [--ln X] [--addr X]\n"
    "              [--city X] [--state X] [--zip X] [--dob YYYYMMDD] [--phone X]\n"
    "              [--reference R]\n"
    "  status      show a customer's review status and stored attributes\n"
    "              --email E\n"
    "  images      download the stored document images to files\n"
    "              --email E --out-front PATH [--out-back PATH]\n"
    "  set-status  set the review status\n"
    "              --email E --status PASS|PENDING|FAIL\n"
    "  check       check configuration, connection, TLS and credentials (stores nothing)\n"
    "\n"
    "every command also takes --timeout-ms MS: this call's deadline, retries included;\n"
    "and --log LEVEL (error, warn, info, debug, trace): libdcams's log on stderr.\n"
    "options may also be written --name=VALUE. Other flags: --help, --version.\n"
    "\n"
    "environment: DCAMS_ENDPOINT (default https://dcams.app/v3/stable/api/storage),\n"
    "  DCAMS_USER, DCAMS_PASS (required), DCAMS_TEST_KEY, DCAMS_CONNECT_TIMEOUT_MS,\n"
    "  DCAMS_TIMEOUT_MS, DCAMS_RETRIES, DCAMS_CA_FILE, DCAMS_CA_BUNDLE, and the usual\n"
    "  https_proxy/HTTPS_PROXY, all_proxy/ALL_PROXY, no_proxy/NO_PROXY.\n"
    "\n"
    "prints the reply JSON on stdout and a summary on stderr (exit 0); on failure\n"
    "the error JSON and its message on stderr, exit 1 for a usage error, 2 for an\n"
    "error from libdcams. check: its report JSON on stdout, each step on stderr,\n"
    "exit 0 when all passed, else 2 after a hint.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("dcams_cli: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(run dcams_cli --help for usage)\n", stderr);
    return EXIT_USAGE;
}

/* Fills the options in `slots` from argv[first..]. Returns 0, -1 for --help, or EXIT_USAGE. */
static int parse_options(int argc, char **argv, int first, const option_slot *slots, size_t n)
{
    int i;
    size_t s;

    for (i = first; i < argc; i++) {
        const char *arg = argv[i], *value, *eq;
        size_t name_len;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return -1;
        if (strncmp(arg, "--", 2) != 0)
            return usage_error("unexpected argument '%s'", arg);
        arg += 2;
        eq = strchr(arg, '=');
        name_len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        for (s = 0; s < n; s++)
            if (strlen(slots[s].name) == name_len && strncmp(slots[s].name, arg, name_len) == 0)
                break;
        if (s == n)
            return usage_error("unknown option '%s' for this command", argv[i]);
        if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return usage_error("option '%s' needs a value", argv[i]);
        }
        *slots[s].value = value;
    }
    return 0;
}

static int require(const char *value, const char *name)
{
    return value != NULL ? 0 : usage_error("missing required option --%s", name);
}

/* Case-insensitive ASCII comparison. */
static int same_word(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char x = (*a >= 'a' && *a <= 'z') ? (char)(*a - 'a' + 'A') : *a;
        char y = (*b >= 'a' && *b <= 'z') ? (char)(*b - 'a' + 'A') : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int parse_status(const char *s)
{
    if (same_word(s, "PASS"))
        return DCAMS_STATUS_PASS;
    if (same_word(s, "PENDING"))
        return DCAMS_STATUS_PENDING;
    if (same_word(s, "FAIL"))
        return DCAMS_STATUS_FAIL;
    return 0;
}

/* The string at `pointer` (e.g. "/status") of a reply or error JSON, or
 * NULL when it is absent or not a string (or `json` is NULL). Free it with
 * dcams_string_free. */
static char *json_string(const char *json, const char *pointer)
{
    char *value = NULL;
    if (dcams_json_get_string(json, pointer, &value, NULL) != DCAMS_OK)
        return NULL;
    return value;
}

/* Prints "dcams_cli: LABEL VALUE" to stderr for each (label, pointer) pair
 * present in `json`; for a summary line of a reply. */
static void summarise(const char *json, const char *const *pairs, size_t n)
{
    size_t i;
    fputs("dcams_cli:", stderr);
    for (i = 0; i + 1 < n; i += 2) {
        char *value = json_string(json, pairs[i + 1]);
        if (value != NULL)
            fprintf(stderr, " %s %s", pairs[i], value);
        dcams_string_free(value);
    }
    fputc('\n', stderr);
}

/* The decoded size of one side in a getDocumentImages result, or -1. */
static long long image_bytes(const char *json, const char *pointer)
{
    int64_t n;
    return dcams_json_get_int64(json, pointer, &n, NULL) == DCAMS_OK ? (long long)n : -1;
}

/* Prints the error JSON, then a line with the code's name and what the
 * error JSON says (message, field, attempts), to stderr. */
static void report_error(dcams_code code, const char *error)
{
    char *message = json_string(error, "/message"), *field = json_string(error, "/field");
    int64_t attempts = 0;

    fprintf(stderr, "%s\n", error != NULL ? error : "{}");
    fprintf(stderr, "dcams_cli: %s (%d)", dcams_code_name(code), (int)code);
    if (message != NULL)
        fprintf(stderr, ": %s", message);
    if (field != NULL)
        fprintf(stderr, " (field %s)", field);
    if (dcams_json_get_int64(error, "/attempts", &attempts, NULL) == DCAMS_OK && attempts > 1)
        fprintf(stderr, " after %lld attempts", (long long)attempts);
    fputc('\n', stderr);
    dcams_string_free(message);
    dcams_string_free(field);
}

/* The log callback: one line per event on stderr. It runs on the thread
 * making the call, before the call returns; it must not call libdcams on
 * the same client. */
static void log_line(void *userdata, int32_t level, const char *target, const char *message,
                     size_t message_len)
{
    static const char *const names[] = {"?", "error", "warn", "info", "debug", "trace"};
    (void)userdata;
    fprintf(stderr, "dcams: %-5s %s %.*s\n", names[level >= 1 && level <= 5 ? level : 0], target,
            (int)message_len, message);
}

static int parse_log_level(const char *s)
{
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    int i;
    for (i = 0; i < 5; i++)
        if (same_word(s, names[i]))
            return DCAMS_LOG_ERROR + i;
    return 0;
}

/* A client from the environment (DCAMS_*), logging to stderr at `log_level`
 * when it is not 0. */
static dcams_code new_client(int log_level, dcams_client **out, char **error)
{
    dcams_config *config = NULL;
    dcams_code code;
    if (log_level == 0)
        return dcams_client_new(NULL, out, error);
    code = dcams_config_new(&config, error);
    if (code == DCAMS_OK)
        code = dcams_config_set_log_callback(config, log_line, NULL, log_level, error);
    if (code == DCAMS_OK)
        code = dcams_client_new_from_config(config, out, error);
    dcams_config_free(config);
    return code;
}

/* Prints a check report: a line per step, then the hint; returns whether it passed. */
static int print_check(const char *report)
{
    int32_t ok = 0;
    int i;
    for (i = 0; i < 6; i++) {
        char pointer[32];
        char *step, *outcome, *detail;
        int64_t ms = 0;
        snprintf(pointer, sizeof pointer, "/steps/%d/step", i);
        step = json_string(report, pointer);
        snprintf(pointer, sizeof pointer, "/steps/%d/outcome", i);
        outcome = json_string(report, pointer);
        snprintf(pointer, sizeof pointer, "/steps/%d/detail", i);
        detail = json_string(report, pointer);
        snprintf(pointer, sizeof pointer, "/steps/%d/ms", i);
        (void)dcams_json_get_int64(report, pointer, &ms, NULL);
        if (step != NULL)
            fprintf(stderr, "dcams_cli: %-8s %-12s %6lld ms  %s\n", outcome ? outcome : "?", step,
                    (long long)ms, detail ? detail : "");
        dcams_string_free(step);
        dcams_string_free(outcome);
        dcams_string_free(detail);
    }
    (void)dcams_json_get_bool(report, "/ok", &ok, NULL);
    if (!ok) {
        char *name = json_string(report, "/name"), *hint = json_string(report, "/hint");
        fprintf(stderr, "dcams_cli: check failed (%s): %s\n", name ? name : "?", hint ? hint : "");
        dcams_string_free(name);
        dcams_string_free(hint);
    }
    return ok;
}

/* Parses --timeout-ms: a whole number of milliseconds > 0. */
static int parse_timeout(const char *s, uint64_t *out)
{
    char *end = NULL;
    unsigned long long n;
    if (*s < '0' || *s > '9')
        return -1;
    n = strtoull(s, &end, 10);
    if (*end != '\0' || n == 0)
        return -1;
    *out = (uint64_t)n;
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    option_slot slots[MAX_SLOTS];
    size_t n = 0;
    const char *cmd;
    dcams_client *client = NULL;
    dcams_call *call = NULL;
    char *result = NULL, *error = NULL;
    dcams_code code;
    uint64_t timeout_ms = 0;
    int rc, status = 0, log_level = 0, is_check;

    memset(&o, 0, sizeof o);
    if (argc < 2)
        return usage_error("%s", "no command given");
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("dcams_cli (libdcams %s)\n", dcams_version());
        return EXIT_OK;
    }

    /* Which options each command accepts. */
#define SLOT(opt_name, member) (slots[n].name = (opt_name), slots[n++].value = &o.member)
    is_check = strcmp(cmd, "check") == 0;
    if (!is_check)
        SLOT("email", email);
    SLOT("timeout-ms", timeout_ms);
    SLOT("log", log);
    if (is_check) {
        /* no other option */
    } else if (strcmp(cmd, "upsert") == 0) {
        SLOT("front", front);
        SLOT("back", back);
        SLOT("fn", fn);
        SLOT("ln", ln);
        SLOT("addr", addr);
        SLOT("city", city);
        SLOT("state", state);
        SLOT("zip", zip);
        SLOT("dob", dob);
        SLOT("phone", phone);
        SLOT("reference", reference);
    } else if (strcmp(cmd, "images") == 0) {
        SLOT("out-front", out_front);
        SLOT("out-back", out_back);
    } else if (strcmp(cmd, "set-status") == 0) {
        SLOT("status", status);
    } else if (strcmp(cmd, "status") != 0) {
        return usage_error("unknown command '%s'", cmd);
    }
#undef SLOT

    rc = parse_options(argc, argv, 2, slots, n);
    if (rc == -1) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (rc != 0 || (!is_check && require(o.email, "email") != 0))
        return EXIT_USAGE;
    if (strcmp(cmd, "upsert") == 0 && require(o.front, "front") != 0)
        return EXIT_USAGE;
    if (strcmp(cmd, "images") == 0 && require(o.out_front, "out-front") != 0)
        return EXIT_USAGE;
    if (strcmp(cmd, "set-status") == 0) {
        if (require(o.status, "status") != 0)
            return EXIT_USAGE;
        status = parse_status(o.status);
        if (status == 0)
            return usage_error("--status must be PASS, PENDING or FAIL, not '%s'", o.status);
    }
    if (o.timeout_ms != NULL && parse_timeout(o.timeout_ms, &timeout_ms) != 0)
        return usage_error("--timeout-ms must be a whole number of milliseconds > 0, not '%s'",
                           o.timeout_ms);
    if (o.log != NULL && (log_level = parse_log_level(o.log)) == 0)
        return usage_error("--log must be error, warn, info, debug or trace, not '%s'", o.log);

    /* NULL configuration: endpoint and credentials come from DCAMS_* variables.
     * Every call below writes `result` only on DCAMS_OK and `error` only on
     * failure, so exactly one of them is non-NULL afterwards. */
    code = new_client(log_level, &client, &error);
    if (code == DCAMS_OK && timeout_ms > 0) {
        code = dcams_call_new(&call, &error);
        if (code == DCAMS_OK)
            code = dcams_call_set_timeout_ms(call, timeout_ms, &error);
    }
    if (code == DCAMS_OK) {
        if (is_check) {
            code = dcams_client_check(client, call, &result, &error);
        } else if (strcmp(cmd, "upsert") == 0) {
            dcams_document front = DCAMS_DOCUMENT_INIT, back = DCAMS_DOCUMENT_INIT;
            dcams_customer c = DCAMS_CUSTOMER_INIT;
            front.path = o.front; /* or .data/.len for bytes in memory */
            back.path = o.back;
            c.email = o.email;
            c.fn = o.fn;
            c.ln = o.ln;
            c.addr = o.addr;
            c.city = o.city;
            c.state = o.state;
            c.zip = o.zip;
            c.dob = o.dob;
            c.phone = o.phone;
            c.reference = o.reference;
            c.front = &front;
            c.back = o.back != NULL ? &back : NULL;
            code = dcams_client_upsert(client, &c, call, &result, &error);
        } else if (strcmp(cmd, "status") == 0) {
            code = dcams_client_get_status(client, o.email, call, &result, &error);
        } else if (strcmp(cmd, "images") == 0) {
            code = dcams_client_save_document_images(client, o.email, o.out_front, o.out_back, call,
                                                      &result, &error);
        } else {
            code = dcams_client_update_status(client, o.email, status, call, &result, &error);
        }
    }

    if (code == DCAMS_OK && is_check) {
        printf("%s\n", result);
        fflush(stdout);
        rc = print_check(result) ? EXIT_OK : EXIT_LIBRARY;
    } else if (code == DCAMS_OK) {
        printf("%s\n", result);
        fflush(stdout); /* the JSON before the summary, also through a pipe */
        if (strcmp(cmd, "upsert") == 0) {
            static const char *const pairs[] = {"type", "/type", "status", "/status",
                                                "reference", "/reference"};
            summarise(result, pairs, sizeof pairs / sizeof pairs[0]);
        } else if (strcmp(cmd, "status") == 0) {
            static const char *const pairs[] = {"status", "/status", "reference", "/reference"};
            summarise(result, pairs, sizeof pairs / sizeof pairs[0]);
        } else if (strcmp(cmd, "images") == 0) {
            long long back_bytes = image_bytes(result, "/target/documents/back_bytes");
            fprintf(stderr, "dcams_cli: front %lld bytes to %s",
                    image_bytes(result, "/target/documents/front_bytes"), o.out_front);
            if (back_bytes > 0 && o.out_back != NULL)
                fprintf(stderr, ", back %lld bytes to %s", back_bytes, o.out_back);
            else if (back_bytes == 0)
                fputs(", no back image stored", stderr);
            fputc('\n', stderr);
        } else {
            static const char *const pairs[] = {"status now", "/target/status"};
            summarise(result, pairs, sizeof pairs / sizeof pairs[0]);
        }
        rc = EXIT_OK;
    } else {
        report_error(code, error);
        rc = EXIT_LIBRARY;
    }
    dcams_string_free(result);
    dcams_string_free(error);
    dcams_call_free(call);
    dcams_client_free(client);
    return rc;
}
