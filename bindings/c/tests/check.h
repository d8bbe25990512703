/*
 * check.h — the C tests' harness: CHECK counts a pass or a failure
 * (thread-safe) and prints each failure with its file and line;
 * check_summary() prints the counts and gives the exit status.
 *
 * Header-only, for one translation unit per test program.
 */
#ifndef DCAMS_TEST_CHECK_H
#define DCAMS_TEST_CHECK_H

#include <stdatomic.h>
#include <stdio.h>

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

/* Prints "N passed, M failed"; the exit status: 0 if nothing failed, else 1. */
static int check_summary(void)
{
    printf("%d passed, %d failed\n", atomic_load(&g_passed), atomic_load(&g_failed));
    fflush(stdout); /* before any exit-time leak report (LeakSanitizer ends with _exit) */
    return atomic_load(&g_failed) == 0 ? 0 : 1;
}

#endif
