// SPDX-License-Identifier: GPL-2.0
/*
 * Wire-level tests of the patched libfuse, without a kernel.
 *
 * Each case builds a fresh lowlevel session whose device I/O goes through
 * fuse_session_custom_io(): the read callback hands libfuse raw request
 * bytes that the case assembled from module/uapi/fuse_iomap.h (the header
 * of truth), the writev callback records what libfuse sends back.  Cases
 * check the exact reply and notification bytes of every iomap-era opcode
 * (4089-4095, SYNCFS) and notify code (99-101), INIT negotiation of
 * FUSE_CAP_IOMAP, the per-inode flag replies, and that malformed requests
 * (short, oversized, reserved fields set, unknown flags) are answered with
 * an error and never reach the server.  Built with ASan and UBSan by the
 * libfuse check stage.
 *
 * Output is TAP: one "ok N - name" or "not ok N - name" line per case,
 * then "1..N".  Exit status 0 only if every case passed.
 */

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 99)

#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * The wire header, included after fuse_common.h: the public iomap
 * constants are spelled identically in both, so any drift is a
 * redefinition error under -Werror.
 */
#include "fuse_iomap.h"
/* The device and filesystem-type choice shared by mount.c and fusermount. */
#include "mount_iomap.h"

#define MSG_MAX 4096

/* One session under test and everything it wrote. */
struct t {
	struct fuse_session *se;
	int fd;				/* /dev/null: ioctls fail with ENOTTY */
	unsigned char req[MSG_MAX];	/* next request for the read callback */
	size_t req_len;
	unsigned char out[MSG_MAX];	/* everything libfuse wrote */
	size_t out_len;
	unsigned int writes;		/* writev calls */
	uint64_t unique;
	int want_iomap;			/* init() asks for FUSE_CAP_IOMAP */
	int init_want_ok;		/* fuse_set_feature_flag() result */
	/* what the last server callback saw */
	int called;
	uint64_t nodeid, attr_ino, count, u64;
	int64_t pos, written;
	uint32_t opflags, dev, u32;
	int error;
	struct fuse_file_iomap map;
	/* how the callbacks reply */
	struct fuse_file_iomap reply_read, reply_write;
	int reply_write_null;
	struct fuse_iomap_config reply_cfg;
	int64_t reply_newsize;
	unsigned int reply_iflags;
	int reply_ret;			/* return value of the reply call */
};

static struct t *cur;
static char diag[512];

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(diag, sizeof(diag), fmt, ap);
	va_end(ap);
	return 1;
}

#define CHECK(cond, ...) do { if (!(cond)) return fail(__VA_ARGS__); } while (0)

static ssize_t t_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct t *t = userdata;
	size_t total = 0;
	int i;

	(void) fd;
	for (i = 0; i < count; i++) {
		if (t->out_len + iov[i].iov_len > sizeof(t->out))
			abort();
		memcpy(t->out + t->out_len, iov[i].iov_base, iov[i].iov_len);
		t->out_len += iov[i].iov_len;
		total += iov[i].iov_len;
	}
	t->writes++;
	return total;
}

static ssize_t t_read(int fd, void *buf, size_t len, void *userdata)
{
	struct t *t = userdata;

	(void) fd;
	if (t->req_len > len) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, t->req, t->req_len);
	return t->req_len;
}

/* ---- server callbacks: record the arguments, reply as configured ---- */

static void s_init(void *userdata, struct fuse_conn_info *conn)
{
	struct t *t = userdata;

	if (t->want_iomap)
		t->init_want_ok = fuse_set_feature_flag(conn, FUSE_CAP_IOMAP);
}

static void s_iomap_begin(fuse_req_t req, fuse_ino_t nodeid, uint64_t attr_ino,
			  off_t pos, uint64_t count, uint32_t opflags)
{
	struct t *t = fuse_req_userdata(req);

	t->called++;
	t->nodeid = nodeid;
	t->attr_ino = attr_ino;
	t->pos = pos;
	t->count = count;
	t->opflags = opflags;
	t->reply_ret = fuse_reply_iomap_begin(req, &t->reply_read,
			t->reply_write_null ? NULL : &t->reply_write);
}

static void s_iomap_end(fuse_req_t req, fuse_ino_t nodeid, uint64_t attr_ino,
			off_t pos, uint64_t count, uint32_t opflags,
			ssize_t written, const struct fuse_file_iomap *iomap)
{
	struct t *t = fuse_req_userdata(req);

	t->called++;
	t->nodeid = nodeid;
	t->attr_ino = attr_ino;
	t->pos = pos;
	t->count = count;
	t->opflags = opflags;
	t->written = written;
	t->map = *iomap;
	t->reply_ret = fuse_reply_err(req, 0);
}

static void s_iomap_ioend(fuse_req_t req, fuse_ino_t nodeid, uint64_t attr_ino,
			  off_t pos, uint64_t written, uint32_t ioendflags,
			  int error, uint32_t dev, uint64_t new_addr)
{
	struct t *t = fuse_req_userdata(req);

	t->called++;
	t->nodeid = nodeid;
	t->attr_ino = attr_ino;
	t->pos = pos;
	t->written = written;
	t->opflags = ioendflags;
	t->error = error;
	t->dev = dev;
	t->u64 = new_addr;
	t->reply_ret = fuse_reply_iomap_ioend(req, t->reply_newsize);
}

static void s_iomap_config(fuse_req_t req, uint64_t flags, uint64_t maxbytes,
			   uint32_t cache_maxbytes)
{
	struct t *t = fuse_req_userdata(req);

	t->called++;
	t->u64 = flags;
	t->count = maxbytes;
	t->u32 = cache_maxbytes;
	t->reply_ret = fuse_reply_iomap_config(req, &t->reply_cfg);
}

static void s_syncfs(fuse_req_t req, fuse_ino_t ino)
{
	struct t *t = fuse_req_userdata(req);

	t->called++;
	t->nodeid = ino;
	fuse_reply_err(req, 0);
}

static void s_freezefs(fuse_req_t req, fuse_ino_t ino, uint64_t unlinked)
{
	struct t *t = fuse_req_userdata(req);

	t->called++;
	t->nodeid = ino;
	t->u64 = unlinked;
	fuse_reply_err(req, 0);
}

static void s_unfreezefs(fuse_req_t req, fuse_ino_t ino)
{
	struct t *t = fuse_req_userdata(req);

	t->called++;
	t->nodeid = ino;
	fuse_reply_err(req, 0);
}

static void s_shutdownfs(fuse_req_t req, fuse_ino_t ino, uint64_t flags)
{
	struct t *t = fuse_req_userdata(req);

	t->called++;
	t->nodeid = ino;
	t->u64 = flags;
	fuse_reply_err(req, EROFS);	/* any errno travels back unchanged */
}

static void s_test_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = 12;
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_size = 8192;
}

static void s_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct t *t = fuse_req_userdata(req);
	struct stat st;

	(void) fi;
	t->called++;
	t->nodeid = ino;
	s_test_stat(&st);
	t->reply_ret = fuse_reply_attr_iflags(req, &st, t->reply_iflags, 1.5);
}

static void s_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct t *t = fuse_req_userdata(req);
	struct fuse_entry_param e = { .ino = 12, .generation = 3 };

	(void) name;
	t->called++;
	t->nodeid = parent;
	s_test_stat(&e.attr);
	t->reply_ret = fuse_reply_entry_iflags(req, &e, t->reply_iflags);
}

static void s_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, struct fuse_file_info *fi)
{
	struct t *t = fuse_req_userdata(req);
	struct fuse_entry_param e = { .ino = 12, .generation = 3 };

	(void) name;
	(void) mode;
	t->called++;
	t->nodeid = parent;
	s_test_stat(&e.attr);
	fi->fh = 77;
	t->reply_ret = fuse_reply_create_iflags(req, &e, t->reply_iflags, fi);
}

static const struct fuse_lowlevel_ops full_ops = {
	.init		= s_init,
	.lookup		= s_lookup,
	.getattr	= s_getattr,
	.create		= s_create,
	.iomap_begin	= s_iomap_begin,
	.iomap_end	= s_iomap_end,
	.iomap_ioend	= s_iomap_ioend,
	.iomap_config	= s_iomap_config,
	.syncfs		= s_syncfs,
	.freezefs	= s_freezefs,
	.unfreezefs	= s_unfreezefs,
	.shutdownfs	= s_shutdownfs,
};

static const struct fuse_lowlevel_ops init_only_ops = {
	.init		= s_init,
};

static const struct fuse_custom_io t_io = {
	.writev = t_writev,
	.read = t_read,
};

static struct t *t_new(const struct fuse_lowlevel_ops *ops, int want_iomap)
{
	char *argv[] = { "iomap_proto_test", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct t *t = calloc(1, sizeof(*t));

	if (t == NULL)
		abort();
	t->want_iomap = want_iomap;
	t->unique = 100;
	t->fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	t->se = fuse_session_new(&args, ops, sizeof(*ops), t);
	fuse_opt_free_args(&args);
	if (t->fd < 0 || t->se == NULL ||
	    fuse_session_custom_io(t->se, &t_io, sizeof(t_io), t->fd) != 0)
		abort();
	cur = t;
	return t;
}

static void t_free(struct t *t)
{
	if (t == NULL)
		return;
	fuse_session_destroy(t->se);	/* closes t->fd */
	free(t);
	cur = NULL;
}

/*
 * Feed one request of @arglen argument bytes through the read callback
 * and let libfuse process it; the header's len always matches what the
 * read returns.  Returns the receive status (bytes, or -errno).
 */
static int t_send(struct t *t, uint32_t opcode, uint64_t nodeid,
		  const void *arg, size_t arglen)
{
	struct fuse_in_header in = {
		.len = sizeof(in) + arglen,
		.opcode = opcode,
		.unique = ++t->unique,
		.nodeid = nodeid,
		.uid = 0, .gid = 0, .pid = 1,
	};
	struct fuse_buf fbuf = { .mem = NULL };
	int res;

	memcpy(t->req, &in, sizeof(in));
	if (arglen)
		memcpy(t->req + sizeof(in), arg, arglen);
	t->req_len = sizeof(in) + arglen;
	t->out_len = 0;
	t->writes = 0;
	res = fuse_session_receive_buf(t->se, &fbuf);
	if (res > 0)
		fuse_session_process_buf(t->se, &fbuf);
	free(fbuf.mem);
	return res;
}

/* The reply to the last request: header checks, payload pointer. */
static int t_reply(struct t *t, int32_t error, size_t payload,
		   const unsigned char **body)
{
	struct fuse_out_header out;

	CHECK(t->out_len >= sizeof(out), "no reply (wrote %zu bytes)", t->out_len);
	memcpy(&out, t->out, sizeof(out));
	CHECK(out.unique == t->unique, "reply unique %llu, want %llu",
	      (unsigned long long) out.unique, (unsigned long long) t->unique);
	CHECK(out.error == error, "reply error %d, want %d", out.error, error);
	CHECK(out.len == sizeof(out) + payload && t->out_len == out.len,
	      "reply length %u (wrote %zu), want %zu", out.len, t->out_len,
	      sizeof(out) + payload);
	if (body)
		*body = t->out + sizeof(out);
	return 0;
}

static int t_init(struct t *t, int offer_iomap)
{
	struct fuse_init_in in = {
		.major = FUSE_KERNEL_VERSION,
		.minor = FUSE_KERNEL_MINOR_VERSION,
		.max_readahead = 65536,
		.flags = (uint32_t) (FUSE_INIT_EXT | FUSE_ASYNC_READ | FUSE_BIG_WRITES),
		.flags2 = offer_iomap ? (uint32_t) (FUSE_IOMAP >> 32) : 0,
	};

	t_send(t, FUSE_INIT, 0, &in, sizeof(in));
	return 0;
}

/* A session after INIT, with FUSE_CAP_IOMAP negotiated. */
static struct t *t_ready(void)
{
	struct t *t = t_new(&full_ops, 1);
	const unsigned char *body;

	t_init(t, 1);
	if (t_reply(t, 0, sizeof(struct fuse_init_out), &body))
		abort();
	return t;
}

static const struct fuse_file_iomap map_a = {
	.offset = 4096, .length = 65536, .addr = 1 << 20,
	.type = FUSE_IOMAP_TYPE_MAPPED, .flags = FUSE_IOMAP_F_NEW | FUSE_IOMAP_F_DIRTY,
	.dev = 1,
};

static void wire_map(struct fuse_iomap_io *io, const struct fuse_file_iomap *m)
{
	memset(io, 0, sizeof(*io));
	io->offset = m->offset;
	io->length = m->length;
	io->addr = m->addr;
	io->type = m->type;
	io->flags = m->flags;
	io->dev = m->dev;
}

/* ================================ cases ================================ */

static int c_init_negotiates_iomap(void)
{
	struct t *t = t_new(&full_ops, 1);
	const unsigned char *body;
	struct fuse_init_out out;

	t_init(t, 1);
	CHECK(!t_reply(t, 0, sizeof(out), &body), "%s", diag);
	memcpy(&out, body, sizeof(out));
	CHECK(out.major == 7 && out.minor == 99, "version %u.%u", out.major, out.minor);
	CHECK(out.flags & FUSE_INIT_EXT, "FUSE_INIT_EXT not set: 0x%x", out.flags);
	CHECK(out.flags2 == (uint32_t) (FUSE_IOMAP >> 32),
	      "flags2 0x%x, want only bit 11", out.flags2);
	CHECK(t->init_want_ok, "fuse_set_feature_flag(FUSE_CAP_IOMAP) failed");
	t_free(t);
	return 0;
}

static int c_init_iomap_not_wanted(void)
{
	struct t *t = t_new(&full_ops, 0);
	const unsigned char *body;
	struct fuse_init_out out;

	t_init(t, 1);
	CHECK(!t_reply(t, 0, sizeof(out), &body), "%s", diag);
	memcpy(&out, body, sizeof(out));
	CHECK(!(out.flags2 & (uint32_t) (FUSE_IOMAP >> 32)),
	      "iomap accepted without being wanted: flags2 0x%x", out.flags2);
	t_free(t);
	return 0;
}

static int c_init_iomap_not_offered(void)
{
	struct t *t = t_new(&full_ops, 1);

	/* The server asks for a capability the kernel did not offer. */
	t_init(t, 0);
	CHECK(!t->init_want_ok, "FUSE_CAP_IOMAP settable without the kernel's offer");
	CHECK(!t_reply(t, 0, sizeof(struct fuse_init_out), NULL), "%s", diag);
	t_free(t);
	return 0;
}

static int c_iomap_begin(void)
{
	struct t *t = t_ready();
	struct fuse_iomap_begin_in in = {
		.opflags = FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT,
		.attr_ino = 12, .pos = 8192, .count = 4096,
	};
	struct fuse_iomap_begin_out want;
	const unsigned char *body;

	t->reply_read = map_a;
	t->reply_write = map_a;
	t->reply_write.type = FUSE_IOMAP_TYPE_UNWRITTEN;
	t->reply_write.addr = 2 << 20;
	t_send(t, FUSE_IOMAP_BEGIN, 5, &in, sizeof(in));
	CHECK(t->called == 1, "iomap_begin called %d times", t->called);
	CHECK(t->nodeid == 5 && t->attr_ino == 12 && t->pos == 8192 &&
	      t->count == 4096 && t->opflags == in.opflags,
	      "arguments %llu %llu %lld %llu 0x%x", (unsigned long long) t->nodeid,
	      (unsigned long long) t->attr_ino, (long long) t->pos,
	      (unsigned long long) t->count, t->opflags);
	CHECK(!t_reply(t, 0, sizeof(want), &body), "%s", diag);
	wire_map(&want.read, &t->reply_read);
	wire_map(&want.write, &t->reply_write);
	CHECK(memcmp(body, &want, sizeof(want)) == 0, "reply bytes differ");
	CHECK(t->reply_ret == 0, "fuse_reply_iomap_begin returned %d", t->reply_ret);
	t_free(t);
	return 0;
}

static int c_iomap_begin_pure_overwrite(void)
{
	struct t *t = t_ready();
	struct fuse_iomap_begin_in in = { .opflags = FUSE_IOMAP_OP_WRITE,
					  .attr_ino = 12, .pos = 4096, .count = 512 };
	struct fuse_iomap_begin_out want;
	const unsigned char *body;

	t->reply_read = map_a;
	t->reply_write_null = 1;
	t_send(t, FUSE_IOMAP_BEGIN, 5, &in, sizeof(in));
	CHECK(!t_reply(t, 0, sizeof(want), &body), "%s", diag);
	wire_map(&want.read, &map_a);
	memset(&want.write, 0, sizeof(want.write));
	want.write.offset = map_a.offset;
	want.write.length = map_a.length;
	want.write.addr = FUSE_IOMAP_NULL_ADDR;
	want.write.type = FUSE_IOMAP_TYPE_PURE_OVERWRITE;
	CHECK(memcmp(body, &want, sizeof(want)) == 0, "reply bytes differ");
	t_free(t);
	return 0;
}

static int c_iomap_end(void)
{
	struct t *t = t_ready();
	struct fuse_iomap_end_in in = {
		.opflags = FUSE_IOMAP_OP_WRITE, .attr_ino = 12, .pos = 4096,
		.count = 8192, .written = 4096,
	};

	wire_map(&in.map, &map_a);
	in.map.flags |= FUSE_IOMAP_F_SIZE_CHANGED | FUSE_IOMAP_F_STALE;
	t_send(t, FUSE_IOMAP_END, 5, &in, sizeof(in));
	CHECK(t->called == 1, "iomap_end called %d times", t->called);
	CHECK(t->written == 4096 && t->count == 8192 && t->pos == 4096 &&
	      t->attr_ino == 12 && t->nodeid == 5, "arguments differ");
	CHECK(t->map.offset == map_a.offset && t->map.length == map_a.length &&
	      t->map.addr == map_a.addr && t->map.type == map_a.type &&
	      t->map.dev == map_a.dev &&
	      t->map.flags == (map_a.flags | FUSE_IOMAP_F_SIZE_CHANGED |
			       FUSE_IOMAP_F_STALE), "mapping not converted");
	CHECK(!t_reply(t, 0, 0, NULL), "%s", diag);
	t_free(t);
	return 0;
}

static int c_iomap_ioend(void)
{
	struct t *t = t_ready();
	struct fuse_iomap_ioend_in in = {
		.flags = FUSE_IOMAP_IOEND_UNWRITTEN | FUSE_IOMAP_IOEND_APPEND |
			 FUSE_IOMAP_IOEND_DIRECT,
		.error = -EIO, .attr_ino = 12, .pos = 1 << 20,
		.new_addr = FUSE_IOMAP_NULL_ADDR, .written = 65536, .dev = 3,
	};
	struct fuse_iomap_ioend_out want = { .newsize = (1 << 20) + 65536 };
	const unsigned char *body;

	t->reply_newsize = want.newsize;
	t_send(t, FUSE_IOMAP_IOEND, 5, &in, sizeof(in));
	CHECK(t->called == 1, "iomap_ioend called %d times", t->called);
	CHECK(t->opflags == in.flags && t->error == -EIO && t->dev == 3 &&
	      t->u64 == FUSE_IOMAP_NULL_ADDR && (uint64_t) t->written == 65536 &&
	      t->pos == 1 << 20, "arguments differ");
	CHECK(!t_reply(t, 0, sizeof(want), &body), "%s", diag);
	CHECK(memcmp(body, &want, sizeof(want)) == 0, "newsize bytes differ");
	t_free(t);
	return 0;
}

static int c_iomap_config(void)
{
	struct t *t = t_ready();
	struct fuse_iomap_config_in in = {
		.flags = 0x7f, .maxbytes = 0x7fffffffffffffffLL,
		.cache_maxbytes = 262144,
	};
	struct fuse_iomap_config_out want;
	const unsigned char *body;
	struct fuse_iomap_config *c = &t->reply_cfg;

	c->flags = FUSE_IOMAP_CONFIG_SID | FUSE_IOMAP_CONFIG_UUID |
		   FUSE_IOMAP_CONFIG_BLOCKSIZE | FUSE_IOMAP_CONFIG_TIME |
		   FUSE_IOMAP_CONFIG_MAXBYTES | FUSE_IOMAP_CONFIG_CACHE_MAXBYTES |
		   FUSE_IOMAP_CONFIG_MAX_LINKS;
	strcpy(c->s_id, "test");
	memset(c->s_uuid, 0xab, 16);
	c->s_uuid_len = 16;
	c->s_blocksize = 4096;
	c->s_max_links = 65000;
	c->s_time_gran = 1;
	c->s_time_min = -(1LL << 31);
	c->s_time_max = (1LL << 34) - 1;
	c->s_maxbytes = 1LL << 44;
	c->cache_maxbytes = 1 << 20;
	t_send(t, FUSE_IOMAP_CONFIG, 0, &in, sizeof(in));
	CHECK(t->called == 1 && t->u64 == 0x7f &&
	      t->count == 0x7fffffffffffffffULL && t->u32 == 262144,
	      "arguments differ");
	memset(&want, 0, sizeof(want));
	want.flags = c->flags;
	memcpy(want.s_id, c->s_id, sizeof(want.s_id));
	memcpy(want.s_uuid, c->s_uuid, sizeof(want.s_uuid));
	want.s_uuid_len = 16;
	want.s_blocksize = 4096;
	want.s_max_links = 65000;
	want.s_time_gran = 1;
	want.s_time_min = c->s_time_min;
	want.s_time_max = c->s_time_max;
	want.s_maxbytes = c->s_maxbytes;
	want.cache_maxbytes = c->cache_maxbytes;
	CHECK(!t_reply(t, 0, sizeof(want), &body), "%s", diag);
	CHECK(sizeof(want) == 104, "config_out is %zu bytes", sizeof(want));
	CHECK(memcmp(body, &want, sizeof(want)) == 0, "reply bytes differ");
	t_free(t);
	return 0;
}

static int c_syncfs(void)
{
	struct t *t = t_ready();
	struct fuse_syncfs_in in = { 0 };

	t_send(t, FUSE_SYNCFS, 1, &in, sizeof(in));
	CHECK(t->called == 1 && t->nodeid == 1, "syncfs not called for the root");
	CHECK(!t_reply(t, 0, 0, NULL), "%s", diag);
	t_free(t);
	return 0;
}

static int c_freezefs(void)
{
	struct t *t = t_ready();
	struct fuse_freezefs_in in = { .unlinked = 42 };

	t_send(t, FUSE_FREEZE_FS, 1, &in, sizeof(in));
	CHECK(t->called == 1 && t->u64 == 42, "freezefs: unlinked %llu",
	      (unsigned long long) t->u64);
	CHECK(!t_reply(t, 0, 0, NULL), "%s", diag);
	t_free(t);
	return 0;
}

static int c_unfreezefs(void)
{
	struct t *t = t_ready();

	t_send(t, FUSE_UNFREEZE_FS, 1, NULL, 0);
	CHECK(t->called == 1 && t->nodeid == 1, "unfreezefs not called");
	CHECK(!t_reply(t, 0, 0, NULL), "%s", diag);
	t_free(t);
	return 0;
}

static int c_shutdownfs(void)
{
	struct t *t = t_ready();
	struct fuse_shutdownfs_in in = { 0 };

	t_send(t, FUSE_SHUTDOWN_FS, 1, &in, sizeof(in));
	CHECK(t->called == 1 && t->u64 == 0, "shutdownfs not called");
	CHECK(!t_reply(t, -EROFS, 0, NULL), "%s", diag);
	t_free(t);
	return 0;
}

/* Every iomap-era opcode with its well-formed argument size. */
static const struct {
	uint32_t opcode;
	size_t size;
	int iomap_only;		/* needs FUSE_CAP_IOMAP */
} opcodes[] = {
	{ FUSE_SYNCFS, sizeof(struct fuse_syncfs_in), 0 },
	{ FUSE_FREEZE_FS, sizeof(struct fuse_freezefs_in), 0 },
	{ FUSE_UNFREEZE_FS, 0, 0 },
	{ FUSE_SHUTDOWN_FS, sizeof(struct fuse_shutdownfs_in), 0 },
	{ FUSE_IOMAP_CONFIG, sizeof(struct fuse_iomap_config_in), 1 },
	{ FUSE_IOMAP_IOEND, sizeof(struct fuse_iomap_ioend_in), 1 },
	{ FUSE_IOMAP_BEGIN, sizeof(struct fuse_iomap_begin_in), 1 },
	{ FUSE_IOMAP_END, sizeof(struct fuse_iomap_end_in), 1 },
};
#define NR_OPCODES (sizeof(opcodes) / sizeof(opcodes[0]))

/* A well-formed argument for @opcode: zeroes, plus a count for BEGIN. */
static void good_arg(uint32_t opcode, unsigned char *buf)
{
	memset(buf, 0, 256);
	if (opcode == FUSE_IOMAP_BEGIN)
		((struct fuse_iomap_begin_in *) buf)->count = 4096;
	if (opcode == FUSE_IOMAP_END) {
		struct fuse_iomap_end_in *e = (void *) buf;

		e->count = 4096;
		e->map.type = FUSE_IOMAP_TYPE_HOLE;
	}
}

static int c_unimplemented_is_enosys(void)
{
	struct t *t = t_new(&init_only_ops, 1);
	unsigned char arg[256];
	size_t i;

	t_init(t, 1);
	for (i = 0; i < NR_OPCODES; i++) {
		good_arg(opcodes[i].opcode, arg);
		t_send(t, opcodes[i].opcode, 1, arg, opcodes[i].size);
		CHECK(!t_reply(t, -ENOSYS, 0, NULL), "opcode %u: %s",
		      opcodes[i].opcode, diag);
	}
	t_free(t);
	return 0;
}

static int c_iomap_needs_negotiation(void)
{
	struct t *t = t_new(&full_ops, 0);
	unsigned char arg[256];
	size_t i;

	t_init(t, 1);	/* offered, but the server did not want it */
	for (i = 0; i < NR_OPCODES; i++) {
		if (!opcodes[i].iomap_only)
			continue;
		good_arg(opcodes[i].opcode, arg);
		t_send(t, opcodes[i].opcode, 1, arg, opcodes[i].size);
		CHECK(!t_reply(t, -ENOSYS, 0, NULL), "opcode %u: %s",
		      opcodes[i].opcode, diag);
		CHECK(t->called == 0, "opcode %u reached the server",
		      opcodes[i].opcode);
	}
	t_free(t);
	return 0;
}

static int c_wrong_sizes_are_eproto(void)
{
	struct t *t = t_ready();
	unsigned char arg[256];
	size_t i;

	for (i = 0; i < NR_OPCODES; i++) {
		size_t sizes[3] = { opcodes[i].size + 8, opcodes[i].size - 1,
				    opcodes[i].size / 2 };
		int j;

		good_arg(opcodes[i].opcode, arg);
		for (j = 0; j < 3; j++) {
			if (opcodes[i].size == 0 && j > 0)
				continue;
			t_send(t, opcodes[i].opcode, 1, arg, sizes[j]);
			CHECK(!t_reply(t, -EPROTO, 0, NULL),
			      "opcode %u size %zu: %s", opcodes[i].opcode,
			      sizes[j], diag);
		}
	}
	CHECK(t->called == 0, "a malformed request reached the server");
	t_free(t);
	return 0;
}

/* Overwrite @width bytes at @off of a well-formed argument. */
struct spoil {
	const char *what;
	uint32_t opcode;
	size_t off, width;
	uint64_t value;
};

#define SPOIL(what, op, type, field, val) \
	{ what, op, offsetof(struct type, field), \
	  sizeof(((struct type *) 0)->field), (uint64_t) (val) }

static int c_bad_fields_are_einval(void)
{
	static const struct spoil cases[] = {
		SPOIL("begin reserved", FUSE_IOMAP_BEGIN, fuse_iomap_begin_in, reserved, 1),
		SPOIL("begin opflags", FUSE_IOMAP_BEGIN, fuse_iomap_begin_in, opflags, 1U << 20),
		SPOIL("begin count 0", FUSE_IOMAP_BEGIN, fuse_iomap_begin_in, count, 0),
		SPOIL("begin pos > OFF_MAX", FUSE_IOMAP_BEGIN, fuse_iomap_begin_in, pos, 1ULL << 63),
		SPOIL("end reserved", FUSE_IOMAP_END, fuse_iomap_end_in, reserved, 1),
		SPOIL("end opflags", FUSE_IOMAP_END, fuse_iomap_end_in, opflags, 1U << 29),
		SPOIL("end map type", FUSE_IOMAP_END, fuse_iomap_end_in, map.type, 7),
		SPOIL("end map flags", FUSE_IOMAP_END, fuse_iomap_end_in, map.flags, 1U << 12),
		SPOIL("end written > count", FUSE_IOMAP_END, fuse_iomap_end_in, written, 8192),
		SPOIL("end written < 0", FUSE_IOMAP_END, fuse_iomap_end_in, written, -1),
		SPOIL("ioend flags", FUSE_IOMAP_IOEND, fuse_iomap_ioend_in, flags, 1U << 9),
		SPOIL("ioend pad", FUSE_IOMAP_IOEND, fuse_iomap_ioend_in, pad, 1),
		SPOIL("ioend positive error", FUSE_IOMAP_IOEND, fuse_iomap_ioend_in, error, 5),
		SPOIL("config zero", FUSE_IOMAP_CONFIG, fuse_iomap_config_in, zero, 1),
		SPOIL("config padding", FUSE_IOMAP_CONFIG, fuse_iomap_config_in, padding[4], 1),
		SPOIL("config maxbytes < 0", FUSE_IOMAP_CONFIG, fuse_iomap_config_in, maxbytes, -1),
		SPOIL("shutdown flags", FUSE_SHUTDOWN_FS, fuse_shutdownfs_in, flags, 1),
		SPOIL("syncfs padding", FUSE_SYNCFS, fuse_syncfs_in, padding, 1),
	};
	struct t *t = t_ready();
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char arg[256];
		size_t size = 0;

		for (j = 0; j < NR_OPCODES; j++)
			if (opcodes[j].opcode == cases[i].opcode)
				size = opcodes[j].size;
		good_arg(cases[i].opcode, arg);
		/* little-endian: the low bytes of value go first */
		memcpy(arg + cases[i].off, &cases[i].value, cases[i].width);
		t_send(t, cases[i].opcode, 1, arg, size);
		CHECK(!t_reply(t, -EINVAL, 0, NULL), "%s: %s", cases[i].what, diag);
	}
	CHECK(t->called == 0, "a malformed request reached the server");
	t_free(t);
	return 0;
}

static int c_truncated_header(void)
{
	struct t *t = t_ready();
	struct fuse_buf fbuf = { .mem = NULL };
	int res;

	/* 20 bytes: less than a fuse_in_header */
	memset(t->req, 0, 20);
	t->req_len = 20;
	t->out_len = 0;
	res = fuse_session_receive_buf(t->se, &fbuf);
	free(fbuf.mem);
	CHECK(res < 0, "a 20-byte request was accepted (%d)", res);
	CHECK(t->out_len == 0, "libfuse replied to a truncated header");
	t_free(t);
	return 0;
}

static int c_oversized_request(void)
{
	struct t *t = t_ready();
	static unsigned char big[MSG_MAX - sizeof(struct fuse_in_header)];

	/* A huge BEGIN request: rejected by size, never seen by the server. */
	memset(big, 0xff, sizeof(big));
	t_send(t, FUSE_IOMAP_BEGIN, 1, big, sizeof(big));
	CHECK(!t_reply(t, -EPROTO, 0, NULL), "%s", diag);
	CHECK(t->called == 0, "the server saw an oversized request");
	t_free(t);
	return 0;
}

static int c_unknown_opcode(void)
{
	struct t *t = t_ready();

	t_send(t, 4088, 1, NULL, 0);
	CHECK(!t_reply(t, -ENOSYS, 0, NULL), "opcode 4088: %s", diag);
	t_send(t, 5000, 1, NULL, 0);
	CHECK(!t_reply(t, -ENOSYS, 0, NULL), "opcode 5000: %s", diag);
	t_free(t);
	return 0;
}

/* The server replies with something the kernel would reject. */
static int c_invalid_begin_reply_is_eio(void)
{
	static const struct { const char *what; uint16_t type, flags; int rnull; } bad[] = {
		{ "unknown type", 9, 0, 0 },
		{ "kernel-only flag", FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_STALE, 0 },
		{ "pure overwrite read half", FUSE_IOMAP_TYPE_PURE_OVERWRITE, 0, 0 },
		{ "nocache in begin", FUSE_IOMAP_TYPE_NOCACHE, 0, 0 },
	};
	struct fuse_iomap_begin_in in = { .attr_ino = 12, .count = 4096 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct t *t = t_ready();

		t->reply_read = map_a;
		t->reply_read.type = bad[i].type;
		t->reply_read.flags = bad[i].flags;
		t->reply_write_null = 1;
		t_send(t, FUSE_IOMAP_BEGIN, 5, &in, sizeof(in));
		CHECK(!t_reply(t, -EIO, 0, NULL), "%s: %s", bad[i].what, diag);
		CHECK(t->reply_ret == -EINVAL, "%s: reply returned %d",
		      bad[i].what, t->reply_ret);
		t_free(t);
	}
	return 0;
}

static int c_invalid_config_reply_is_eio(void)
{
	struct t *t = t_ready();
	struct fuse_iomap_config_in in = { 0 };

	t->reply_cfg.flags = FUSE_IOMAP_CONFIG_UUID;
	t->reply_cfg.s_uuid_len = 17;
	t_send(t, FUSE_IOMAP_CONFIG, 0, &in, sizeof(in));
	CHECK(!t_reply(t, -EIO, 0, NULL), "uuid_len 17: %s", diag);
	t->reply_cfg.s_uuid_len = 0;
	t->reply_cfg.flags = 1ULL << 40;
	t_send(t, FUSE_IOMAP_CONFIG, 0, &in, sizeof(in));
	CHECK(!t_reply(t, -EIO, 0, NULL), "unknown config flag: %s", diag);
	t_free(t);
	return 0;
}

static int c_invalid_ioend_reply_is_eio(void)
{
	struct t *t = t_ready();
	struct fuse_iomap_ioend_in in = { 0 };

	t->reply_newsize = -1;
	t_send(t, FUSE_IOMAP_IOEND, 5, &in, sizeof(in));
	CHECK(!t_reply(t, -EIO, 0, NULL), "%s", diag);
	t_free(t);
	return 0;
}

static const uint32_t all_iflags = FUSE_IFLAG_EXCLUSIVE | FUSE_IFLAG_IOMAP |
	FUSE_IFLAG_ATOMIC | FUSE_IFLAG_SYNC | FUSE_IFLAG_IMMUTABLE |
	FUSE_IFLAG_APPEND;
static const uint32_t all_attr_flags = FUSE_ATTR_EXCLUSIVE | FUSE_ATTR_IOMAP |
	FUSE_ATTR_ATOMIC | FUSE_ATTR_SYNC | FUSE_ATTR_IMMUTABLE |
	FUSE_ATTR_APPEND;

static int c_attr_iflags(void)
{
	static const struct { uint32_t iflag, attr; } one[] = {
		{ FUSE_IFLAG_EXCLUSIVE, FUSE_ATTR_EXCLUSIVE },
		{ FUSE_IFLAG_IOMAP, FUSE_ATTR_IOMAP },
		{ FUSE_IFLAG_ATOMIC, FUSE_ATTR_ATOMIC },
		{ FUSE_IFLAG_SYNC, FUSE_ATTR_SYNC },
		{ FUSE_IFLAG_IMMUTABLE, FUSE_ATTR_IMMUTABLE },
		{ FUSE_IFLAG_APPEND, FUSE_ATTR_APPEND },
		{ 0, 0 },
	};
	struct fuse_getattr_in in = { 0 };
	size_t i;

	for (i = 0; i <= sizeof(one) / sizeof(one[0]); i++) {
		struct t *t = t_ready();
		const unsigned char *body;
		struct fuse_attr_out out;
		uint32_t want = i < sizeof(one) / sizeof(one[0]) ? one[i].attr :
				all_attr_flags;

		t->reply_iflags = i < sizeof(one) / sizeof(one[0]) ? one[i].iflag :
				  all_iflags;
		t_send(t, FUSE_GETATTR, 12, &in, sizeof(in));
		CHECK(!t_reply(t, 0, sizeof(out), &body), "%s", diag);
		memcpy(&out, body, sizeof(out));
		CHECK(out.attr.flags == want, "iflags 0x%x -> attr flags 0x%x, want 0x%x",
		      t->reply_iflags, out.attr.flags, want);
		CHECK(out.attr.ino == 12 && out.attr.size == 8192 &&
		      out.attr_valid == 1 && out.attr_valid_nsec == 500000000,
		      "attributes differ");
		t_free(t);
	}
	return 0;
}

static int c_attr_iflags_unknown_is_eio(void)
{
	struct t *t = t_ready();
	struct fuse_getattr_in in = { 0 };

	t->reply_iflags = 1U << 20;
	t_send(t, FUSE_GETATTR, 12, &in, sizeof(in));
	CHECK(!t_reply(t, -EIO, 0, NULL), "%s", diag);
	t_free(t);
	return 0;
}

static int c_entry_iflags(void)
{
	struct t *t = t_ready();
	const unsigned char *body;
	struct fuse_entry_out out;

	t->reply_iflags = FUSE_IFLAG_IOMAP | FUSE_IFLAG_EXCLUSIVE;
	t_send(t, FUSE_LOOKUP, 1, "file", 5);
	CHECK(!t_reply(t, 0, sizeof(out), &body), "%s", diag);
	memcpy(&out, body, sizeof(out));
	CHECK(out.nodeid == 12 && out.generation == 3 && out.attr.ino == 12,
	      "entry differs");
	CHECK(out.attr.flags == (FUSE_ATTR_IOMAP | FUSE_ATTR_EXCLUSIVE),
	      "attr flags 0x%x", out.attr.flags);
	t_free(t);
	return 0;
}

static int c_create_iflags(void)
{
	struct t *t = t_ready();
	unsigned char arg[sizeof(struct fuse_create_in) + 5];
	struct fuse_create_in in = { .flags = O_RDWR, .mode = S_IFREG | 0644 };
	const unsigned char *body;
	struct fuse_entry_out eout;
	struct fuse_open_out oout;

	memcpy(arg, &in, sizeof(in));
	memcpy(arg + sizeof(in), "file", 5);
	t->reply_iflags = all_iflags;
	t_send(t, FUSE_CREATE, 1, arg, sizeof(arg));
	CHECK(!t_reply(t, 0, sizeof(eout) + sizeof(oout), &body), "%s", diag);
	memcpy(&eout, body, sizeof(eout));
	memcpy(&oout, body + sizeof(eout), sizeof(oout));
	CHECK(eout.attr.flags == all_attr_flags, "attr flags 0x%x", eout.attr.flags);
	CHECK(oout.fh == 77, "fh %llu", (unsigned long long) oout.fh);
	t_free(t);
	return 0;
}

static int c_direntry_plus_iflags(void)
{
	struct fuse_entry_param e = { .ino = 12, .generation = 3 };
	alignas(8) char buf[512], ref[512];
	struct fuse_direntplus dp;
	size_t len, rlen;

	s_test_stat(&e.attr);
	memset(buf, 0x5a, sizeof(buf));
	memset(ref, 0x5a, sizeof(ref));
	len = fuse_add_direntry_plus_iflags(NULL, buf, sizeof(buf), "name",
					    FUSE_IFLAG_IOMAP | FUSE_IFLAG_APPEND,
					    &e, 7);
	rlen = fuse_add_direntry_plus(NULL, ref, sizeof(ref), "name", &e, 7);
	CHECK(len == rlen && len == FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + 4),
	      "entry length %zu, plain %zu", len, rlen);
	memcpy(&dp, buf, sizeof(dp));
	CHECK(dp.entry_out.attr.flags == (FUSE_ATTR_IOMAP | FUSE_ATTR_APPEND),
	      "attr flags 0x%x", dp.entry_out.attr.flags);
	/* Apart from the flags, identical to the plain entry. */
	dp.entry_out.attr.flags = 0;
	memcpy(buf, &dp, sizeof(dp));
	CHECK(memcmp(buf, ref, sizeof(buf)) == 0, "entry bytes differ");
	CHECK(fuse_add_direntry_plus_iflags(NULL, buf, sizeof(buf), "name",
					    1U << 30, &e, 7) == 0,
	      "unknown iflags accepted");
	CHECK(fuse_add_direntry_plus_iflags(NULL, NULL, 0, "name", 0, &e, 7) == rlen,
	      "size query differs");
	return 0;
}

/* ---- notifications ---- */

static int t_notify(struct t *t, int32_t code, const void *want, size_t len)
{
	struct fuse_out_header out;

	CHECK(t->out_len == sizeof(out) + len, "notification is %zu bytes, want %zu",
	      t->out_len, sizeof(out) + len);
	memcpy(&out, t->out, sizeof(out));
	CHECK(out.unique == 0 && out.error == code && out.len == sizeof(out) + len,
	      "header unique %llu error %d len %u", (unsigned long long) out.unique,
	      out.error, out.len);
	CHECK(memcmp(t->out + sizeof(out), want, len) == 0, "payload bytes differ");
	return 0;
}

static int c_notify_dev_inval(void)
{
	struct t *t = t_ready();
	struct fuse_iomap_dev_inval_out want = {
		.dev = 2, .range = { .offset = 1 << 20, .length = 65536 },
	};
	int ret;

	t->out_len = 0;
	ret = fuse_lowlevel_iomap_device_invalidate(t->se, 2, 1 << 20, 65536);
	CHECK(ret == 0, "returned %d", ret);
	CHECK(!t_notify(t, FUSE_NOTIFY_IOMAP_DEV_INVAL, &want, sizeof(want)), "%s", diag);
	CHECK(sizeof(want) == 24, "dev_inval_out is %zu bytes", sizeof(want));
	t->out_len = 0;
	CHECK(fuse_lowlevel_iomap_device_invalidate(t->se, 0, 0, 1) == -EINVAL &&
	      fuse_lowlevel_iomap_device_invalidate(t->se, 1, -1, 1) == -EINVAL &&
	      t->out_len == 0, "invalid arguments were sent");
	t_free(t);
	return 0;
}

static int c_notify_upsert(void)
{
	struct t *t = t_ready();
	struct fuse_iomap_upsert_mappings_out want;
	struct fuse_file_iomap w = map_a;
	int ret;

	w.type = FUSE_IOMAP_TYPE_UNWRITTEN;
	memset(&want, 0, sizeof(want));
	want.nodeid = 5;
	want.attr_ino = 12;
	wire_map(&want.read, &map_a);
	wire_map(&want.write, &w);
	t->out_len = 0;
	ret = fuse_lowlevel_iomap_upsert_mappings(t->se, 5, 12, &map_a, &w);
	CHECK(ret == 0, "returned %d", ret);
	CHECK(!t_notify(t, FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS, &want, sizeof(want)),
	      "%s", diag);

	/* A NULL half is sent as NOCACHE. */
	memset(&want.write, 0, sizeof(want.write));
	want.write.addr = FUSE_IOMAP_NULL_ADDR;
	want.write.type = FUSE_IOMAP_TYPE_NOCACHE;
	t->out_len = 0;
	ret = fuse_lowlevel_iomap_upsert_mappings(t->se, 5, 12, &map_a, NULL);
	CHECK(ret == 0, "returned %d", ret);
	CHECK(!t_notify(t, FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS, &want, sizeof(want)),
	      "NULL write: %s", diag);

	t->out_len = 0;
	w.type = FUSE_IOMAP_TYPE_RETRY_CACHE;
	CHECK(fuse_lowlevel_iomap_upsert_mappings(t->se, 5, 12, NULL, NULL) == -EINVAL &&
	      fuse_lowlevel_iomap_upsert_mappings(t->se, 5, 12, &w, NULL) == -EINVAL &&
	      t->out_len == 0, "invalid mappings were sent");
	t_free(t);
	return 0;
}

static int c_notify_inval(void)
{
	struct t *t = t_ready();
	struct fuse_iomap_inval_mappings_out want = {
		.nodeid = 5, .attr_ino = 12,
		.read = { .offset = 4096, .length = FUSE_IOMAP_INVAL_TO_EOF },
		.write = { .offset = 0, .length = 0 },
	};
	int ret;

	t->out_len = 0;
	ret = fuse_lowlevel_iomap_inval_mappings(t->se, 5, 12, 4096,
						 FUSE_IOMAP_INVAL_TO_EOF, 0, 0);
	CHECK(ret == 0, "returned %d", ret);
	CHECK(!t_notify(t, FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS, &want, sizeof(want)),
	      "%s", diag);
	t->out_len = 0;
	CHECK(fuse_lowlevel_iomap_inval_mappings(t->se, 5, 12, 0, 0, 0, 0) == -EINVAL &&
	      fuse_lowlevel_iomap_inval_mappings(t->se, 5, 12, -1, 1, 0, 0) == -EINVAL &&
	      t->out_len == 0, "invalid ranges were sent");
	t_free(t);
	return 0;
}

static int c_notify_before_init(void)
{
	struct t *t = t_new(&full_ops, 1);

	CHECK(fuse_lowlevel_iomap_device_invalidate(t->se, 1, 0, 4096) == -ENOTCONN,
	      "notification before INIT was not refused");
	CHECK(t->out_len == 0, "bytes written before INIT");
	t_free(t);
	return 0;
}

static int c_device_add_remove(void)
{
	struct t *t = t_new(&full_ops, 0);
	int ret;

	t_init(t, 1);
	ret = fuse_lowlevel_iomap_device_add(t->se, 0, 0);
	CHECK(ret == -ENOSYS, "device_add without FUSE_CAP_IOMAP: %d", ret);
	t_free(t);

	t = t_ready();
	ret = fuse_lowlevel_iomap_device_add(t->se, 0, 1);
	CHECK(ret == -EINVAL, "device_add with flags: %d", ret);
	/* The session's "device" is /dev/null: the ioctl's error comes back. */
	ret = fuse_lowlevel_iomap_device_add(t->se, 0, 0);
	CHECK(ret == -ENOTTY, "device_add on /dev/null: %d", ret);
	CHECK(fuse_lowlevel_iomap_device_remove(t->se, 0) == -EINVAL,
	      "device_remove(0) accepted");
	ret = fuse_lowlevel_iomap_device_remove(t->se, 1);
	CHECK(ret == -ENOTTY, "device_remove on /dev/null: %d", ret);
	t_free(t);
	return 0;
}

static int c_discover_iomap(void)
{
	int fd = open("/dev/null", O_RDWR);
	uint64_t got;

	got = fuse_lowlevel_discover_iomap(fd);
	close(fd);
	CHECK(got == 0, "discover on /dev/null: 0x%llx", (unsigned long long) got);
	if (access(FUSE_IOMAP_DEV_PATH, F_OK) != 0)
		CHECK(fuse_lowlevel_discover_iomap(-1) == 0,
		      "discover without the module is not 0");
	return 0;
}

/* ---- helpers and the mount choice ---- */

static int c_helpers(void)
{
	struct fuse_file_iomap hole = { .type = FUSE_IOMAP_TYPE_HOLE };
	struct fuse_file_iomap w;

	CHECK(fuse_iomap_is_write(FUSE_IOMAP_OP_WRITE) &&
	      fuse_iomap_is_write(FUSE_IOMAP_OP_ZERO) &&
	      fuse_iomap_is_write(FUSE_IOMAP_OP_UNSHARE) &&
	      fuse_iomap_is_write(FUSE_IOMAP_OP_WRITEBACK) &&
	      !fuse_iomap_is_write(FUSE_IOMAP_OP_REPORT | FUSE_IOMAP_OP_DIRECT) &&
	      !fuse_iomap_is_write(0), "fuse_iomap_is_write");
	CHECK(fuse_iomap_need_write_allocate(FUSE_IOMAP_OP_WRITE, &hole) &&
	      fuse_iomap_need_write_allocate(FUSE_IOMAP_OP_WRITEBACK, &hole) &&
	      !fuse_iomap_need_write_allocate(FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_ZERO, &hole) &&
	      !fuse_iomap_need_write_allocate(FUSE_IOMAP_OP_WRITE, &map_a) &&
	      !fuse_iomap_need_write_allocate(0, &hole),
	      "fuse_iomap_need_write_allocate");
	memset(&w, 0x5a, sizeof(w));
	fuse_iomap_pure_overwrite(&w, &map_a);
	CHECK(w.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE && w.offset == map_a.offset &&
	      w.length == map_a.length && w.addr == FUSE_IOMAP_NULL_ADDR &&
	      w.flags == 0 && w.dev == FUSE_IOMAP_DEV_NULL,
	      "fuse_iomap_pure_overwrite");
	CHECK(FUSE_CAP_IOMAP == (1ULL << 32), "FUSE_CAP_IOMAP moved");
	return 0;
}

static int c_mount_choice(void)
{
	static const struct {
		enum fuse_mnt_iomap mode;
		int blkdev, present, ret;
		const char *dev, *type;
	} cases[] = {
		{ FUSE_MNT_IOMAP_OFF, 0, 1, 0, "/dev/fuse", "fuse" },
		{ FUSE_MNT_IOMAP_OFF, 1, 1, 0, "/dev/fuse", "fuseblk" },
		{ FUSE_MNT_IOMAP_AUTO, 0, 1, 0, "/dev/fuse_iomap", "fuse_iomap" },
		{ FUSE_MNT_IOMAP_AUTO, 1, 1, 0, "/dev/fuse_iomap", "fuse_iomapblk" },
		{ FUSE_MNT_IOMAP_AUTO, 0, 0, 0, "/dev/fuse", "fuse" },
		{ FUSE_MNT_IOMAP_AUTO, 1, 0, 0, "/dev/fuse", "fuseblk" },
		{ FUSE_MNT_IOMAP_REQUIRED, 0, 1, 0, "/dev/fuse_iomap", "fuse_iomap" },
		{ FUSE_MNT_IOMAP_REQUIRED, 1, 1, 0, "/dev/fuse_iomap", "fuse_iomapblk" },
		{ FUSE_MNT_IOMAP_REQUIRED, 0, 0, -ENODEV, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fuse_mnt_dev d = { 0 };
		int ret = fuse_mnt_select_dev(cases[i].mode, cases[i].blkdev,
					      cases[i].present, &d);

		CHECK(ret == cases[i].ret, "case %zu: returned %d", i, ret);
		if (ret)
			continue;
		CHECK(strcmp(d.devname, cases[i].dev) == 0 &&
		      strcmp(d.fstype, cases[i].type) == 0 &&
		      d.iomap == (strcmp(cases[i].dev, "/dev/fuse") != 0),
		      "case %zu: %s %s", i, d.devname, d.fstype);
	}
	return 0;
}

static int c_mount_option_parsing(void)
{
	enum fuse_mnt_iomap m = FUSE_MNT_IOMAP_OFF;

	CHECK(fuse_mnt_find_iomap_opt("rw,iomap=auto,nosuid", &m) == 0 &&
	      m == FUSE_MNT_IOMAP_AUTO, "iomap=auto");
	CHECK(fuse_mnt_find_iomap_opt("iomap=auto,iomap=required", &m) == 0 &&
	      m == FUSE_MNT_IOMAP_REQUIRED, "last iomap= wins");
	CHECK(fuse_mnt_find_iomap_opt("iomap=off", &m) == 0 &&
	      m == FUSE_MNT_IOMAP_OFF, "iomap=off");
	m = FUSE_MNT_IOMAP_AUTO;
	CHECK(fuse_mnt_find_iomap_opt("rw,blkdev", &m) == 0 &&
	      m == FUSE_MNT_IOMAP_AUTO, "no iomap= changed the mode");
	CHECK(fuse_mnt_find_iomap_opt("iomap=yes", &m) == -1, "iomap=yes accepted");
	CHECK(fuse_mnt_find_iomap_opt("iomap=autox", &m) == -1, "iomap=autox accepted");
	CHECK(fuse_mnt_find_iomap_opt("", &m) == 0 && fuse_mnt_find_iomap_opt(NULL, &m) == 0,
	      "empty options");
	CHECK(fuse_mnt_is_fuse_type("fuse") && fuse_mnt_is_fuse_type("fuse.sshfs") &&
	      fuse_mnt_is_fuse_type("fuseblk.x") && fuse_mnt_is_fuse_type("fuse_iomap") &&
	      fuse_mnt_is_fuse_type("fuse_iomapblk.fuse4fs") &&
	      !fuse_mnt_is_fuse_type("fusectl") && !fuse_mnt_is_fuse_type("ext4") &&
	      !fuse_mnt_is_fuse_type("fuse_iomapx"), "fuse_mnt_is_fuse_type");
	return 0;
}

static int c_mount_env_default(void)
{
	enum fuse_mnt_iomap m = FUSE_MNT_IOMAP_AUTO;

	CHECK(strcmp(FUSE_MNT_IOMAP_ENV, "FUSE_IOMAP_MOUNT") == 0, "variable name");
	CHECK(fuse_mnt_iomap_env(NULL, &m) == 0 && m == FUSE_MNT_IOMAP_AUTO,
	      "unset changed the mode");
	CHECK(fuse_mnt_iomap_env("", &m) == 0 && m == FUSE_MNT_IOMAP_AUTO,
	      "empty changed the mode");
	CHECK(fuse_mnt_iomap_env("required", &m) == 0 && m == FUSE_MNT_IOMAP_REQUIRED,
	      "required");
	CHECK(fuse_mnt_iomap_env("off", &m) == 0 && m == FUSE_MNT_IOMAP_OFF, "off");
	CHECK(fuse_mnt_iomap_env("Auto", &m) == -1 && fuse_mnt_iomap_env("1", &m) == -1,
	      "unknown values accepted");
	/* the library applies the variable first, then the options */
	m = FUSE_MNT_IOMAP_OFF;
	CHECK(fuse_mnt_iomap_env("required", &m) == 0 &&
	      fuse_mnt_find_iomap_opt("rw,iomap=off", &m) == 0 &&
	      m == FUSE_MNT_IOMAP_OFF, "iomap= does not override the variable");
	CHECK(fuse_mnt_iomap_env("auto", &m) == 0 &&
	      fuse_mnt_find_iomap_opt("rw,nosuid", &m) == 0 &&
	      m == FUSE_MNT_IOMAP_AUTO, "the variable is not the default");
	return 0;
}

static int c_session_iomap_mount_knob(void)
{
	struct t *t = t_new(&full_ops, 1);

	CHECK(fuse_session_set_iomap_mount(t->se, FUSE_IOMAP_MOUNT_REQUIRED) == 0 &&
	      fuse_session_set_iomap_mount(t->se, FUSE_IOMAP_MOUNT_AUTO) == 0 &&
	      fuse_session_set_iomap_mount(t->se, FUSE_IOMAP_MOUNT_OFF) == 0,
	      "valid modes refused");
	CHECK(fuse_session_set_iomap_mount(t->se, (enum fuse_iomap_mount) 7) == -EINVAL,
	      "mode 7 accepted");
	t_free(t);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "init negotiates FUSE_CAP_IOMAP (flags2 bit 11)", c_init_negotiates_iomap },
	{ "init leaves iomap off unless wanted", c_init_iomap_not_wanted },
	{ "init: FUSE_CAP_IOMAP needs the kernel's offer", c_init_iomap_not_offered },
	{ "FUSE_IOMAP_BEGIN (4094) reply bytes", c_iomap_begin },
	{ "FUSE_IOMAP_BEGIN NULL write half is a pure overwrite", c_iomap_begin_pure_overwrite },
	{ "FUSE_IOMAP_END (4095) arguments and reply", c_iomap_end },
	{ "FUSE_IOMAP_IOEND (4093) reply bytes", c_iomap_ioend },
	{ "FUSE_IOMAP_CONFIG (4092) reply bytes", c_iomap_config },
	{ "FUSE_SYNCFS (50)", c_syncfs },
	{ "FUSE_FREEZE_FS (4089)", c_freezefs },
	{ "FUSE_UNFREEZE_FS (4090)", c_unfreezefs },
	{ "FUSE_SHUTDOWN_FS (4091) passes the errno back", c_shutdownfs },
	{ "unimplemented ops answer ENOSYS", c_unimplemented_is_enosys },
	{ "iomap opcodes need FUSE_CAP_IOMAP", c_iomap_needs_negotiation },
	{ "short and oversized arguments answer EPROTO", c_wrong_sizes_are_eproto },
	{ "reserved fields and unknown flags answer EINVAL", c_bad_fields_are_einval },
	{ "a truncated header is refused without a reply", c_truncated_header },
	{ "an oversized request answers EPROTO", c_oversized_request },
	{ "unknown opcodes answer ENOSYS", c_unknown_opcode },
	{ "invalid iomap_begin replies become EIO", c_invalid_begin_reply_is_eio },
	{ "invalid iomap_config replies become EIO", c_invalid_config_reply_is_eio },
	{ "invalid iomap_ioend replies become EIO", c_invalid_ioend_reply_is_eio },
	{ "fuse_reply_attr_iflags maps every FUSE_IFLAG_*", c_attr_iflags },
	{ "unknown iflags become EIO", c_attr_iflags_unknown_is_eio },
	{ "fuse_reply_entry_iflags", c_entry_iflags },
	{ "fuse_reply_create_iflags", c_create_iflags },
	{ "fuse_add_direntry_plus_iflags", c_direntry_plus_iflags },
	{ "FUSE_NOTIFY_IOMAP_DEV_INVAL (99) bytes", c_notify_dev_inval },
	{ "FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS (100) bytes", c_notify_upsert },
	{ "FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS (101) bytes", c_notify_inval },
	{ "notifications need INIT first", c_notify_before_init },
	{ "iomap device add/remove", c_device_add_remove },
	{ "fuse_lowlevel_discover_iomap", c_discover_iomap },
	{ "is_write, need_write_allocate, pure_overwrite", c_helpers },
	{ "mount: device and fs type for iomap=off/auto/required", c_mount_choice },
	{ "mount: iomap= option parsing and fuse fs types", c_mount_option_parsing },
	{ "mount: FUSE_IOMAP_MOUNT sets the default, iomap= wins", c_mount_env_default },
	{ "fuse_session_set_iomap_mount", c_session_iomap_mount_knob },
};

int main(void)
{
	size_t n = sizeof(tests) / sizeof(tests[0]);
	size_t i, failed = 0;

	for (i = 0; i < n; i++) {
		diag[0] = '\0';
		if (tests[i].fn() == 0) {
			printf("ok %zu - %s\n", i + 1, tests[i].name);
		} else {
			printf("not ok %zu - %s\n# %s\n", i + 1, tests[i].name, diag);
			failed++;
			/* a failed case leaks its session; keep going */
			cur = NULL;
		}
		fflush(stdout);
	}
	printf("1..%zu\n", n);
	fflush(stdout);
	return failed ? 1 : 0;
}
