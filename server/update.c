/* server/update.c — RFC 2136 UPDATE: placeholder until the update engineer's version lands. */
#include "server.h"

size_t e2ud_update(e2ud_qctx_t *q, knot_pkt_t *qp, const e2ud_req_t *r, uint8_t *resp, size_t cap)
{
    (void)q;
    (void)r;
    knot_pkt_t *pkt = knot_pkt_new(resp, (uint16_t)(cap > 65535 ? 65535 : cap), NULL);
    size_t n = 0;
    if (pkt && knot_pkt_init_response(pkt, qp) == KNOT_EOK) {
        knot_wire_set_rcode(pkt->wire, knot_pkt_qtype(qp) == KNOT_RRTYPE_SOA ? KNOT_RCODE_NOTIMPL
                                                                             : KNOT_RCODE_FORMERR);
        n = pkt->size;
    }
    knot_pkt_free(pkt);
    return n;
}
