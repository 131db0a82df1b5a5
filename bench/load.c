/* Load test for `auralis serve`: N station listeners and M personal streams
 * over plain sockets and epoll (one thread, so its own CPU cost is small and
 * measurable), reporting what the issue asks for: server CPU and RSS, memory
 * per listener, the fraction of chunks on time (within 20 ms of schedule
 * after the burst), p99 jitter, RSS slope, and the client's own CPU.
 *
 * Schedule: the server never sends a chunk before it is due, so for each
 * listener the earliest (arrival - i * 100 ms) over its paced chunks is its
 * schedule's phase; a chunk's lateness is its arrival minus that schedule.
 * Missing sequence numbers count as late.
 *
 *   load --server BIN [--stations N] [--station-count K] [--personal M]
 *        [--seconds S] [--warmup S] [--workers W] [--realtime 0|1]
 *        [--json FILE] [--codec pcm16|opus] [--personal-codec pcm16|opus]
 *   load --port P --pid PID ...   (against a server started elsewhere) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_MS 100.0
#define PREFILL 5
#define RXBUF (256 * 1024)

static unsigned long long pings; /* pings answered */
/* bytes received in the measuring window, station listeners / personal */
static unsigned long long rx_bytes[2];
static int measuring;

typedef struct {
    int fd;
    int state; /* 0 connecting, 1 handshake sent, 2 open, 3 closed */
    int personal;
    char query[96];
    double t_open; /* ms, monotonic */
    uint8_t *rx;
    size_t rxlen;
    int64_t first_seq, last_seq;
    uint32_t nchunks, cap;
    float *arrival; /* ms since t_open, per received chunk */
    int64_t *seqs;  /* only the first entries matter for gaps */
    uint64_t gaps;
    int close_code;
} conn_t;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    unsigned long ut = 0, st = 0;
    /* fields after ") ": state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double proc_rss_mib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned long size = 0, res = 0;
    int n = fscanf(f, "%lu %lu", &size, &res);
    fclose(f);
    return n == 2 ? (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0 : 0;
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
           ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static int port_g;
static int epfd;
static double t_batch, first_gap_ms, last_gap_ms;

static void conn_start(conn_t *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port_g);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = connect(c->fd, (struct sockaddr *)&a, sizeof a);
    if (r < 0 && errno != EINPROGRESS) {
        perror("connect");
        c->state = 3;
        return;
    }
    struct epoll_event ev = {EPOLLIN | EPOLLOUT, {.ptr = c}};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    c->state = 0;
}

static void send_handshake(conn_t *c)
{
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /ws?%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     c->query, port_g);
    if (write(c->fd, req, (size_t)n) != n)
        c->state = 3;
    else
        c->state = 1;
    struct epoll_event ev = {EPOLLIN, {.ptr = c}};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void on_chunk(conn_t *c, const uint8_t *p, size_t len, double t)
{
    if (len < 24 || memcmp(p, "AUR1", 4)) return;
    uint32_t seq =
        (uint32_t)(p[4] | p[5] << 8 | p[6] << 16 | (uint32_t)p[7] << 24);
    if (c->nchunks == 0)
        c->first_seq = seq;
    else if ((int64_t)seq != c->last_seq + 1) {
        c->gaps += (uint64_t)((int64_t)seq - c->last_seq - 1);
        if (!first_gap_ms) first_gap_ms = t;
        last_gap_ms = t;
    }
    c->last_seq = seq;
    if (c->nchunks < c->cap) {
        c->arrival[c->nchunks] = (float)(t - c->t_open);
        c->seqs[c->nchunks] = seq;
    }
    c->nchunks++;
}

/* Answer a ping as every real client does (RFC 6455 5.5.2): libwebsockets
 * pings a peer it has heard nothing from for 300 s and hangs up on it at
 * 310 s. Client frames are masked; a zero mask keeps the payload as is. */
static void send_pong(conn_t *c, const uint8_t *payload, size_t len)
{
    uint8_t f[2 + 4 + 125];
    if (len > 125) len = 125;
    f[0] = 0x8a;
    f[1] = (uint8_t)(0x80 | len);
    memset(f + 2, 0, 4);
    memcpy(f + 6, payload, len);
    if (write(c->fd, f, 6 + len) != (ssize_t)(6 + len)) c->state = 3;
}

static void parse_frames(conn_t *c, double t)
{
    size_t off = 0;
    for (;;) {
        uint8_t *b = c->rx + off;
        size_t avail = c->rxlen - off;
        if (avail < 2) break;
        int op = b[0] & 0x0f;
        uint64_t len = b[1] & 0x7f;
        size_t h = 2;
        if (len == 126) {
            if (avail < 4) break;
            len = (uint64_t)b[2] << 8 | b[3];
            h = 4;
        } else if (len == 127) {
            if (avail < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | b[2 + i];
            h = 10;
        }
        if (avail < h + len) break;
        if (op == 2) on_chunk(c, b + h, (size_t)len, t);
        if (op == 9) {
            pings++;
            send_pong(c, b + h, (size_t)len);
        }
        if (op == 8) {
            c->close_code = len >= 2 ? (b[h] << 8 | b[h + 1]) : 1005;
            c->state = 3;
        }
        off += h + (size_t)len;
    }
    memmove(c->rx, c->rx + off, c->rxlen - off);
    c->rxlen -= off;
}

static void on_readable(conn_t *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->rx + c->rxlen, RXBUF - c->rxlen);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n > 0 && measuring) rx_bytes[c->personal] += (unsigned long long)n;
        if (n <= 0) {
            if (c->state != 3)
                c->close_code = c->close_code ? c->close_code : 1006;
            c->state = 3;
            epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
            close(c->fd);
            return;
        }
        double t = t_batch;
        c->rxlen += (size_t)n;
        if (c->state == 1) {
            uint8_t *e = memmem(c->rx, c->rxlen, "\r\n\r\n", 4);
            if (!e) continue;
            if (memcmp(c->rx, "HTTP/1.1 101", 12) != 0) {
                fprintf(stderr, "load: upgrade refused: %.40s\n",
                        (char *)c->rx);
                c->state = 3;
                c->close_code = -1;
                epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                return;
            }
            size_t hl = (size_t)(e + 4 - c->rx);
            memmove(c->rx, c->rx + hl, c->rxlen - hl);
            c->rxlen -= hl;
            c->state = 2;
            c->t_open = t;
        }
        if (c->state == 2) parse_frames(c, t);
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static pid_t start_server(const char *bin, int max_clients, int workers,
                          int realtime, int *port)
{
    int pfd[2];
    if (pipe(pfd)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        char mc[16], wk[16];
        snprintf(mc, sizeof mc, "%d", max_clients);
        snprintf(wk, sizeof wk, "%d", workers);
        char *args[16];
        int n = 0;
        args[n++] = (char *)bin;
        args[n++] = "serve";
        args[n++] = "--port";
        args[n++] = "0";
        args[n++] = "--max-clients";
        args[n++] = mc;
        if (workers > 0) {
            args[n++] = "--workers";
            args[n++] = wk;
        }
        if (realtime) args[n++] = "--realtime";
        /* every client of the bench comes from 127.0.0.1: lift the
         * per-address limits meant for strangers */
        args[n++] = "--max-streams-per-address";
        args[n++] = "0";
        args[n++] = "--max-pending-per-address";
        args[n++] = "0";
        args[n] = NULL;
        execv(bin, args);
        _exit(127);
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char *p = strstr(line, "listening on http://127.0.0.1:");
        if (p) {
            *port = atoi(p + strlen("listening on http://127.0.0.1:"));
            return pid; /* keep the pipe open: the server may print more */
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *server = NULL, *json_path = NULL;
    int nstation = 1000, nstations = 4, npersonal = 50, workers = 0,
        realtime = 0;
    double seconds = 180, warmup = 10;
    const char *codec = "pcm16", *pcodec = "pcm16";
    pid_t pid = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--server"))
            server = v;
        else if (!strcmp(a, "--port"))
            port_g = atoi(v);
        else if (!strcmp(a, "--pid"))
            pid = atoi(v);
        else if (!strcmp(a, "--stations"))
            nstation = atoi(v);
        else if (!strcmp(a, "--station-count"))
            nstations = atoi(v);
        else if (!strcmp(a, "--personal"))
            npersonal = atoi(v);
        else if (!strcmp(a, "--seconds"))
            seconds = atof(v);
        else if (!strcmp(a, "--warmup"))
            warmup = atof(v);
        else if (!strcmp(a, "--workers"))
            workers = atoi(v);
        else if (!strcmp(a, "--json"))
            json_path = v;
        else if (!strcmp(a, "--realtime"))
            realtime = atoi(v);
        else if (!strcmp(a, "--codec"))
            codec = v; /* station listeners */
        else if (!strcmp(a, "--personal-codec"))
            pcodec = v;
        else {
            fprintf(stderr, "load: unknown option %s\n", a);
            return 2;
        }
    }
    if (nstations < 1) nstations = 1;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    signal(SIGPIPE, SIG_IGN);
    int total = nstation + npersonal;
    if (server) {
        pid = start_server(server, total + 16, workers, realtime, &port_g);
        if (pid <= 0) {
            fprintf(stderr, "load: could not start %s\n", server);
            return 1;
        }
    }
    if (!port_g || !pid) {
        fprintf(stderr, "load: need --server BIN, or --port and --pid\n");
        return 2;
    }
    usleep(300000);
    epfd = epoll_create1(0);
    conn_t *cs = calloc((size_t)total, sizeof *cs);
    uint32_t cap = (uint32_t)((seconds + warmup + 30) * 10 + 64);
    for (int i = 0; i < total; i++) {
        conn_t *c = &cs[i];
        c->personal = i >= nstation;
        if (c->personal)
            snprintf(c->query, sizeof c->query,
                     "seed=%d&intensity=0.5&codec=%s", 1000 + i, pcodec);
        else
            snprintf(c->query, sizeof c->query, "station=load%d&codec=%s",
                     i % nstations, codec);
        c->rx = malloc(RXBUF);
        c->cap = cap;
        c->arrival = malloc(cap * sizeof *c->arrival);
        c->seqs = malloc(cap * sizeof *c->seqs);
        c->fd = -1;
    }

    double rss0 = proc_rss_mib(pid);
    double t_start = now_ms();
    /* phases: one listener per station, the rest of the stations'
     * listeners, then personal streams; RSS between phases gives memory per
     * station listener and per personal stream */
    int phase_end[3] = {nstations < nstation ? nstations : nstation, nstation,
                        total};
    double rss_phase[3] = {0};
    int next = 0;
    struct epoll_event evs[1024];
    double measure_from = 0, end_at = 0;
    double cpu_srv0 = 0, cpu_cli0 = 0;
    double rss_t[4096], rss_v[4096];
    int nrss = 0;
    double next_sample = 0;
    int phase = 0;
    double phase_t = now_ms();
    for (;;) {
        double t = now_ms();
        if (phase < 3) {
            /* connect in batches of 25 every 50 ms, then settle 1.5 s */
            if (next < phase_end[phase] && t - phase_t >= 50) {
                for (int k = 0; k < 25 && next < phase_end[phase]; k++)
                    conn_start(&cs[next++]);
                phase_t = t;
            } else if (next >= phase_end[phase] && t - phase_t >= 1500) {
                rss_phase[phase] = proc_rss_mib(pid);
                phase++;
                phase_t = t;
                if (phase == 3) {
                    measure_from = t + warmup * 1000;
                    end_at = measure_from + seconds * 1000;
                    fprintf(
                        stderr,
                        "load: %d connections up after %.1f s; measuring %g s "
                        "after %g s warm-up\n",
                        total, (t - t_start) / 1000, seconds, warmup);
                }
            }
        }
        measuring = measure_from && t >= measure_from;
        if (measure_from && cpu_srv0 == 0 && t >= measure_from) {
            cpu_srv0 = proc_cpu_s(pid);
            cpu_cli0 = self_cpu_s();
        }
        if (measure_from && t >= measure_from && t >= next_sample &&
            nrss < 4096) {
            rss_t[nrss] = (t - measure_from) / 60000.0;
            rss_v[nrss++] = proc_rss_mib(pid);
            next_sample = t + 1000;
        }
        if (end_at && t >= end_at) break;
        int n = epoll_wait(epfd, evs, 1024, 10);
        /* arrival = when epoll reported the data, not when this loop got
         * round to reading it (the client's own queueing is not lateness) */
        t_batch = now_ms();
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (c->state == 0) {
                if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
                    int err = 0;
                    socklen_t el = sizeof err;
                    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                    if (err) {
                        c->state = 3;
                        c->close_code = -2;
                        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                        close(c->fd);
                        continue;
                    }
                    send_handshake(c);
                }
                continue;
            }
            if (c->state == 1 || c->state == 2) on_readable(c);
        }
    }
    double t_end = now_ms();
    double wall = (t_end - measure_from) / 1000.0;
    double cpu_srv = (proc_cpu_s(pid) - cpu_srv0) / wall * 100.0;
    double cpu_cli = (self_cpu_s() - cpu_cli0) / wall * 100.0;

    /* lateness of every paced chunk scheduled inside the window */
    size_t nlate_cap = 0;
    for (int i = 0; i < total; i++)
        nlate_cap += cs[i].nchunks < cs[i].cap ? cs[i].nchunks : cs[i].cap;
    float *late = malloc((nlate_cap + 1) * sizeof *late);
    size_t nl = 0;
    uint64_t on_time = 0, expected = 0, closed = 0, gaps = 0;
    uint64_t late_by_kind[2] = {0, 0}, count_by_kind[2] = {0, 0};
    for (int i = 0; i < total; i++) {
        conn_t *c = &cs[i];
        if (c->state != 2) closed++;
        gaps += c->gaps;
        uint32_t n = c->nchunks < c->cap ? c->nchunks : c->cap;
        if (n <= PREFILL + 1) continue;
        double phase_ms = 1e18;
        for (uint32_t k = PREFILL; k < n; k++) {
            double s =
                c->arrival[k] - (double)(c->seqs[k] - c->first_seq) * CHUNK_MS;
            if (s < phase_ms) phase_ms = s;
        }
        int64_t first_in = -1, last_in = -1;
        uint64_t got = 0;
        for (uint32_t k = PREFILL; k < n; k++) {
            double sched =
                phase_ms + (double)(c->seqs[k] - c->first_seq) * CHUNK_MS;
            double abs_sched = c->t_open + sched;
            if (abs_sched < measure_from || abs_sched >= end_at - 500) continue;
            if (first_in < 0) first_in = c->seqs[k];
            last_in = c->seqs[k];
            float l = (float)(c->arrival[k] - sched);
            late[nl++] = l;
            got++;
            if (l <= 20.0f)
                on_time++;
            else
                late_by_kind[c->personal]++;
            count_by_kind[c->personal]++;
        }
        if (first_in >= 0) expected += (uint64_t)(last_in - first_in + 1);
        (void)got;
    }
    qsort(late, nl, sizeof *late, cmp_float);
    double p50 = nl ? late[nl / 2] : 0,
           p99 = nl ? late[(size_t)(nl * 0.99)] : 0,
           p999 = nl ? late[(size_t)(nl * 0.999)] : 0,
           pmax = nl ? late[nl - 1] : 0;
    double frac = expected ? (double)on_time / (double)expected : 0;

    /* RSS slope: least squares over the window */
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < nrss; i++) {
        sx += rss_t[i];
        sy += rss_v[i];
        sxx += rss_t[i] * rss_t[i];
        sxy += rss_t[i] * rss_v[i];
    }
    double slope =
        nrss > 2 ? (nrss * sxy - sx * sy) / (nrss * sxx - sx * sx) : 0;
    double rss_end = proc_rss_mib(pid);
    int stations_first = phase_end[0];
    double per_listener_kib = nstation > stations_first
                                  ? (rss_phase[1] - rss_phase[0]) * 1024.0 /
                                        (nstation - stations_first)
                                  : 0;
    double per_personal_mib =
        npersonal ? (rss_phase[2] - rss_phase[1]) / npersonal : 0;

    printf(
        "auralis load test: %d station listeners on %d stations + %d personal "
        "streams, %.0f s measured\n",
        nstation, nstations, npersonal, wall);
    printf("  chunks on time (<= 20 ms late, after burst): %.4f%% of %llu "
           "(missing %llu, connections lost %llu)\n",
           frac * 100, (unsigned long long)expected, (unsigned long long)gaps,
           (unsigned long long)closed);
    if (gaps)
        printf("  gaps seen from %.1f s to %.1f s after start (measuring from "
               "%.1f s)\n",
               (first_gap_ms - t_start) / 1000, (last_gap_ms - t_start) / 1000,
               (measure_from - t_start) / 1000);
    printf("  lateness ms: p50 %.2f  p99 %.2f  p99.9 %.2f  max %.1f\n", p50,
           p99, p999, pmax);
    printf("  late chunks: station listeners %.3f%%, personal streams %.3f%%\n",
           count_by_kind[0] ? 100.0 * late_by_kind[0] / count_by_kind[0] : 0,
           count_by_kind[1] ? 100.0 * late_by_kind[1] / count_by_kind[1] : 0);
    printf("  server CPU %.1f%% of one core; client CPU %.1f%%\n", cpu_srv,
           cpu_cli);
    printf("  server RSS: idle %.1f MiB, %d station listeners %.1f MiB, all "
           "%.1f MiB, "
           "end %.1f MiB\n",
           rss0, nstation, rss_phase[1], rss_phase[2], rss_end);
    printf("  memory per station listener %.1f KiB; per personal stream %.2f "
           "MiB\n",
           per_listener_kib, per_personal_mib);
    printf("  RSS slope over the window %.3f MiB/min\n", slope);
    printf("  received per station listener %.0f B/s (%s), per personal "
           "stream %.0f B/s (%s)\n",
           nstation ? rx_bytes[0] / wall / nstation : 0, codec,
           npersonal ? rx_bytes[1] / wall / npersonal : 0, pcodec);
    if (pings) printf("  server pings answered: %llu\n", pings);
    if (closed) {
        /* which close codes ended the lost connections (1006: no close frame) */
        int codes[8] = {0}, counts[8] = {0}, ncodes = 0;
        for (int i = 0; i < total; i++) {
            if (cs[i].state == 2) continue;
            int k = 0;
            while (k < ncodes && codes[k] != cs[i].close_code) k++;
            if (k == ncodes && ncodes < 8) codes[ncodes++] = cs[i].close_code;
            if (k < 8) counts[k]++;
        }
        printf("  lost connections by close code:");
        for (int k = 0; k < ncodes; k++) printf(" %d x%d", codes[k], counts[k]);
        printf("\n");
    }
    if (json_path) {
        FILE *f = fopen(json_path, "w");
        if (f) {
            fprintf(
                f,
                "{\"station_listeners\":%d,\"stations\":%d,\"personal\":%d,"
                "\"seconds\":%.1f,\"on_time_fraction\":%.6f,\"chunks\":%llu,"
                "\"missing\":%llu,\"lost_connections\":%llu,\"late_p50_ms\":%."
                "3f,"
                "\"late_p99_ms\":%.3f,\"late_p999_ms\":%.3f,\"late_max_ms\":%."
                "3f,"
                "\"server_cpu_pct\":%.2f,\"client_cpu_pct\":%.2f,"
                "\"rss_idle_mib\":%.2f,\"rss_end_mib\":%.2f,"
                "\"kib_per_station_listener\":%.2f,\"mib_per_personal_stream\":"
                "%.3f,"
                "\"rss_slope_mib_per_min\":%.4f}\n",
                nstation, nstations, npersonal, wall, frac,
                (unsigned long long)expected, (unsigned long long)gaps,
                (unsigned long long)closed, p50, p99, p999, pmax, cpu_srv,
                cpu_cli, rss0, rss_end, per_listener_kib, per_personal_mib,
                slope);
            fclose(f);
        }
    }
    if (server) {
        kill(pid, SIGTERM);
        int st = 0;
        waitpid(pid, &st, 0);
    }
    return 0;
}
