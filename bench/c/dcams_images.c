/*
 * dcams_images.c — W6 of `make bench`: getDocumentImages into memory, from C.
 *
 *   dcams_images get EMAIL     dcams_client_get_document_images; prints
 *                              {"call":seconds,"front":bytes,"back":bytes}
 *   dcams_images idle          the library loaded and a client made, no call
 *                              (the RSS baseline); prints {}
 *
 * Endpoint and credentials from DCAMS_ENDPOINT / DCAMS_USER / DCAMS_PASS.
 * The images' bytes are read once (summed), so every page of them is touched.
 */
#define _POSIX_C_SOURCE 200809L
#include "dcams.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long touch(const uint8_t *data, size_t len)
{
    unsigned long sum = 0;
    size_t i;
    for (i = 0; i < len; i += 4096)
        sum += data[i];
    return sum;
}

int main(int argc, char **argv)
{
    dcams_client *client = NULL;
    dcams_images *images = NULL;
    char *result = NULL, *error = NULL;
    const uint8_t *data;
    size_t front = 0, back = 0;
    unsigned long sum = 0;
    double t0;
    dcams_code code;

    if (argc < 2 || (strcmp(argv[1], "get") == 0 && argc < 3)) {
        fputs("usage: dcams_images get EMAIL | idle\n", stderr);
        return 64;
    }
    if (dcams_client_new(NULL, &client, &error) != DCAMS_OK) {
        fprintf(stderr, "dcams_images: %s\n", error);
        dcams_string_free(error);
        return 2;
    }
    if (strcmp(argv[1], "idle") == 0) {
        puts("{}");
        dcams_client_free(client);
        return 0;
    }
    t0 = now();
    code = dcams_client_get_document_images(client, argv[2], NULL, &images, &result, &error);
    if (code != DCAMS_OK) {
        fprintf(stderr, "dcams_images: %s: %s\n", dcams_code_name(code), error ? error : "");
        dcams_string_free(error);
        dcams_client_free(client);
        return 1;
    }
    if (dcams_images_front(images, &data, &front, NULL) == DCAMS_OK)
        sum += touch(data, front);
    if (dcams_images_back(images, &data, &back, NULL) == DCAMS_OK)
        sum += touch(data, back);
    printf("{\"call\":%.6f,\"front\":%zu,\"back\":%zu,\"touched\":%lu}\n", now() - t0, front, back, sum);
    dcams_images_free(images);
    dcams_string_free(result);
    dcams_client_free(client);
    return 0;
}
