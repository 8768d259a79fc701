/* Peer measurement: the OpenSSL gost engine verifying, then making, a GOST R 34.10-2012 512
 * (paramSet A) signature with Streebog-512 over a message, median of N runs each (one
 * EVP_DigestVerify / EVP_DigestSign each).
 * Usage: gost_engine_verify KEY.pem MESSAGE_FILE RUNS */
#include <openssl/engine.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    ENGINE_load_builtin_engines();
    ENGINE *engine = ENGINE_by_id("gost");
    if (!engine || !ENGINE_init(engine) || !ENGINE_set_default(engine, ENGINE_METHOD_ALL)) return 1;
    FILE *key_file = fopen(argv[1], "r");
    EVP_PKEY *key = key_file ? PEM_read_PrivateKey(key_file, NULL, NULL, NULL) : NULL;
    if (!key) return 1;
    FILE *message_file = fopen(argv[2], "rb");
    if (!message_file) return 1;
    static unsigned char message[1 << 20];
    size_t length = fread(message, 1, sizeof message, message_file);
    const EVP_MD *md = EVP_get_digestbyname("md_gost12_512");
    unsigned char signature[256];
    size_t signature_length = sizeof signature;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(ctx, NULL, md, engine, key) != 1 ||
        EVP_DigestSign(ctx, signature, &signature_length, message, length) != 1) return 1;
    int runs = atoi(argv[3]);
    double *times = calloc(runs, sizeof(double));
    for (int i = 0; i < runs; i++) {
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        EVP_MD_CTX_reset(ctx);
        if (EVP_DigestVerifyInit(ctx, NULL, md, engine, key) != 1 ||
            EVP_DigestVerify(ctx, signature, signature_length, message, length) != 1) return 1;
        clock_gettime(CLOCK_MONOTONIC, &end);
        times[i] = (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
    }
    qsort(times, runs, sizeof(double), compare);
    printf("gost engine verify: median %.3f ms over %d runs (%zu-byte message)\n", times[runs / 2], runs, length);
    for (int i = 0; i < runs; i++) {
        struct timespec start, end;
        size_t made = sizeof signature;
        clock_gettime(CLOCK_MONOTONIC, &start);
        EVP_MD_CTX_reset(ctx);
        if (EVP_DigestSignInit(ctx, NULL, md, engine, key) != 1 ||
            EVP_DigestSign(ctx, signature, &made, message, length) != 1) return 1;
        clock_gettime(CLOCK_MONOTONIC, &end);
        times[i] = (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
    }
    qsort(times, runs, sizeof(double), compare);
    printf("gost engine sign: median %.3f ms over %d runs (%zu-byte message)\n", times[runs / 2], runs, length);
    return 0;
}
