/*
 * The plain-C floor for the benchmark (issue 15): what a minimal exporter
 * written in C with libsqlite3 and libmicrohttpd costs. It reads the same
 * services table with one prepared statement and serves the same families
 * and label sets as cinder-exporter from the same rows (up, heartbeat age,
 * reports, disabled, last heartbeat, info with its eleven labels,
 * database_up), threaded the same way (a thread per connection, poll,
 * keep-alive). It skips cinder-exporter's extra care on purpose: duplicate
 * rows, UTF-8 repair, sorting, gzip, OpenMetrics, process metrics.
 *
 *   cc -O2 -o cfloor cfloor.c $(pkg-config --cflags --libs sqlite3 libmicrohttpd)
 *   ./cfloor /path/to/cinder.sqlite PORT
 */
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *SQL =
    "SELECT id, host, `binary`, topic, availability_zone, cluster_name, disabled_reason, "
    "replication_status, active_backend_id, rpc_current_version, object_current_version, "
    "report_count, disabled, frozen, created_at, updated_at FROM services WHERE deleted = 0";

enum { HOST = 1, BINARY, TOPIC, ZONE, CLUSTER, REASON, REPLICATION, BACKEND, RPC, OBJECT, REPORTS, DISABLED, FROZEN, CREATED, UPDATED };

static sqlite3 *db;
static sqlite3_stmt *stmt;
static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct { char *data; size_t len, cap; } buf_t;

static void reserve(buf_t *b, size_t more) {
    if (b->len + more <= b->cap) return;
    while (b->len + more > b->cap) b->cap = b->cap ? b->cap * 2 : 65536;
    b->data = realloc(b->data, b->cap);
}
static void put(buf_t *b, const char *s, size_t n) { reserve(b, n); memcpy(b->data + b->len, s, n); b->len += n; }
static void puts_(buf_t *b, const char *s) { put(b, s, strlen(s)); }
static void escaped(buf_t *b, const unsigned char *s, int n) {
    reserve(b, (size_t)n * 2);
    for (int i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\\' || c == '"') { b->data[b->len++] = '\\'; b->data[b->len++] = (char)c; }
        else if (c == '\n') { b->data[b->len++] = '\\'; b->data[b->len++] = 'n'; }
        else b->data[b->len++] = (char)c;
    }
}

/* Days since 1970-01-01 (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* `YYYY-MM-DD HH:MM:SS[.ffffff]` to microseconds; 0 with *ok = 0 otherwise. */
static int64_t parse_time(const unsigned char *t, int n, int *ok) {
    *ok = 0;
    if (!t || (n != 19 && (n < 21 || n > 26))) return 0;
    int v[6], pos[6] = {0, 5, 8, 11, 14, 17}, len[6] = {4, 2, 2, 2, 2, 2};
    for (int f = 0; f < 6; f++) {
        v[f] = 0;
        for (int i = 0; i < len[f]; i++) {
            unsigned char c = t[pos[f] + i];
            if (c < '0' || c > '9') return 0;
            v[f] = v[f] * 10 + (c - '0');
        }
    }
    int64_t frac = 0;
    for (int i = 20; i < 26; i++) frac = frac * 10 + (i < n ? t[i] - '0' : 0);
    *ok = 1;
    return ((days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5]) * 1000000) + frac;
}

typedef struct { int64_t last; int known; int64_t reports; int has_reports; int disabled; size_t labels, labels_len, info, info_len; } row_t;

static void seconds(buf_t *b, int64_t micros) {
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.17g", (double)micros / 1e6);
    put(b, tmp, (size_t)n);
}

static void family(buf_t *b, const char *name, const char *help) {
    puts_(b, "# HELP "); puts_(b, name); puts_(b, " "); puts_(b, help); puts_(b, "\n# TYPE "); puts_(b, name); puts_(b, " gauge\n");
}

static char *render(size_t *size) {
    buf_t labels = {0}, out = {0};
    row_t *rows = NULL;
    size_t count = 0, cap = 0;
    struct timespec ts;
    int ok = 1;
    pthread_mutex_lock(&db_lock);
    while (1) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) { ok = 0; break; }
        if (count == cap) { cap = cap ? cap * 2 : 1024; rows = realloc(rows, cap * sizeof *rows); }
        row_t *r = &rows[count++];
        int known_u, known_c;
        const unsigned char *u = sqlite3_column_text(stmt, UPDATED);
        int64_t updated = parse_time(u, sqlite3_column_bytes(stmt, UPDATED), &known_u);
        int64_t created = parse_time(sqlite3_column_text(stmt, CREATED), sqlite3_column_bytes(stmt, CREATED), &known_c);
        r->known = u ? known_u : known_c;
        r->last = u ? updated : created;
        r->has_reports = sqlite3_column_type(stmt, REPORTS) != SQLITE_NULL;
        r->reports = sqlite3_column_int64(stmt, REPORTS);
        r->disabled = sqlite3_column_int(stmt, DISABLED) != 0;
        static const char *names[] = {"host", "binary", "zone", "cluster"};
        static const int cols[] = {HOST, BINARY, ZONE, CLUSTER};
        r->labels = labels.len;
        for (int i = 0; i < 4; i++) {
            puts_(&labels, i ? "," : "{"); puts_(&labels, names[i]); puts_(&labels, "=\"");
            escaped(&labels, sqlite3_column_text(stmt, cols[i]), sqlite3_column_bytes(stmt, cols[i]));
            puts_(&labels, "\"");
        }
        r->labels_len = labels.len - r->labels;
        static const char *info_names[] = {"topic", "disabled_reason", "replication_status", "active_backend_id", "rpc_version", "object_version"};
        static const int info_cols[] = {TOPIC, REASON, REPLICATION, BACKEND, RPC, OBJECT};
        r->info = labels.len;
        for (int i = 0; i < 6; i++) {
            puts_(&labels, ","); puts_(&labels, info_names[i]); puts_(&labels, "=\"");
            escaped(&labels, sqlite3_column_text(stmt, info_cols[i]), sqlite3_column_bytes(stmt, info_cols[i]));
            puts_(&labels, "\"");
        }
        puts_(&labels, sqlite3_column_int(stmt, FROZEN) ? ",frozen=\"true\"}" : ",frozen=\"false\"}");
        r->info_len = labels.len - r->info;
    }
    sqlite3_reset(stmt);
    pthread_mutex_unlock(&db_lock);
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    reserve(&out, count * 1200 + 1024);
    char tmp[40];
#define SAMPLE(name, r) do { puts_(&out, name); put(&out, labels.data + (r)->labels, (r)->labels_len); puts_(&out, "} "); } while (0)
    family(&out, "cinder_service_up", "1 if the service heartbeat is within service_down_time of now (Cinder's rule), else 0.");
    for (size_t i = 0; i < count; i++) {
        int64_t age = now - rows[i].last;
        SAMPLE("cinder_service_up", &rows[i]);
        puts_(&out, rows[i].known && llabs(age) <= 60000000 ? "1\n" : "0\n");
    }
    family(&out, "cinder_service_heartbeat_age_seconds", "Seconds since the last heartbeat (updated_at, else created_at); negative when the service clock is ahead.");
    for (size_t i = 0; i < count; i++) if (rows[i].known) { SAMPLE("cinder_service_heartbeat_age_seconds", &rows[i]); seconds(&out, now - rows[i].last); puts_(&out, "\n"); }
    family(&out, "cinder_service_last_heartbeat_timestamp_seconds", "Unix time of the last heartbeat (updated_at, else created_at).");
    for (size_t i = 0; i < count; i++) if (rows[i].known) { SAMPLE("cinder_service_last_heartbeat_timestamp_seconds", &rows[i]); seconds(&out, rows[i].last); puts_(&out, "\n"); }
    family(&out, "cinder_service_reports", "Heartbeats the service has reported (the report_count column).");
    for (size_t i = 0; i < count; i++) if (rows[i].has_reports) { SAMPLE("cinder_service_reports", &rows[i]); put(&out, tmp, (size_t)snprintf(tmp, sizeof tmp, "%lld\n", (long long)rows[i].reports)); }
    family(&out, "cinder_service_disabled", "1 if the service is disabled, else 0.");
    for (size_t i = 0; i < count; i++) { SAMPLE("cinder_service_disabled", &rows[i]); puts_(&out, rows[i].disabled ? "1\n" : "0\n"); }
    family(&out, "cinder_service_info", "Descriptive labels of each live service; the value is always 1.");
    for (size_t i = 0; i < count; i++) {
        puts_(&out, "cinder_service_info"); put(&out, labels.data + rows[i].labels, rows[i].labels_len);
        put(&out, labels.data + rows[i].info, rows[i].info_len); puts_(&out, " 1\n");
    }
    family(&out, "cinder_exporter_database_up", "1 if the last read of the services table succeeded, else 0.");
    puts_(&out, ok ? "cinder_exporter_database_up 1\n" : "cinder_exporter_database_up 0\n");
    free(rows);
    free(labels.data);
    *size = out.len;
    return out.data;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                              const char *upload, size_t *upload_size, void **state) {
    (void)cls; (void)version; (void)upload; (void)upload_size;
    /* Answer on the second call, so the connection stays alive. */
    if (*state == NULL) { *state = (void *)1; return MHD_YES; }
    struct MHD_Response *r;
    unsigned int status = MHD_HTTP_OK;
    if (strcmp(method, "GET") == 0 && strcmp(url, "/metrics") == 0) {
        size_t size;
        char *body = render(&size);
        r = MHD_create_response_from_buffer(size, body, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    } else {
        status = MHD_HTTP_NOT_FOUND;
        r = MHD_create_response_from_buffer(10, (void *)"Not found\n", MHD_RESPMEM_PERSISTENT);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s DB PORT\n", argv[0]); return 2; }
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, SQL, -1, &stmt, NULL) != SQLITE_OK) {
        fprintf(stderr, "cfloor: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_busy_timeout(db, 5000);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
                                            (uint16_t)atoi(argv[2]), NULL, NULL, handle, NULL,
                                            MHD_OPTION_CONNECTION_TIMEOUT, 60U, MHD_OPTION_CONNECTION_LIMIT, 1000U, MHD_OPTION_END);
    if (!d) { fprintf(stderr, "cfloor: cannot listen\n"); return 1; }
    sigset_t set;
    sigemptyset(&set); sigaddset(&set, SIGTERM); sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
