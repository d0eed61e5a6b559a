/* server/xfr_in.c — the secondary side: placeholder until the replication engineer's lands. */
#include "server.h"

size_t e2ud_notify_in(e2ud_qctx_t *q, knot_pkt_t *qp, const e2ud_req_t *r, uint8_t *resp,
                      size_t cap)
{
    (void)q;
    (void)r;
    knot_pkt_t *pkt = knot_pkt_new(resp, (uint16_t)(cap > 65535 ? 65535 : cap), NULL);
    size_t n = 0;
    if (pkt && knot_pkt_init_response(pkt, qp) == KNOT_EOK) {
        knot_wire_set_rcode(pkt->wire, KNOT_RCODE_NOTIMPL);
        n = pkt->size;
    }
    knot_pkt_free(pkt);
    return n;
}

int e2ud_secondary_start(e2ud_server_t *srv)
{
    (void)srv;
    return 0;
}

void e2ud_secondary_stop(void) {}
