/* server/xfr_out.c — outgoing transfers: placeholder until the replication engineer's lands. */
#include "server.h"

bool e2ud_is_xfr_query(const uint8_t *query, size_t qlen)
{
    (void)query;
    (void)qlen;
    return false;
}

e2ud_xfr_t *e2ud_xfr_out_start(e2ud_qctx_t *q, const uint8_t *query, size_t qlen,
                               const struct sockaddr_storage *from, uint8_t *resp, size_t cap,
                               size_t *len)
{
    *len = e2ud_answer(q, query, qlen, resp, cap, from, true);
    return NULL;
}

int e2ud_xfr_out_next(e2ud_xfr_t *x, uint8_t *resp, size_t cap, size_t *len)
{
    (void)x;
    (void)resp;
    (void)cap;
    *len = 0;
    return -1;
}

void e2ud_xfr_out_free(e2ud_xfr_t *x)
{
    (void)x;
}
