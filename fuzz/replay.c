/*
 * fuzz/replay.c — a main() for fuzz targets when libFuzzer is not available (gcc builds).
 *
 * Runs LLVMFuzzerTestOneInput on every file of the corpus directories given as arguments, then
 * on a fixed number of deterministic mutations of each (bit flips, byte insertions and
 * deletions, splices with another input, driven by a fixed-seed xorshift generator), so that
 * `make test` exercises the parsers beyond the committed inputs and any crash is reproducible
 * from the seed alone. Under the ASan+UBSan build a memory error aborts the test.
 *
 * E2U_REPLAY_MUTATIONS overrides the number of mutations per input (default 200).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT 65536

typedef struct {
    uint8_t *data;
    size_t len;
} input_t;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static int load(const char *path, input_t *in)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    in->data = malloc(REPLAY_MAX_INPUT);
    if (!in->data) {
        fclose(f);
        return -1;
    }
    in->len = fread(in->data, 1, REPLAY_MAX_INPUT, f);
    fclose(f);
    return 0;
}

static size_t mutate(uint8_t *buf, size_t len, const input_t *other)
{
    switch (rng() % 6) {
    case 0: /* flip a bit */
        if (len)
            buf[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
        break;
    case 1: /* overwrite a byte with an interesting value */
        if (len) {
            static const uint8_t v[] = {0, 0xff, 0x7f, 0x80, '\\', '!', '(', ')', '*', '+',
                                        '.', ';', '"', '%', ':', '@', '0', '9', 0xc0};
            buf[rng() % len] = v[rng() % sizeof(v)];
        }
        break;
    case 2: /* insert a byte */
        if (len < REPLAY_MAX_INPUT) {
            size_t at = len ? rng() % (len + 1) : 0;
            memmove(buf + at + 1, buf + at, len - at);
            buf[at] = (uint8_t)rng();
            len++;
        }
        break;
    case 3: /* delete a byte */
        if (len) {
            size_t at = rng() % len;
            memmove(buf + at, buf + at + 1, len - at - 1);
            len--;
        }
        break;
    case 4: /* truncate */
        if (len)
            len = rng() % len;
        break;
    default: /* splice: keep a prefix, append a suffix of another input */
        if (other && other->len) {
            size_t keep = len ? rng() % (len + 1) : 0;
            size_t from = rng() % other->len;
            size_t n = other->len - from;
            if (keep + n > REPLAY_MAX_INPUT)
                n = REPLAY_MAX_INPUT - keep;
            memcpy(buf + keep, other->data + from, n);
            len = keep + n;
        }
        break;
    }
    return len;
}

int main(int argc, char **argv)
{
    input_t *inputs = NULL;
    size_t n = 0, cap = 0;
    const char *m = getenv("E2U_REPLAY_MUTATIONS");
    long mutations = m ? strtol(m, NULL, 10) : 200;
    uint8_t *buf = NULL;
    int rc = 2;

    for (int a = 1; a < argc; a++) {
        DIR *d = opendir(argv[a]);
        struct dirent *e;
        if (!d) {
            fprintf(stderr, "replay: cannot open corpus %s\n", argv[a]);
            goto out;
        }
        while ((e = readdir(d)) != NULL) {
            char path[4096];
            struct stat st;
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", argv[a], e->d_name);
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                input_t *ni = realloc(inputs, cap * sizeof(*inputs));
                if (!ni) {
                    closedir(d);
                    goto out;
                }
                inputs = ni;
            }
            if (load(path, &inputs[n]) == 0)
                n++;
        }
        closedir(d);
    }
    if (n == 0) {
        fprintf(stderr, "replay: empty corpus\n");
        goto out;
    }
    /* the corpus itself, then the empty input */
    for (size_t i = 0; i < n; i++)
        LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].len);
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);

    buf = malloc(REPLAY_MAX_INPUT + 1);
    if (!buf)
        goto out;
    long runs = 0;
    for (size_t i = 0; i < n; i++) {
        for (long k = 0; k < mutations; k++) {
            size_t len = inputs[i].len;
            memcpy(buf, inputs[i].data, len);
            int rounds = 1 + (int)(rng() % 4);
            for (int r = 0; r < rounds; r++)
                len = mutate(buf, len, &inputs[rng() % n]);
            LLVMFuzzerTestOneInput(buf, len);
            runs++;
        }
    }
    printf("replayed %zu inputs and %ld mutations\n", n, runs);
    rc = 0;
out:
    free(buf);
    for (size_t i = 0; i < n; i++)
        free(inputs[i].data);
    free(inputs);
    return rc;
}
