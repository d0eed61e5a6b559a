/* server/notify.c — NOTIFY to secondaries: placeholder until the replication engineer's lands. */
#include "server.h"

int e2ud_notify_start(e2ud_server_t *srv)
{
    (void)srv;
    return 0;
}

void e2ud_notify_stop(void) {}
