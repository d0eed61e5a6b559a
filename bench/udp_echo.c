/*
 * bench/udp_echo.c — the floor of a UDP DNS server on this machine: answer every datagram with
 * itself, QR set, and do nothing else.
 *
 *     udp_echo ADDR PORT
 *
 * One thread, one socket with e2ud's buffer sizes, recvmmsg and sendmmsg in batches of 64, as
 * e2ud's UDP worker does (server/udp.c) but with no parsing, no lookup and no answer to build:
 * what is left is the kernel's cost of taking a datagram in and sending one out, which on
 * loopback is most of a DNS server's CPU time. bench/server.sh runs it beside e2ud under the
 * same dnsperf load, so that e2ud's CPU per query can be read against the floor measured in the
 * same run
 * (../shared/bench/README.md quotes 4.2 µs from another day on another machine).
 * Runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define MSG_MAX 4096

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: udp_echo ADDR PORT\n");
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
        fprintf(stderr, "udp_echo: '%s' is not an IPv4 address\n", argv[1]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("udp_echo: bind");
        return 1;
    }
    /* the socket buffers e2ud's workers ask for (server/udp.c): with the default 208 KiB, the
     * queries that arrive while the echo waits for a core overflow it, and each one lost holds
     * one of dnsperf's outstanding queries until its 5 s timeout */
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    static uint8_t buf[BATCH][MSG_MAX];
    static struct sockaddr_in from[BATCH];
    static struct iovec iov[BATCH];
    static struct mmsghdr m[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){buf[i], MSG_MAX};
            m[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
                                           .msg_iov = &iov[i], .msg_iovlen = 1};
        }
        int n = recvmmsg(fd, m, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            iov[i].iov_len = m[i].msg_len;
            if (m[i].msg_len > 2)
                buf[i][2] |= 0x80; /* QR: a response */
        }
        for (int sent = 0; sent < n;) {
            int r = sendmmsg(fd, m + sent, (unsigned)(n - sent), 0);
            if (r <= 0)
                break;
            sent += r;
        }
    }
}
