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
 *
 * Endpoint and credentials come from the environment: DCAMS_ENDPOINT
 * (default https://dcams.app/v3/stable/api/storage), DCAMS_USER, DCAMS_PASS,
 * and optionally DCAMS_TEST_KEY, DCAMS_CONNECT_TIMEOUT_MS, DCAMS_TIMEOUT_MS,
 * DCAMS_RETRIES, DCAMS_CA_FILE, DCAMS_CA_BUNDLE and the usual proxy variables.
 *
 * On success the reply JSON goes to stdout and the exit status is 0. On
 * failure the error JSON and the code's name go to stderr; the exit status
 * is 1 for a usage error, 2 for an error reported by libdcams.
 */
#include "dcams.h"

#include <stdio.h>
#include <string.h>

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_LIBRARY = 2 };

/* Every option any command takes; NULL = not given. */
typedef struct options {
    const char *email, *front, *back, *fn, *ln, *addr, *city, *state, *zip, *dob, *phone,
        *reference, *out_front, *out_back, *status;
} options;

/* One accepted "--name VALUE" and where its value goes. */
typedef struct option_slot {
    const char *name;
    const char **value;
} option_slot;

#define MAX_SLOTS 16

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
    "\n"
    "options may also be written --name=VALUE. Other flags: --help, --version.\n"
    "\n"
    "environment: DCAMS_ENDPOINT (default https://dcams.app/v3/stable/api/storage),\n"
    "  DCAMS_USER, DCAMS_PASS (required), DCAMS_TEST_KEY, DCAMS_CONNECT_TIMEOUT_MS,\n"
    "  DCAMS_TIMEOUT_MS, DCAMS_RETRIES, DCAMS_CA_FILE, DCAMS_CA_BUNDLE, and the usual\n"
    "  https_proxy/HTTPS_PROXY, all_proxy/ALL_PROXY, no_proxy/NO_PROXY.\n"
    "\n"
    "prints the reply JSON on stdout (exit 0); on failure the error JSON on\n"
    "stderr, exit 1 for a usage error, 2 for an error from libdcams.\n";

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

int main(int argc, char **argv)
{
    options o;
    option_slot slots[MAX_SLOTS];
    size_t n = 0;
    const char *cmd;
    dcams_client *client = NULL;
    char *result = NULL;
    dcams_code code;
    int rc, status = 0;

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
    SLOT("email", email);
    if (strcmp(cmd, "upsert") == 0) {
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
    if (rc != 0 || require(o.email, "email") != 0)
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

    /* NULL configuration: endpoint and credentials come from DCAMS_* variables. */
    code = dcams_client_new(NULL, &client, &result);
    if (code == DCAMS_OK) {
        dcams_string_free(result); /* NULL on success; freeing it is harmless */
        result = NULL;
        if (strcmp(cmd, "upsert") == 0) {
            dcams_customer c;
            memset(&c, 0, sizeof c);
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
            c.front.path = o.front;
            c.back.path = o.back;
            code = dcams_client_upsert(client, &c, &result);
        } else if (strcmp(cmd, "status") == 0) {
            code = dcams_client_get_status(client, o.email, &result);
        } else if (strcmp(cmd, "images") == 0) {
            code = dcams_client_save_document_images(client, o.email, o.out_front, o.out_back,
                                                      &result);
        } else {
            code = dcams_client_update_status(client, o.email, status, &result);
        }
        dcams_client_free(client);
    }

    if (code == DCAMS_OK) {
        printf("%s\n", result);
        rc = EXIT_OK;
    } else {
        fprintf(stderr, "%s\ndcams_cli: %s (%d)\n", result != NULL ? result : "{}",
                dcams_code_name(code), (int)code);
        rc = EXIT_LIBRARY;
    }
    dcams_string_free(result);
    return rc;
}
