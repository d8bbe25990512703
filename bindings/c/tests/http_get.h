/*
 * http_get.h — a tiny blocking HTTP/1.1 client for the C tests.
 *
 * It only talks to the loopback sandbox's admin endpoints (/_sandbox/...):
 * plain http://, no TLS, no redirects, one request per connection
 * ("Connection: close"). Non-loopback addresses are refused.
 */
#ifndef DCAMS_TEST_HTTP_GET_H
#define DCAMS_TEST_HTTP_GET_H

#include <stddef.h>

typedef struct http_reply {
    int status;          /* HTTP status code, e.g. 200 */
    unsigned char *body; /* body bytes (de-chunked), plus a NUL after the last byte */
    size_t len;          /* body length, without that NUL */
} http_reply;

/*
 * Sends `method` ("GET" or "POST", no request body) to `url`
 * ("http://HOST:PORT/path", HOST a loopback address or "localhost") and reads
 * the whole answer. Returns 0 and fills *out (free it with http_reply_free),
 * or -1 after printing the reason to stderr (*out is then empty).
 */
int http_request(const char *method, const char *url, http_reply *out);

/* Like http_request, with `body` (a NUL-terminated string, at most about 3 KB;
 * NULL for none) sent as the request body. */
int http_request_body(const char *method, const char *url, const char *body, http_reply *out);

/* GET `url`; see http_request. */
int http_get(const char *url, http_reply *out);

/* Frees the body of *r and empties it. NULL is harmless. */
void http_reply_free(http_reply *r);

#endif /* DCAMS_TEST_HTTP_GET_H */
