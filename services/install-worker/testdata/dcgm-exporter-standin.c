/*
 * A stand-in for NVIDIA dcgm-exporter on test nodes without GPUs: same flags (-f COUNTERS.csv,
 * -a :PORT), serves /metrics with one series per field named in the counters file, for one fake
 * GPU. Lets the install-worker's GPU path (binary + unit + counters file + verify) run for real.
 * Built statically by the tests: cc -static -O2 -o dcgm-exporter dcgm-exporter-standin.c
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static char body[1 << 20];
static size_t body_len;

static void load(const char *path) {
  FILE *f = fopen(path, "r");
  char line[1024];
  if (!f) { perror(path); exit(1); }
  body_len = 0;
  while (fgets(line, sizeof line, f)) {
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || *p == 0) continue;
    char *comma = strchr(p, ',');
    if (!comma) continue;
    *comma = 0;
    for (char *e = comma - 1; e >= p && (*e == ' ' || *e == '\t'); e--) *e = 0;
    if (!*p) continue;
    int n = snprintf(body + body_len, sizeof body - body_len,
      "# TYPE %s gauge\n%s{gpu=\"0\",UUID=\"GPU-00000000-0000-0000-0000-aa0000000001\",pci_bus_id=\"00000000:3B:00.0\",device=\"nvidia0\",modelName=\"AAMI stand-in\"} 0\n", p, p);
    if (n < 0 || (size_t)n >= sizeof body - body_len) break;
    body_len += (size_t)n;
  }
  fclose(f);
}

int main(int argc, char **argv) {
  const char *counters = "/etc/dcgm-exporter/default-counters.csv";
  int port = 9400;
  for (int i = 1; i < argc - 1; i++) {
    if (!strcmp(argv[i], "-f")) counters = argv[++i];
    else if (!strcmp(argv[i], "-a")) { const char *c = strrchr(argv[++i], ':'); port = atoi(c ? c + 1 : argv[i]); }
  }
  load(counters);
  signal(SIGPIPE, SIG_IGN);
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port), .sin_addr.s_addr = htonl(INADDR_ANY) };
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 64)) { perror("listen"); return 1; }
  fprintf(stderr, "dcgm-exporter stand-in serving %zu bytes on :%d\n", body_len, port);
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    /* Read the whole request head first: closing with unread bytes would reset the connection. */
    char req[8192];
    size_t got = 0;
    struct timeval tv = { .tv_sec = 5, .tv_usec = 0 };
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (got < sizeof req - 1) {
      ssize_t r = read(c, req + got, sizeof req - 1 - got);
      if (r <= 0) break;
      got += (size_t)r;
      req[got] = 0;
      if (strstr(req, "\r\n\r\n")) break;
    }
    char head[256];
    int hl = snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", body_len);
    if (write(c, head, (size_t)hl) == hl) {
      size_t off = 0;
      while (off < body_len) { ssize_t w = write(c, body + off, body_len - off); if (w <= 0) break; off += (size_t)w; }
    }
    shutdown(c, SHUT_WR);
    while (read(c, req, sizeof req) > 0) {}
    close(c);
  }
}
