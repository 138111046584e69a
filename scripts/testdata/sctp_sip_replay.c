/*
 * sctp_sip_replay: carries a recorded SIP dialogue over real SCTP
 * associations, using the usrsctp userland stack (Debian libusrsctp-dev) on
 * raw IP sockets, because the kernel here has no SCTP module.
 *
 * One process plays both ends, so that one stack sees every packet once on
 * the loopback interface (two stacks on one host would each answer the
 * other's packets as out of the blue). A listener on SERVER:5060 accepts;
 * a client from CLIENT:5061 connects. The script (made by sctp_script.py from
 * SIPp's own UDP messages) is a list of records: sender 'A' (client) or 'B'
 * (server), SCTP stream id, length (4 bytes, big-endian), message bytes. Each
 * end sends its records in order, and before each one waits until it has
 * received every earlier record of the other end. Consecutive records of one
 * end go back to back, so the stack may bundle them into one packet.
 *
 *   sctp_sip_replay CLIENT_IP SERVER_IP SCRIPT PATH_MTU [RTO_MS]
 *
 * PATH_MTU fixes the path MTU (PMTU discovery off): a small value makes the
 * stack fragment the larger messages into several DATA chunks. RTO_MS, if
 * given, sets the client's retransmission timeout (initial, min and max)
 * below the server's delayed-SACK time (200 ms): the client's stack then
 * retransmits DATA that the server has already received (spurious
 * retransmissions, as on a path whose RTT jumps), so the capture holds
 * chunks with a TSN already seen, without dropping a packet.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <usrsctp.h>

#define MAX_RECORDS 256

struct record {
    char who;
    uint16_t stream;
    uint32_t len;
    char *bytes;
};

static struct record recs[MAX_RECORDS];
static int nrecs;
static int path_mtu;
static int rto_ms;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void load(const char *path) {
    FILE *f = fopen(path, "rb");
    unsigned char h[7];
    if (!f) die("script");
    while (nrecs < MAX_RECORDS && fread(h, 1, 7, f) == 7) {
        struct record *r = &recs[nrecs++];
        r->who = (char)h[0];
        r->stream = (uint16_t)((h[1] << 8) | h[2]);
        r->len = ((uint32_t)h[3] << 24) | ((uint32_t)h[4] << 16) | ((uint32_t)h[5] << 8) | h[6];
        r->bytes = malloc(r->len);
        if (!r->bytes || fread(r->bytes, 1, r->len, f) != r->len) die("script record");
    }
    fclose(f);
}

static void fix_pmtu(struct socket *s, struct sockaddr_in *peer) {
    struct sctp_paddrparams p;
    memset(&p, 0, sizeof p);
    memcpy(&p.spp_address, peer, sizeof *peer);
    p.spp_flags = SPP_PMTUD_DISABLE;
    p.spp_pathmtu = (uint32_t)path_mtu;
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &p, sizeof p) < 0)
        die("SCTP_PEER_ADDR_PARAMS");
}

/* Receives one whole user message (the stack delivers it reassembled). */
static void receive_one(struct socket *s, char who) {
    static char buf[65536];
    size_t got = 0;
    for (;;) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof from;
        struct sctp_rcvinfo info;
        socklen_t infolen = sizeof info;
        unsigned int infotype = 0;
        int flags = 0;
        ssize_t n = usrsctp_recvv(s, buf + got, sizeof buf - got, (struct sockaddr *)&from, &fromlen,
                                  &info, &infolen, &infotype, &flags);
        if (n <= 0) die("recv");
        if (flags & MSG_NOTIFICATION) continue;
        got += (size_t)n;
        if (flags & MSG_EOR) break;
    }
    fprintf(stderr, "%c received %zu bytes\n", who, got);
}

static void play(struct socket *s, char me) {
    int i;
    for (i = 0; i < nrecs; i++) {
        struct sctp_sndinfo snd;
        if (recs[i].who != me) {
            receive_one(s, me);
            continue;
        }
        memset(&snd, 0, sizeof snd);
        snd.snd_sid = recs[i].stream;
        snd.snd_ppid = 0; /* RFC 4168 names no PPID for SIP */
        if (usrsctp_sendv(s, recs[i].bytes, recs[i].len, NULL, 0, &snd, sizeof snd,
                          SCTP_SENDV_SNDINFO, 0) < 0)
            die("send");
    }
}

/* The client's RTO, shorter than the server's delayed SACK. */
static void short_rto(struct socket *s) {
    struct sctp_rtoinfo r;
    memset(&r, 0, sizeof r);
    r.srto_initial = (uint32_t)rto_ms;
    r.srto_min = (uint32_t)rto_ms;
    r.srto_max = (uint32_t)rto_ms * 2;
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_RTOINFO, &r, sizeof r) < 0) die("SCTP_RTOINFO");
}

static void delayed_sack(struct socket *s) {
    struct sctp_sack_info si;
    memset(&si, 0, sizeof si);
    si.sack_delay = 200;
    si.sack_freq = 2;
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_DELAYED_SACK, &si, sizeof si) < 0)
        die("SCTP_DELAYED_SACK");
}

struct server_args {
    struct socket *listener;
    struct sockaddr_in client;
};

static void *server(void *arg) {
    struct server_args *a = arg;
    struct socket *conn = usrsctp_accept(a->listener, NULL, NULL);
    if (!conn) die("accept");
    fix_pmtu(conn, &a->client);
    play(conn, 'B');
    sleep(1); /* let the last SACKs go before the client shuts down */
    return NULL;
}

static struct socket *new_socket(void) {
    struct sctp_initmsg init;
    struct socket *s = usrsctp_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
    if (!s) die("socket");
    memset(&init, 0, sizeof init);
    init.sinit_num_ostreams = 4;
    init.sinit_max_instreams = 4;
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init) < 0) die("SCTP_INITMSG");
    return s;
}

static struct sockaddr_in addr(const char *ip, int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) die("address");
    return a;
}

int main(int argc, char **argv) {
    struct server_args sa;
    struct sockaddr_in srv, cli;
    struct socket *listener, *client;
    pthread_t t;
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s CLIENT_IP SERVER_IP SCRIPT PATH_MTU [RTO_MS]\n", argv[0]);
        return 2;
    }
    load(argv[3]);
    path_mtu = atoi(argv[4]);
    rto_ms = argc == 6 ? atoi(argv[5]) : 0;
    usrsctp_init(0, NULL, NULL); /* port 0: no UDP encapsulation, raw IP sockets */
    usrsctp_sysctl_set_sctp_blackhole(2);

    srv = addr(argv[2], 5060);
    cli = addr(argv[1], 5061);
    listener = new_socket();
    if (usrsctp_bind(listener, (struct sockaddr *)&srv, sizeof srv) < 0) die("bind server");
    if (rto_ms > 0) delayed_sack(listener);
    if (usrsctp_listen(listener, 1) < 0) die("listen");
    sa.listener = listener;
    sa.client = cli;
    pthread_create(&t, NULL, server, &sa);

    client = new_socket();
    if (rto_ms > 0) short_rto(client);
    if (usrsctp_bind(client, (struct sockaddr *)&cli, sizeof cli) < 0) die("bind client");
    if (usrsctp_connect(client, (struct sockaddr *)&srv, sizeof srv) < 0) die("connect");
    fix_pmtu(client, &srv);
    play(client, 'A');
    pthread_join(t, NULL);
    usrsctp_close(client);
    usrsctp_close(listener);
    sleep(2); /* the SHUTDOWN exchange */
    return 0;
}
