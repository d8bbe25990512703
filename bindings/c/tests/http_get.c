/*
 * http_get.c — see http_get.h. POSIX sockets, blocking, loopback only.
 */
#define _POSIX_C_SOURCE 200809L

#include "http_get.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#define IO_TIMEOUT_SECONDS 30

void http_reply_free(http_reply *r)
{
    if (r == NULL)
        return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
    r->status = 0;
}

/* Splits "http://host:port/path" into its parts. Returns 0 or -1. */
static int split_url(const char *url, char *host, size_t host_size, char *port,
                     size_t port_size, const char **path)
{
    const char *p, *host_end, *slash;
    size_t n;

    if (strncmp(url, "http://", 7) != 0)
        return -1;
    p = url + 7;
    slash = strchr(p, '/');
    *path = slash != NULL ? slash : "/";
    if (slash == NULL)
        slash = p + strlen(p);
    if (*p == '[') { /* [::1]:port */
        host_end = memchr(p, ']', (size_t)(slash - p));
        if (host_end == NULL)
            return -1;
        n = (size_t)(host_end - p - 1);
        if (n >= host_size)
            return -1;
        memcpy(host, p + 1, n);
        host[n] = '\0';
        p = host_end + 1;
    } else {
        host_end = memchr(p, ':', (size_t)(slash - p));
        if (host_end == NULL)
            host_end = slash;
        n = (size_t)(host_end - p);
        if (n == 0 || n >= host_size)
            return -1;
        memcpy(host, p, n);
        host[n] = '\0';
        p = host_end;
    }
    if (*p == ':') {
        n = (size_t)(slash - p - 1);
        if (n == 0 || n >= port_size)
            return -1;
        memcpy(port, p + 1, n);
        port[n] = '\0';
    } else {
        if (port_size < 3)
            return -1;
        strcpy(port, "80");
    }
    return 0;
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return 0;
}

/* Connects to host:port (loopback only). Returns the socket or -1. */
static int connect_loopback(const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL, *ai;
    struct timeval tv;
    int fd = -1, rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "http_get: cannot resolve %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if (!is_loopback(ai->ai_addr))
            continue;
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        tv.tv_sec = IO_TIMEOUT_SECONDS;
        tv.tv_usec = 0;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        fprintf(stderr, "http_get: cannot connect to loopback %s:%s\n", host, port);
    return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads until EOF into a malloc'ed buffer (NUL-terminated). Returns 0 or -1. */
static int recv_all(int fd, char **out, size_t *out_len)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1), *bigger;

    if (buf == NULL)
        return -1;
    for (;;) {
        ssize_t n;
        if (len == cap) {
            cap *= 2;
            bigger = realloc(buf, cap + 1);
            if (bigger == NULL) {
                free(buf);
                return -1;
            }
            buf = bigger;
        }
        n = recv(fd, buf + len, cap - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

/* Value of header `name` in the header block [h, end), or NULL. */
static const char *find_header(const char *h, const char *end, const char *name)
{
    size_t n = strlen(name);
    const char *line = strstr(h, "\r\n");

    while (line != NULL && line < end) {
        line += 2;
        if ((size_t)(end - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            return v;
        }
        line = strstr(line, "\r\n");
    }
    return NULL;
}

/* Decodes a chunked body in place. Returns the decoded length or -1. */
static long dechunk(unsigned char *body, size_t len)
{
    size_t in = 0, out = 0;

    for (;;) {
        char *end;
        unsigned long size;
        const char *crlf;

        if (in >= len)
            return -1;
        size = strtoul((const char *)body + in, &end, 16);
        crlf = strstr(end, "\r\n");
        if (end == (char *)body + in || crlf == NULL)
            return -1;
        in = (size_t)(crlf - (const char *)body) + 2;
        if (size == 0)
            return (long)out;
        if (size > len - in)
            return -1;
        memmove(body + out, body + in, size);
        out += size;
        in += size + 2; /* chunk data, then CRLF */
    }
}

int http_request(const char *method, const char *url, http_reply *out)
{
    return http_request_body(method, url, NULL, out);
}

int http_request_body(const char *method, const char *url, const char *body, http_reply *out)
{
    char host[256], port[16], request[4096], length[64] = "";
    const char *path, *hdr_end, *v;
    char *raw = NULL;
    size_t raw_len = 0, body_len;
    int fd, n, chunked;
    long decoded;

    memset(out, 0, sizeof *out);
    if (split_url(url, host, sizeof host, port, sizeof port, &path) != 0) {
        fprintf(stderr, "http_get: unsupported URL %s\n", url);
        return -1;
    }
    if (strcmp(method, "GET") != 0)
        snprintf(length, sizeof length, "Content-Length: %lu\r\n",
                 (unsigned long)(body ? strlen(body) : 0));
    n = snprintf(request, sizeof request, "%s %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n%s\r\n%s",
                 method, path, host, port, length, body ? body : "");
    if (n < 0 || (size_t)n >= sizeof request)
        return -1;
    fd = connect_loopback(host, port);
    if (fd < 0)
        return -1;
    if (send_all(fd, request, (size_t)n) != 0 || recv_all(fd, &raw, &raw_len) != 0) {
        fprintf(stderr, "http_get: %s %s: I/O error: %s\n", method, url, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);

    hdr_end = strstr(raw, "\r\n\r\n");
    if (hdr_end == NULL || sscanf(raw, "HTTP/1.%*d %d", &out->status) != 1) {
        fprintf(stderr, "http_get: %s %s: malformed answer\n", method, url);
        free(raw);
        return -1;
    }
    body_len = raw_len - (size_t)(hdr_end + 4 - raw);
    v = find_header(raw, hdr_end, "Transfer-Encoding");
    chunked = v != NULL && strncasecmp(v, "chunked", 7) == 0;
    v = find_header(raw, hdr_end, "Content-Length");
    if (!chunked && v != NULL) {
        unsigned long want = strtoul(v, NULL, 10);
        if (want > body_len) {
            fprintf(stderr, "http_get: %s %s: truncated body\n", method, url);
            free(raw);
            return -1;
        }
        body_len = want;
    }
    /* Move the body to the start of the buffer (the header block is done with). */
    memmove(raw, hdr_end + 4, body_len);
    raw[body_len] = '\0';
    if (chunked) {
        decoded = dechunk((unsigned char *)raw, body_len);
        if (decoded < 0) {
            fprintf(stderr, "http_get: %s %s: bad chunked body\n", method, url);
            free(raw);
            return -1;
        }
        body_len = (size_t)decoded;
        raw[body_len] = '\0';
    }
    out->body = (unsigned char *)raw;
    out->len = body_len;
    return 0;
}

int http_get(const char *url, http_reply *out)
{
    return http_request("GET", url, out);
}
