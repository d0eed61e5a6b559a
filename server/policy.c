/*
 * server/policy.c — who may do what: TSIG (RFC 8945) and per-zone ACLs.
 *
 * TSIG. libknot checks and makes the MACs; this file decides which configured key a request
 * names (its owner name is the key's name, its algorithm must match) and maps the outcomes onto
 * RFC 8945's errors: an unknown key is BADKEY, a MAC that does not verify BADSIG, a time outside
 * the fudge BADTIME. Answers to BADKEY and BADSIG carry a TSIG with the error and no MAC
 * (§5.3.2); all others to a signed request are signed with the request's MAC.
 *
 * ACLs follow Knot DNS: a zone lists rules in order; a rule matches when the client's address
 * is in one of its networks (or it lists none), the request was signed by one of its keys (or
 * it lists none) and it names the action. The first matching rule decides, allowing or, with
 * "deny: on", refusing. Transfers, NOTIFY and UPDATE need a rule; queries are open unless one
 * of the zone's rules names the query action (a private zone, RFC 4769 §7).
 */
#include <string.h>
#include <syslog.h>

#include <libknot/libknot.h>

#include "server.h"

int e2ud_keys_load(e2ud_cfg_t *c)
{
    for (size_t i = 0; i < c->conf.nkeys; i++) {
        const e2ud_key_t *k = &c->conf.keys[i];
        int rc = knot_tsig_key_init(&c->tsig[i], k->algorithm[0] ? k->algorithm : "hmac-sha256",
                                    k->id, k->secret);
        if (rc != KNOT_EOK) {
            e2ud_log(LOG_CRIT, "key '%s': %s", k->id, knot_strerror(rc));
            while (i-- > 0)
                knot_tsig_key_deinit(&c->tsig[i]);
            return -1;
        }
    }
    return 0;
}

void e2ud_keys_free(e2ud_cfg_t *c)
{
    for (size_t i = 0; i < c->conf.nkeys; i++)
        knot_tsig_key_deinit(&c->tsig[i]);
}

int e2ud_tsig_verify(const e2ud_cfg_t *c, knot_pkt_t *qp, e2ud_req_t *r)
{
    r->key = -1;
    r->tsig_error = 0;
    r->signed_request = false;
    r->tsig_rr = NULL;
    if (!qp->tsig_rr)
        return 0;
    r->signed_request = true;
    r->tsig_rr = qp->tsig_rr;
    size_t ml = knot_tsig_rdata_mac_length(qp->tsig_rr);
    r->mac_len = ml <= sizeof(r->mac) ? ml : 0;
    if (r->mac_len)
        memcpy(r->mac, knot_tsig_rdata_mac(qp->tsig_rr), r->mac_len);
    r->time_signed = knot_tsig_rdata_time_signed(qp->tsig_rr);
    int found = -1;
    for (size_t i = 0; c && i < c->conf.nkeys; i++) {
        if (knot_dname_is_equal(c->tsig[i].name, qp->tsig_rr->owner) &&
            c->tsig[i].algorithm == knot_tsig_rdata_alg(qp->tsig_rr)) {
            found = (int)i;
            break;
        }
    }
    if (found < 0) {
        r->tsig_error = KNOT_RCODE_BADKEY;
        return r->tsig_error;
    }
    int rc = knot_tsig_server_check(qp->tsig_rr, qp->wire, qp->size, &c->tsig[found]);
    switch (rc) {
    case KNOT_EOK:
        r->key = found;
        return 0;
    case KNOT_TSIG_EBADTIME:
        r->key = found; /* BADTIME answers are signed (RFC 8945 §5.2.3) */
        r->tsig_error = KNOT_RCODE_BADTIME;
        break;
    case KNOT_TSIG_EBADKEY:
        r->tsig_error = KNOT_RCODE_BADKEY;
        break;
    case KNOT_TSIG_EBADTRUNC:
        r->tsig_error = KNOT_RCODE_BADTRUNC;
        break;
    default:
        r->tsig_error = KNOT_RCODE_BADSIG;
        break;
    }
    return r->tsig_error;
}

size_t e2ud_tsig_room(const e2ud_cfg_t *c, const e2ud_req_t *r)
{
    if (!r->signed_request)
        return 0;
    if (r->key >= 0)
        return knot_tsig_wire_size(&c->tsig[r->key]);
    /* an unsigned TSIG echoing the request's key name and algorithm */
    return r->tsig_rr ? knot_rrset_size(r->tsig_rr) : 0;
}

int e2ud_tsig_sign(const e2ud_cfg_t *c, const e2ud_req_t *r, uint8_t *wire, size_t *len,
                   size_t max)
{
    if (!r->signed_request)
        return 0;
    if (r->key < 0 || !knot_tsig_can_sign(r->tsig_error))
        return r->tsig_rr && knot_tsig_add(wire, len, max, r->tsig_error, r->tsig_rr) == KNOT_EOK
                   ? 0
                   : -1;
    uint8_t digest[64];
    size_t dl = sizeof(digest);
    int rc = knot_tsig_sign(wire, len, max, r->mac, r->mac_len, digest, &dl, &c->tsig[r->key],
                            r->tsig_error, r->time_signed);
    return rc == KNOT_EOK ? 0 : -1;
}

bool e2ud_net_contains(const e2ud_net_t *n, const struct sockaddr_storage *a)
{
    const uint8_t *x, *y;
    unsigned bits;
    if (!a || a->ss_family != n->ss.ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        x = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
        y = (const uint8_t *)&((const struct sockaddr_in *)&n->ss)->sin_addr;
        bits = 32;
    } else {
        x = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
        y = (const uint8_t *)&((const struct sockaddr_in6 *)&n->ss)->sin6_addr;
        bits = 128;
    }
    unsigned p = n->prefix < bits ? n->prefix : bits;
    for (unsigned i = 0; i < p / 8; i++) {
        if (x[i] != y[i])
            return false;
    }
    if (p % 8) {
        uint8_t mask = (uint8_t)(0xff << (8 - p % 8));
        if ((x[p / 8] & mask) != (y[p / 8] & mask))
            return false;
    }
    return true;
}

bool e2ud_acl_allows(const e2ud_conf_t *c, const e2ud_zone_conf_t *z, unsigned action,
                     const e2ud_req_t *r)
{
    bool query_restricted = false;
    for (size_t i = 0; z && i < z->nacl; i++) {
        const e2ud_acl_t *a = &c->acls[z->acl[i]];
        if (a->actions & E2UD_ACT_QUERY)
            query_restricted = true;
        if (!(a->actions & action))
            continue;
        bool addr_ok = a->nnets == 0;
        for (size_t k = 0; !addr_ok && k < a->nnets; k++)
            addr_ok = e2ud_net_contains(&a->nets[k], r->from);
        if (!addr_ok)
            continue;
        bool key_ok = a->nkeys == 0;
        for (size_t k = 0; !key_ok && k < a->nkeys; k++)
            key_ok = r->key == a->keys[k] && r->tsig_error == 0;
        if (!key_ok)
            continue;
        return !a->deny;
    }
    return action == E2UD_ACT_QUERY && !query_restricted;
}
