/*
 * logsource.c - live hits: /dev/kmsg, a followed log file, an NFLOG
 * group; see include/logsource.h.
 *
 * Each read handles at most a bounded batch (records, bytes or
 * messages) so that a flood of hits costs the caller a bounded slice of
 * time per call; the rest waits in the kernel (kmsg ring, socket
 * buffer) or in the file.  What the kernel dropped before we read it is
 * counted exactly where the source numbers its records (kmsg sequence
 * numbers, NFLOG per-group sequence numbers) and per event otherwise
 * (ENOBUFS).
 *
 * libnetfilter_log is opened (include/dynlib.h) when an NFLOG group is
 * first opened: the other sources, and every command that reads none,
 * do not load it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <libnetfilter_log/libnetfilter_log.h>

#include "dynlib.h"
#include "fw.h"
#include "linebuf.h"
#include "logsource.h"

#define KMSG_RECORD_MAX 8192		/* the kernel's record limit is smaller */
#define KMSG_BATCH 1024			/* records per logsource_read() */
#define FILE_BATCH (1 << 20)		/* bytes per logsource_read() */
#define FILE_LINE_MAX 65536
#define NFLOG_BATCH 256			/* netlink messages per logsource_read() */
#define NFLOG_BUFFER (64 * 1024)
#define NFLOG_SOCKET_BUFFER (8 * 1024 * 1024)
#define NFLOG_FLUSH_TENTHS_MS 10	/* kernel flush timeout, 1/100 s: live within 0.1 s */
#define SOURCE_NAME_MAX 4096

/* The libnetfilter_log calls of the NFLOG reader, loaded when it is first opened. */
#define NFLOG_CALLS(X) \
	X(nflog_bind_group) X(nflog_bind_pf) X(nflog_callback_register) X(nflog_close) \
	X(nflog_fd) X(nflog_get_indev) X(nflog_get_msg_packet_hwhdr) \
	X(nflog_get_msg_packet_hwhdrlen) X(nflog_get_outdev) X(nflog_get_packet_hw) \
	X(nflog_get_payload) X(nflog_get_prefix) X(nflog_get_seq) X(nflog_get_timestamp) \
	X(nflog_handle_packet) X(nflog_open) X(nflog_set_flags) X(nflog_set_mode) \
	X(nflog_set_timeout) X(nflog_unbind_group)

static struct nflog_calls {
	NFLOG_CALLS(DYNLIB_FIELD)
} lib;

#define NFLOG_SYMBOL(name) DYNLIB_SYMBOL(struct nflog_calls, name)
static const struct dynlib_symbol nflog_symbols[] = {
	NFLOG_CALLS(NFLOG_SYMBOL)
};

static struct dynlib nflog_lib = {
	"libnetfilter_log.so.1", "libnetfilter-log1", "set log_target = log", nflog_symbols,
	sizeof(nflog_symbols) / sizeof(*nflog_symbols), &lib, NULL
};

struct logsource {
	enum logsource_kind kind;
	char name[SOURCE_NAME_MAX];
	int fd;				/* what poll() watches */
	struct hit_context ctx;
	struct logsource_counts counts;
	logsource_hit_fn fn;		/* during logsource_read() */
	void *arg;
	int delivered;

	/* kmsg */
	uint64_t last_seq;
	bool have_seq;
	char *record;

	/* file */
	int file_fd;
	dev_t dev;
	ino_t ino;
	off_t offset;
	enum hit_format format;
	struct linebuf lines;

	/* nflog */
	struct ifname_cache {
		uint32_t index;
		char name[IF_NAMESIZE];
		time_t when;
	} ifnames[8];			/* if_indextoname() costs a socket per call: names kept briefly */
	struct nflog_handle *nflog;
	struct nflog_g_handle *group;
	uint32_t nflog_seq;
	bool have_nflog_seq;
	char *packet;
};

static void source_hit(struct logsource *src, enum hit_result r, const struct hit *h)
{
	switch (r) {
	case HIT_OK:
		src->counts.hits++;
		src->delivered++;
		src->fn(src->arg, h);
		break;
	case HIT_UNTRUSTED:
		src->counts.untrusted++;
		break;
	case HIT_MALFORMED:
		src->counts.malformed++;
		break;
	default:
		break;
	}
}

static struct logsource *source_new(enum logsource_kind kind, const char *name,
				    const struct hit_context *ctx)
{
	struct logsource *src = calloc(1, sizeof(*src));

	if (!src)
		return NULL;
	src->kind = kind;
	snprintf(src->name, sizeof(src->name), "%s", name);
	src->fd = src->file_fd = -1;
	src->ctx = *ctx;
	return src;
}

/* ---- /dev/kmsg */

struct logsource *logsource_open_kmsg(const struct hit_context *ctx, struct error *err)
{
	struct logsource *src = source_new(LOGSOURCE_KMSG, "/dev/kmsg", ctx);

	if (!src || !(src->record = malloc(KMSG_RECORD_MAX))) {
		logsource_close(src);
		error_set(err, "hits: out of memory");
		return NULL;
	}
	src->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (src->fd < 0) {
		error_set(err, "hits: cannot read /dev/kmsg: %s; run as root (or lower "
			       "kernel.dmesg_restrict)",
			  strerror(errno));
		logsource_close(src);
		return NULL;
	}
	/* only records from now on */
	lseek(src->fd, 0, SEEK_END);
	return src;
}

static int kmsg_read(struct logsource *src, struct error *err)
{
	for (int i = 0; i < KMSG_BATCH; i++) {
		ssize_t n = read(src->fd, src->record, KMSG_RECORD_MAX - 1);
		unsigned long long seq;
		struct hit h;

		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {
				/* overrun: the next read resumes at the oldest record; the gap counts */
				continue;
			}
			return error_set(err, "hits: reading /dev/kmsg failed: %s", strerror(errno));
		}
		src->record[n] = '\0';
		src->counts.lines++;
		if (sscanf(src->record, "%*u,%llu,", &seq) == 1) {
			if (src->have_seq && seq > src->last_seq + 1)
				src->counts.lost += seq - src->last_seq - 1;
			src->last_seq = seq;
			src->have_seq = true;
		}
		source_hit(src, hit_parse_line(src->record, (size_t)n, HIT_FORMAT_KMSG, &src->ctx, &h),
			   &h);
	}
	return 0;
}

/* ---- a followed file */

static void file_line(void *arg, const char *line, size_t len)
{
	struct logsource *src = arg;
	struct hit h;

	src->counts.lines++;
	source_hit(src, hit_parse_line(line, len, src->format, &src->ctx, &h), &h);
}

static int file_open(struct logsource *src, bool from_start, struct error *err)
{
	struct stat st;

	src->file_fd = open(src->name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (src->file_fd < 0 || fstat(src->file_fd, &st) < 0)
		return error_set(err, "hits: cannot read %s: %s; check log_files in the config",
				 src->name, strerror(errno));
	src->dev = st.st_dev;
	src->ino = st.st_ino;
	src->offset = from_start ? 0 : lseek(src->file_fd, 0, SEEK_END);
	if (src->offset < 0)
		src->offset = 0;
	return 0;
}

struct logsource *logsource_open_file(const char *path, enum hit_format format, bool from_start,
				      const struct hit_context *ctx, struct error *err)
{
	struct logsource *src = source_new(LOGSOURCE_FILE, path, ctx);
	char dir[SOURCE_NAME_MAX];
	char *slash;

	if (!src || linebuf_init(&src->lines, FILE_LINE_MAX) < 0) {
		logsource_close(src);
		error_set(err, "hits: out of memory");
		return NULL;
	}
	src->format = format;
	if (file_open(src, from_start, err) < 0) {
		logsource_close(src);
		return NULL;
	}
	/* The folder is watched, so a new file renamed into place wakes us too. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	src->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (src->fd < 0 || inotify_add_watch(src->fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO |
								   IN_CLOSE_WRITE | IN_ATTRIB) < 0) {
		error_set(err, "hits: cannot watch %s: %s", dir, strerror(errno));
		logsource_close(src);
		return NULL;
	}
	return src;
}

/* Read up to budget bytes from the current file; returns bytes read or -1. */
static ssize_t file_drain(struct logsource *src, size_t budget, struct error *err)
{
	size_t total = 0;

	while (total < budget) {
		size_t room;
		char *at = linebuf_space(&src->lines, &room);
		ssize_t n;

		if (room > budget - total)
			room = budget - total;
		n = pread(src->file_fd, at, room, src->offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_set(err, "hits: reading %s failed: %s", src->name, strerror(errno));
		}
		if (n == 0)
			break;
		src->offset += n;
		total += (size_t)n;
		linebuf_commit(&src->lines, (size_t)n, file_line, src);
	}
	return (ssize_t)total;
}

static int file_read(struct logsource *src, struct error *err)
{
	char events[4096];
	struct stat st, now;
	ssize_t n;

	while (read(src->fd, events, sizeof(events)) > 0)
		;
	if (fstat(src->file_fd, &st) == 0 && st.st_size < src->offset) {
		/* truncated in place (copytruncate): start over */
		linebuf_finish(&src->lines, file_line, src);
		src->offset = 0;
		src->counts.reopened++;
	}
	n = file_drain(src, FILE_BATCH, err);
	if (n < 0)
		return -1;
	if ((size_t)n == FILE_BATCH)
		return 0;	/* more to read: rotation is looked at once we caught up */
	if (stat(src->name, &now) == 0 && (now.st_ino != src->ino || now.st_dev != src->dev)) {
		/* renamed away and replaced: the old file is read to its end, then the new one */
		linebuf_finish(&src->lines, file_line, src);
		close(src->file_fd);
		src->file_fd = -1;
		if (file_open(src, true, err) < 0)
			return -1;
		src->counts.reopened++;
		return file_drain(src, FILE_BATCH, err) < 0 ? -1 : 0;
	}
	return 0;
}

/* ---- NFLOG */

/* Ports of a TCP/UDP/SCTP header at l4 (len bytes). */
static void packet_ports(struct hit *h, const unsigned char *l4, size_t len)
{
	if ((h->proto == IPPROTO_TCP || h->proto == IPPROTO_UDP || h->proto == IPPROTO_UDPLITE ||
	     h->proto == IPPROTO_SCTP) &&
	    len >= 4) {
		h->sport = (uint16_t)(l4[0] << 8 | l4[1]);
		h->dport = (uint16_t)(l4[2] << 8 | l4[3]);
	}
}

/* Addresses, protocol and ports from the IP packet; false when it is not one. */
static bool packet_parse(struct hit *h, const unsigned char *p, size_t len)
{
	if (len >= 20 && p[0] >> 4 == 4) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4;

		if (ihl < 20 || ihl > len)
			return false;
		h->src.family = h->dst.family = AF_INET;
		h->src.prefix = h->dst.prefix = 32;
		memcpy(h->src.bytes, p + 12, 4);
		memcpy(h->dst.bytes, p + 16, 4);
		h->proto = p[9];
		/* only the first fragment carries the ports */
		if ((p[6] & 0x1f) == 0 && p[7] == 0)
			packet_ports(h, p + ihl, len - ihl);
		return true;
	}
	if (len >= 40 && p[0] >> 4 == 6) {
		h->src.family = h->dst.family = AF_INET6;
		h->src.prefix = h->dst.prefix = 128;
		memcpy(h->src.bytes, p + 8, 16);
		memcpy(h->dst.bytes, p + 24, 16);
		h->proto = p[6];
		packet_ports(h, p + 40, len - 40);
		return true;
	}
	return false;
}

/* The interface name of index, from the source's cache (a name is trusted for 5 s). */
static void ifname_of(struct logsource *src, uint32_t index, char *buf, size_t size)
{
	struct ifname_cache *slot = &src->ifnames[index % (sizeof(src->ifnames) / sizeof(src->ifnames[0]))];
	time_t now = time(NULL);

	buf[0] = '\0';
	if (!index)
		return;
	if (slot->index != index || now - slot->when > 5 || now < slot->when) {
		if (!if_indextoname(index, slot->name)) {
			slot->index = 0;
			return;
		}
		slot->index = index;
		slot->when = now;
	}
	snprintf(buf, size, "%s", slot->name);
}

static int nflog_message(struct nflog_g_handle *gh, struct nfgenmsg *nfmsg,
			 struct nflog_data *nfa, void *data)
{
	struct logsource *src = data;
	struct nfulnl_msg_packet_hw *hw = lib.nflog_get_packet_hw(nfa);
	char *payload, *prefix = lib.nflog_get_prefix(nfa);
	char *hdr = lib.nflog_get_msg_packet_hwhdr(nfa);
	int plen = lib.nflog_get_payload(nfa, &payload);
	uint16_t hdrlen = lib.nflog_get_msg_packet_hwhdrlen(nfa);
	struct timeval tv;
	uint32_t seq;
	struct hit h;

	src->counts.lines++;
	if (lib.nflog_get_seq(nfa, &seq) == 0) {
		if (src->have_nflog_seq && seq > src->nflog_seq + 1)
			src->counts.lost += seq - src->nflog_seq - 1;
		src->nflog_seq = seq;
		src->have_nflog_seq = true;
	}
	memset(&h, 0, sizeof(h));
	if (plen <= 0 || !packet_parse(&h, (const unsigned char *)payload, (size_t)plen)) {
		src->counts.malformed++;
		return 0;
	}
	if (lib.nflog_get_timestamp(nfa, &tv) != 0)
		gettimeofday(&tv, NULL);
	h.time = tv.tv_sec;
	h.usec = tv.tv_usec;
	h.format = HIT_FORMAT_NFLOG;
	h.trusted = true;
	if (prefix) {
		size_t n = strnlen(prefix, HIT_PREFIX_MAX);

		memcpy(h.prefix, prefix, n);
		while (n && h.prefix[n - 1] == ' ')
			h.prefix[--n] = '\0';
	}
	ifname_of(src, lib.nflog_get_indev(nfa), h.in, sizeof(h.in));
	ifname_of(src, lib.nflog_get_outdev(nfa), h.out, sizeof(h.out));
	if (hw && ntohs(hw->hw_addrlen) == 6) {
		memcpy(h.src_mac, hw->hw_addr, 6);
		h.has_src_mac = true;
	}
	/* MAC= as the LOG target prints it */
	for (size_t i = 0, pos = 0; hdr && i < hdrlen && pos + 3 < sizeof(h.mac); i++)
		pos += (size_t)snprintf(h.mac + pos, sizeof(h.mac) - pos, i ? ":%02x" : "%02x",
					(unsigned char)hdr[i]);
	hit_set_zone(&h, src->ctx.cfg);
	source_hit(src, HIT_OK, &h);
	return 0;
}

struct logsource *logsource_open_nflog(unsigned group, const struct hit_context *ctx,
				       struct error *err)
{
	char name[32];
	struct logsource *src;
	int size = NFLOG_SOCKET_BUFFER;
	int fd;

	if (dynlib_load(&nflog_lib, err) < 0)
		return NULL;
	snprintf(name, sizeof(name), "NFLOG group %u", group);
	src = source_new(LOGSOURCE_NFLOG, name, ctx);
	if (!src || !(src->packet = malloc(NFLOG_BUFFER))) {
		logsource_close(src);
		error_set(err, "hits: out of memory");
		return NULL;
	}
	src->nflog = lib.nflog_open();
	if (!src->nflog) {
		error_set(err, "hits: cannot open an NFLOG socket: %s; run as root", strerror(errno));
		logsource_close(src);
		return NULL;
	}
	/* Needed on kernels before 3.17 only; later ones answer that nothing needs binding. */
	lib.nflog_bind_pf(src->nflog, AF_INET);
	lib.nflog_bind_pf(src->nflog, AF_INET6);
	src->group = lib.nflog_bind_group(src->nflog, (uint16_t)group);
	if (!src->group) {
		/* The kernel answers EPERM both to a group bound by another socket and to a
		 * caller without CAP_NET_ADMIN (root in a container or a unit may lack it). */
		if (errno == EBUSY || (errno == EPERM && fw_has_net_admin()))
			error_set(err, "hits: NFLOG group %u is held by another process (ulogd2, or "
				       "another smtpguard); stop it or read its log file instead",
				  group);
		else if (errno == EPERM)
			error_set(err, "hits: cannot bind NFLOG group %u: this process lacks "
				       "CAP_NET_ADMIN; run as root with it (check the unit's "
				       "CapabilityBoundingSet or the container's capabilities)", group);
		else
			error_set(err, "hits: cannot bind NFLOG group %u: %s; run as root", group,
				  strerror(errno));
		logsource_close(src);
		return NULL;
	}
	if (lib.nflog_set_mode(src->group, NFULNL_COPY_PACKET, 256) < 0 ||
	    lib.nflog_set_timeout(src->group, NFLOG_FLUSH_TENTHS_MS) < 0 ||
	    lib.nflog_set_flags(src->group, NFULNL_CFG_F_SEQ) < 0) {
		error_set(err, "hits: cannot configure NFLOG group %u: %s", group, strerror(errno));
		logsource_close(src);
		return NULL;
	}
	lib.nflog_callback_register(src->group, nflog_message, src);
	fd = lib.nflog_fd(src->nflog);
	/* A large buffer rides out bursts; FORCE needs CAP_NET_ADMIN, the plain one does not. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	src->fd = fd;
	return src;
}

static int nflog_read(struct logsource *src, struct error *err)
{
	for (int i = 0; i < NFLOG_BATCH; i++) {
		ssize_t n = recv(src->fd, src->packet, NFLOG_BUFFER, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* the socket overflowed; sequence numbers tell how much when they resume */
				src->counts.lost++;
				continue;
			}
			return error_set(err, "hits: reading NFLOG group failed: %s", strerror(errno));
		}
		lib.nflog_handle_packet(src->nflog, src->packet, (int)n);
	}
	return 0;
}

/* ---- common */

struct logsource *logsource_open_config(const struct hit_context *ctx, struct error *err)
{
	const struct config *cfg = ctx->cfg;
	struct logsource *src;

	if (!cfg) {
		error_set(err, "hits: no config: pass -c FILE");
		return NULL;
	}
	if (cfg->log_target == LOG_TARGET_NFLOG)
		return logsource_open_nflog(cfg->nflog_group, ctx, err);
	src = logsource_open_kmsg(ctx, err);
	if (src)
		return src;
	for (size_t i = 0; i < cfg->nlog_files; i++)
		if (access(cfg->log_files[i], R_OK) == 0)
			return logsource_open_file(cfg->log_files[i], HIT_FORMAT_SYSLOG, false, ctx, err);
	return NULL;	/* err says why /dev/kmsg failed */
}

int logsource_fd(const struct logsource *src)
{
	return src->fd;
}

enum logsource_kind logsource_kind(const struct logsource *src)
{
	return src->kind;
}

const char *logsource_name(const struct logsource *src)
{
	return src->name;
}

int logsource_read(struct logsource *src, logsource_hit_fn fn, void *arg, struct error *err)
{
	static int (*const readers[])(struct logsource *, struct error *) = {
		[LOGSOURCE_KMSG] = kmsg_read,
		[LOGSOURCE_FILE] = file_read,
		[LOGSOURCE_NFLOG] = nflog_read,
	};

	src->fn = fn;
	src->arg = arg;
	src->delivered = 0;
	if (readers[src->kind](src, err) < 0)
		return -1;
	return src->delivered;
}

const struct logsource_counts *logsource_counts(const struct logsource *src)
{
	return &src->counts;
}

void logsource_close(struct logsource *src)
{
	if (!src)
		return;
	if (src->group)
		lib.nflog_unbind_group(src->group);
	if (src->nflog)
		lib.nflog_close(src->nflog);
	else if (src->fd >= 0)
		close(src->fd);
	if (src->file_fd >= 0)
		close(src->file_fd);
	linebuf_free(&src->lines);
	free(src->record);
	free(src->packet);
	free(src);
}

/* ---- the recent hits before following */

static void backfill_hit(void *arg, const struct hit *h)
{
	hit_ring_push(arg, h);
}

int logsource_backfill(const struct hit_context *ctx, struct hit_ring *ring, size_t max_bytes,
		       uint64_t *untrusted, struct error *err)
{
	const struct config *cfg = ctx->cfg;
	enum hit_format format;
	struct logsource *src;
	struct stat st;
	int n;

	for (size_t i = 0; cfg && i < cfg->nlog_files; i++) {
		if (stat(cfg->log_files[i], &st) < 0)
			continue;
		format = cfg->log_target == LOG_TARGET_NFLOG ? HIT_FORMAT_LOGEMU : HIT_FORMAT_AUTO;
		src = logsource_open_file(cfg->log_files[i], format, true, ctx, err);
		if (!src)
			return -1;
		if (max_bytes && st.st_size > (off_t)max_bytes) {
			/* start at a line boundary inside the tail */
			src->offset = st.st_size - (off_t)max_bytes;
			src->lines.skipping = true;
		}
		do {
			n = logsource_read(src, backfill_hit, ring, err);
		} while (n >= 0 && src->offset < st.st_size);
		if (untrusted)
			*untrusted += src->counts.untrusted;
		logsource_close(src);
		return n < 0 ? -1 : 0;
	}
	return 0;
}
