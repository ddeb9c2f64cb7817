/*
 * Load client for sluiced's mutual-TLS listener (bench/README.md): CONCURRENCY keep-alive
 * connections, one thread each, POST reports to /v1/reports and time each answer.
 *
 *   tls_load --connect HOST:PORT --ca CA.pem --cert CLIENT.pem --key CLIENT.key --to DOMAIN
 *            --concurrency N (--requests M | --seconds S) [--rate R] [--id-base B] REPORT...
 *
 * Each request sends one of the REPORT files (in turn) with its `BENCH-<12 digits>` report id
 * rewritten to B + the request's number, so that every request is a new report to the gateway
 * (it derives the transfer id from the report's digest). Closed loop by default: each
 * connection sends its next request when the last is answered. With --rate R, open loop: the
 * requests are spread evenly at R per second in total, and a latency counts from the moment
 * the request was due, not from when it could be sent, so a gateway that falls behind shows
 * it (no coordinated omission).
 *
 * Prints one line: requests=N ok=N (HTTP 200) other=N (another status) failed=N (no answer)
 * seconds=S rate=R/s p50_ms p90_ms p99_ms max_ms reconnects=N. Exit 0 when every request was
 * answered 200, 1 otherwise, 64 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ID_DIGITS 12
#define MAX_HEADER 16384

struct report {
	char *data;
	size_t len;
	size_t id_at; /* offset of the 12 digits after "BENCH-" */
};

static struct {
	struct sockaddr_in addr;
	SSL_CTX *ctx;
	char request_head[512];
	struct report *reports;
	size_t nreports;
	int concurrency;
	long requests;   /* total, or 0 with seconds */
	double seconds;  /* duration, or 0 with requests */
	double rate;     /* total per second, 0 = closed loop */
	unsigned long long id_base;
	double start;
	atomic_long next;
	atomic_long ok, other, failed, reconnects;
} G;

struct worker {
	pthread_t thread;
	int index;
	double *lat; /* ms */
	size_t nlat, cap;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now_s();
	if (d <= 0)
		return;
	struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static SSL *connect_tls(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return NULL;
	int one = 1;
	struct timeval tv = { 30, 0 };
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&G.addr, sizeof(G.addr)) != 0) {
		close(fd);
		return NULL;
	}
	SSL *ssl = SSL_new(G.ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	return ssl;
}

static void close_tls(SSL *ssl)
{
	if (ssl == NULL)
		return;
	int fd = SSL_get_fd(ssl);
	(void)SSL_shutdown(ssl); /* close_notify, so that the server sees a clean close */
	SSL_free(ssl);
	close(fd);
}

static bool write_all(SSL *ssl, const char *p, size_t n)
{
	while (n > 0) {
		int w = SSL_write(ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Reads one HTTP/1.1 answer (headers, then a Content-Length body). The status, or -1. Sets
 * *keep to false when the server says it closes the connection. */
static int read_answer(SSL *ssl, bool *keep)
{
	char h[MAX_HEADER + 1];
	size_t n = 0;
	char *end = NULL;
	while (end == NULL) {
		if (n == MAX_HEADER)
			return -1;
		int r = SSL_read(ssl, h + n, (int)(MAX_HEADER - n));
		if (r <= 0)
			return -1;
		n += (size_t)r;
		h[n] = '\0';
		end = strstr(h, "\r\n\r\n");
	}
	int status = -1;
	if (sscanf(h, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	long clen = 0;
	*keep = true;
	for (char *line = strstr(h, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
			clen = strtol(line + 17, NULL, 10);
		else if (strncasecmp(line + 2, "Connection: close", 17) == 0)
			*keep = false;
	}
	long have = (long)(n - (size_t)(end + 4 - h));
	while (have < clen) {
		char buf[16384];
		long want = clen - have < (long)sizeof(buf) ? clen - have : (long)sizeof(buf);
		int r = SSL_read(ssl, buf, (int)want);
		if (r <= 0)
			return -1;
		have += r;
	}
	return status;
}

static void record(struct worker *w, double ms)
{
	if (w->nlat == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 1024;
		w->lat = realloc(w->lat, w->cap * sizeof(double));
		if (w->lat == NULL) {
			fprintf(stderr, "tls_load: out of memory\n");
			exit(70);
		}
	}
	w->lat[w->nlat++] = ms;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	SSL *ssl = NULL;
	size_t maxlen = 0;
	for (size_t i = 0; i < G.nreports; i++)
		maxlen = G.reports[i].len > maxlen ? G.reports[i].len : maxlen;
	char *body = malloc(maxlen);
	double interval = G.rate > 0 ? G.concurrency / G.rate : 0;
	for (long k = 0;; k++) {
		long n;
		double due;
		if (G.rate > 0) {
			due = G.start + ((double)k + (double)w->index / G.concurrency) * interval;
			if (due >= G.start + G.seconds)
				break;
			sleep_until(due);
			n = atomic_fetch_add(&G.next, 1);
		} else {
			n = atomic_fetch_add(&G.next, 1);
			if ((G.requests > 0 && n >= G.requests) ||
			    (G.seconds > 0 && now_s() >= G.start + G.seconds))
				break;
			due = now_s();
		}
		const struct report *r = &G.reports[(size_t)n % G.nreports];
		memcpy(body, r->data, r->len);
		char id[ID_DIGITS + 1];
		snprintf(id, sizeof(id), "%0*llu", ID_DIGITS, (G.id_base + (unsigned long long)n) % 1000000000000ull);
		memcpy(body + r->id_at, id, ID_DIGITS);
		char head[600];
		int hl = snprintf(head, sizeof(head), "%s%zu\r\n\r\n", G.request_head, r->len);
		int status = -1;
		bool keep = false;
		for (int attempt = 0; attempt < 2 && status < 0; attempt++) {
			if (ssl == NULL) {
				ssl = connect_tls();
				if (ssl == NULL)
					continue;
				if (k > 0 || attempt > 0)
					atomic_fetch_add(&G.reconnects, 1);
			}
			if (write_all(ssl, head, (size_t)hl) && write_all(ssl, body, r->len))
				status = read_answer(ssl, &keep);
			if (status < 0 || !keep) {
				close_tls(ssl);
				ssl = NULL;
			}
		}
		if (status == 200)
			atomic_fetch_add(&G.ok, 1);
		else if (status > 0)
			atomic_fetch_add(&G.other, 1);
		else
			atomic_fetch_add(&G.failed, 1);
		if (status > 0)
			record(w, (now_s() - due) * 1e3);
	}
	close_tls(ssl);
	free(body);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int load_report(const char *path, struct report *r)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
		if (f)
			fclose(f);
		return -1;
	}
	long len = ftell(f);
	rewind(f);
	r->data = malloc((size_t)len + 1);
	if (len <= 0 || r->data == NULL || fread(r->data, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		return -1;
	}
	fclose(f);
	r->data[len] = '\0';
	r->len = (size_t)len;
	char *id = strstr(r->data, "BENCH-");
	if (id == NULL || (size_t)(id - r->data) + 6 + ID_DIGITS > r->len)
		return -1;
	r->id_at = (size_t)(id - r->data) + 6;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: tls_load --connect HOST:PORT --ca CA --cert CERT --key KEY --to DOMAIN\n"
	                "                --concurrency N (--requests M | --seconds S) [--rate R]\n"
	                "                [--id-base B] REPORT...\n");
	return 64;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' }, { "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'e' },    { "key", required_argument, NULL, 'k' },
		{ "to", required_argument, NULL, 't' },      { "concurrency", required_argument, NULL, 'n' },
		{ "requests", required_argument, NULL, 'r' }, { "seconds", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'R' },    { "id-base", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *connect_to = NULL, *ca = NULL, *cert = NULL, *key = NULL, *to = NULL;
	G.concurrency = 1;
	G.id_base = 900000000000ull;
	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		switch (c) {
		case 'c': connect_to = optarg; break;
		case 'a': ca = optarg; break;
		case 'e': cert = optarg; break;
		case 'k': key = optarg; break;
		case 't': to = optarg; break;
		case 'n': G.concurrency = atoi(optarg); break;
		case 'r': G.requests = atol(optarg); break;
		case 's': G.seconds = atof(optarg); break;
		case 'R': G.rate = atof(optarg); break;
		case 'i': G.id_base = strtoull(optarg, NULL, 10); break;
		default: return usage();
		}
	}
	const char *colon = connect_to ? strrchr(connect_to, ':') : NULL;
	if (colon == NULL || !ca || !cert || !key || !to || optind >= argc || G.concurrency < 1 ||
	    G.concurrency > 1024 || (G.requests > 0) == (G.seconds > 0) ||
	    (G.rate > 0 && G.seconds <= 0))
		return usage();
	char host[64];
	snprintf(host, sizeof(host), "%.*s", (int)(colon - connect_to), connect_to);
	G.addr.sin_family = AF_INET;
	G.addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &G.addr.sin_addr) != 1)
		return usage();
	snprintf(G.request_head, sizeof(G.request_head),
	         "POST /v1/reports?to=%s HTTP/1.1\r\nHost: %s\r\n"
	         "Content-Type: application/xml\r\nContent-Length: ", to, connect_to);
	G.nreports = (size_t)(argc - optind);
	G.reports = calloc(G.nreports, sizeof(*G.reports));
	for (size_t i = 0; i < G.nreports; i++)
		if (load_report(argv[optind + (int)i], &G.reports[i]) != 0) {
			fprintf(stderr, "tls_load: %s: cannot read, or no BENCH- report id\n", argv[optind + (int)i]);
			return 64;
		}
	G.ctx = SSL_CTX_new(TLS_client_method());
	if (G.ctx == NULL || SSL_CTX_set_min_proto_version(G.ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(G.ctx, ca, NULL) != 1 ||
	    SSL_CTX_use_certificate_chain_file(G.ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(G.ctx, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 64;
	}
	SSL_CTX_set_verify(G.ctx, SSL_VERIFY_PEER, NULL);
	struct worker *w = calloc((size_t)G.concurrency, sizeof(*w));
	G.start = now_s();
	for (int i = 0; i < G.concurrency; i++) {
		w[i].index = i;
		if (pthread_create(&w[i].thread, NULL, run, &w[i]) != 0) {
			fprintf(stderr, "tls_load: cannot start thread %d\n", i);
			return 70;
		}
	}
	size_t total = 0;
	for (int i = 0; i < G.concurrency; i++) {
		pthread_join(w[i].thread, NULL);
		total += w[i].nlat;
	}
	double secs = now_s() - G.start;
	double *all = malloc((total ? total : 1) * sizeof(double));
	size_t k = 0;
	for (int i = 0; i < G.concurrency; i++) {
		memcpy(all + k, w[i].lat, w[i].nlat * sizeof(double));
		k += w[i].nlat;
		free(w[i].lat);
	}
	qsort(all, total, sizeof(double), cmp_double);
#define PCT(p) (total ? all[(size_t)((double)(total - 1) * (p))] : 0.0)
	long ok = atomic_load(&G.ok), other = atomic_load(&G.other), failed = atomic_load(&G.failed);
	printf("requests=%ld ok=%ld other=%ld failed=%ld seconds=%.2f rate=%.1f p50_ms=%.1f "
	       "p90_ms=%.1f p99_ms=%.1f max_ms=%.1f reconnects=%ld\n",
	       ok + other + failed, ok, other, failed, secs, (double)ok / secs, PCT(0.50), PCT(0.90),
	       PCT(0.99), total ? all[total - 1] : 0.0, atomic_load(&G.reconnects));
	free(all);
	free(w);
	SSL_CTX_free(G.ctx);
	for (size_t i = 0; i < G.nreports; i++)
		free(G.reports[i].data);
	free(G.reports);
	return other == 0 && failed == 0 && ok > 0 ? 0 : 1;
}
