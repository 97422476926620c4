// SPDX-License-Identifier: GPL-2.0
/*
 * Validation of messages a FUSE server writes to /dev/fuse_iomap.
 *
 * The device write path and the iomap code call these before acting on
 * anything the server says.  They are pure: the verdict depends only on the
 * arguments, nothing is logged and nothing warns, because a misbehaving
 * server is an expected event, not a kernel bug.  Callers turn a verdict
 * into a tracepoint, a ratelimited message and an I/O error.
 */

#include <linux/build_bug.h>
#include <linux/blk_types.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/iomap.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "fim.h"
#include "proto.h"

/*
 * The wire layout is ABI.  Sizes are pinned here at build time; the field
 * offsets are pinned by the fim_proto KUnit suite.
 */
static_assert(sizeof(struct fuse_in_header) == 40);
static_assert(sizeof(struct fuse_out_header) == 16);
static_assert(sizeof(struct fuse_init_in) == 64);
static_assert(sizeof(struct fuse_init_out) == 64);
static_assert(sizeof(struct fuse_attr) == 88);
static_assert(sizeof(struct fuse_entry_out) == 128);
static_assert(sizeof(struct fuse_attr_out) == 104);
static_assert(sizeof(struct fuse_dirent) == 24);
static_assert(sizeof(struct fuse_direntplus) == 152);
static_assert(sizeof(struct fuse_iomap_io) == 32);
static_assert(sizeof(struct fuse_iomap_begin_in) == 32);
static_assert(sizeof(struct fuse_iomap_begin_out) == 64);
static_assert(sizeof(struct fuse_iomap_end_in) == 72);
static_assert(sizeof(struct fuse_iomap_ioend_in) == 48);
static_assert(sizeof(struct fuse_iomap_ioend_out) == 8);
static_assert(sizeof(struct fuse_iomap_config_in) == 64);
static_assert(sizeof(struct fuse_iomap_config_out) == 104);
static_assert(sizeof(struct fuse_range) == 16);
static_assert(sizeof(struct fuse_iomap_dev_inval_out) == 24);
static_assert(sizeof(struct fuse_iomap_inval_mappings_out) == 48);
static_assert(sizeof(struct fuse_iomap_upsert_mappings_out) == 80);
static_assert(sizeof(struct fuse_freezefs_in) == 8);
static_assert(sizeof(struct fuse_shutdownfs_in) == 8);
static_assert(sizeof(struct fuse_backing_map) == 16);
static_assert(sizeof(struct fuse_iomap_support) == 16);

/* The types shared with the kernel's iomap must keep the kernel's values. */
static_assert(FUSE_IOMAP_TYPE_HOLE == IOMAP_HOLE);
static_assert(FUSE_IOMAP_TYPE_DELALLOC == IOMAP_DELALLOC);
static_assert(FUSE_IOMAP_TYPE_MAPPED == IOMAP_MAPPED);
static_assert(FUSE_IOMAP_TYPE_UNWRITTEN == IOMAP_UNWRITTEN);
static_assert(FUSE_IOMAP_TYPE_INLINE == IOMAP_INLINE);

/**
 * fim_proto_check_out_header() - validate the header of a server message
 * @oh: header copied from the start of the message
 * @nbytes: number of bytes the server wrote in this write(2), header
 *	included; if smaller than the header, @oh is not looked at
 * @kind: set to the kind of message on success
 *
 * A message is a reply when @oh->unique is non-zero and a notification
 * otherwise.  Rules:
 *
 * - the write holds at least a header and exactly @oh->len bytes;
 * - a notification carries its code, which is positive, in @oh->error;
 * - a reply's error is 0 or a negative errno above -ERESTARTSYS: the
 *   errnos from 512 up are kernel-internal (restart requests, ENOIOCTLCMD,
 *   EIOCBQUEUED, ...) and a server must not be able to inject them;
 * - an error reply carries no payload.
 *
 * Whether the code or the unique id is one the connection knows is for the
 * caller to decide.  Pure function; any context.
 *
 * Return: 0 with @kind set, or -EINVAL if the header breaks a rule.
 */
int fim_proto_check_out_header(const struct fuse_out_header *oh,
			       size_t nbytes, enum fim_out_kind *kind)
{
	if (nbytes < sizeof(*oh) || oh->len != nbytes)
		return -EINVAL;

	if (!oh->unique) {
		if (oh->error <= 0)
			return -EINVAL;
		*kind = FIM_OUT_NOTIFY;
		return 0;
	}

	if (oh->error > 0 || oh->error <= -ERESTARTSYS)
		return -EINVAL;
	if (oh->error && nbytes != sizeof(*oh))
		return -EINVAL;
	*kind = FIM_OUT_REPLY;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fim_proto_check_out_header);

/*
 * Sort out the types that do not describe storage.  Returns FIM_IOMAP_OK if
 * @map is a storage type or PURE_OVERWRITE and the range checks apply, and
 * sets *@done when the verdict is final without them.
 */
static enum fim_iomap_bad
fim_iomap_check_type(const struct fuse_iomap_io *map,
		     const struct fim_iomap_check_ctx *ctx, bool *done)
{
	*done = false;
	switch (map->type) {
	case FUSE_IOMAP_TYPE_HOLE:
	case FUSE_IOMAP_TYPE_DELALLOC:
	case FUSE_IOMAP_TYPE_MAPPED:
	case FUSE_IOMAP_TYPE_UNWRITTEN:
	case FUSE_IOMAP_TYPE_INLINE:
		return FIM_IOMAP_OK;
	case FUSE_IOMAP_TYPE_PURE_OVERWRITE:
		/* The read half is where the data lives; it cannot defer. */
		if (!ctx->write_half) {
			*done = true;
			return FIM_IOMAP_BAD_TYPE_HERE;
		}
		return FIM_IOMAP_OK;
	case FUSE_IOMAP_TYPE_NOCACHE:
		/* "Do not cache this half": a range without meaning. */
		*done = true;
		if (ctx->src != FIM_IOMAP_SRC_UPSERT)
			return FIM_IOMAP_BAD_TYPE_HERE;
		return FIM_IOMAP_OK;
	case FUSE_IOMAP_TYPE_RETRY_CACHE:
		/* "Look in the cache again": only an answer to a question. */
		*done = true;
		if (ctx->src != FIM_IOMAP_SRC_BEGIN || !ctx->has_cache)
			return FIM_IOMAP_BAD_TYPE_HERE;
		return FIM_IOMAP_OK;
	default:
		*done = true;
		return FIM_IOMAP_BAD_TYPE;
	}
}

/**
 * fim_iomap_mapping_rule() - find the first rule a server mapping breaks
 * @map: one half of a FUSE_IOMAP_BEGIN reply or of an upsert notification
 * @ctx: the file and request the mapping must fit
 *
 * Checks, in this order: the type is known and allowed here (NOCACHE only
 * in upserts, RETRY_CACHE only in BEGIN replies for inodes with a cache,
 * PURE_OVERWRITE only in the write half); NOCACHE and RETRY_CACHE carry no
 * range and pass at that point.  Then: only server flags are set; the
 * length is non-zero; offset and length are multiples of @ctx->blocksize;
 * offset + length fits in u64; offset is below @ctx->maxbytes.  MAPPED and
 * UNWRITTEN need a device cookie and a 512-byte aligned address whose end
 * fits in u64; HOLE, DELALLOC and INLINE must have neither; PURE_OVERWRITE
 * takes its address from the read half, so its dev and addr are ignored.
 * Finally, a BEGIN mapping must contain @ctx->pos.
 *
 * Whether the device cookie is registered, and whether the range fits on
 * that device, needs the connection and is the caller's job.
 *
 * @ctx->blocksize must be a power of two.  Pure function; any context.
 *
 * Return: FIM_IOMAP_OK, or the first rule @map breaks.
 */
VISIBLE_IF_KUNIT enum fim_iomap_bad
fim_iomap_mapping_rule(const struct fuse_iomap_io *map,
		       const struct fim_iomap_check_ctx *ctx)
{
	enum fim_iomap_bad bad;
	u64 end, addr_end;
	bool done;

	bad = fim_iomap_check_type(map, ctx, &done);
	if (done)
		return bad;

	if (map->flags & ~FIM_IOMAP_F_SERVER_ALL)
		return FIM_IOMAP_BAD_FLAGS;
	if (!map->length)
		return FIM_IOMAP_BAD_LENGTH;
	if ((map->offset | map->length) & (ctx->blocksize - 1))
		return FIM_IOMAP_BAD_ALIGN;
	if (check_add_overflow(map->offset, map->length, &end))
		return FIM_IOMAP_BAD_END;
	if (ctx->maxbytes <= 0 || map->offset >= (u64)ctx->maxbytes)
		return FIM_IOMAP_BAD_MAXBYTES;

	switch (map->type) {
	case FUSE_IOMAP_TYPE_MAPPED:
	case FUSE_IOMAP_TYPE_UNWRITTEN:
		if (map->dev == FUSE_IOMAP_DEV_NULL)
			return FIM_IOMAP_BAD_DEV;
		/* Bios address the device in sectors. */
		if (map->addr == FUSE_IOMAP_NULL_ADDR ||
		    (map->addr & (SECTOR_SIZE - 1)))
			return FIM_IOMAP_BAD_ADDR;
		if (check_add_overflow(map->addr, map->length, &addr_end))
			return FIM_IOMAP_BAD_ADDR_END;
		break;
	case FUSE_IOMAP_TYPE_PURE_OVERWRITE:
		break;
	default:
		if (map->dev != FUSE_IOMAP_DEV_NULL)
			return FIM_IOMAP_BAD_DEV;
		if (map->addr != FUSE_IOMAP_NULL_ADDR)
			return FIM_IOMAP_BAD_ADDR;
		break;
	}

	if (ctx->src == FIM_IOMAP_SRC_BEGIN &&
	    (ctx->pos < map->offset || ctx->pos >= end))
		return FIM_IOMAP_BAD_POS;
	return FIM_IOMAP_OK;
}
EXPORT_SYMBOL_IF_KUNIT(fim_iomap_mapping_rule);

/**
 * fim_iomap_check_mapping() - validate one server mapping
 * @map: one half of a FUSE_IOMAP_BEGIN reply or of an upsert notification
 * @ctx: the file and request the mapping must fit
 *
 * See fim_iomap_mapping_rule() for the rules.  Pure function; any context.
 *
 * Return: 0 if @map may be used, -EFSCORRUPTED if the server sent a mapping
 * that breaks the protocol, -EIO if the caller passed a bad @ctx.
 */
int fim_iomap_check_mapping(const struct fuse_iomap_io *map,
			    const struct fim_iomap_check_ctx *ctx)
{
	/* The block size comes from our own superblock, not the server. */
	if (WARN_ON_ONCE(!is_power_of_2(ctx->blocksize)))
		return -EIO;
	if (fim_iomap_mapping_rule(map, ctx) != FIM_IOMAP_OK)
		return -EFSCORRUPTED;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fim_iomap_check_mapping);

/*
 * "." and ".." are listed like other names, but a READDIRPLUS reply does
 * not count a lookup for them and they must never be made into dentries.
 */
static bool fim_dirent_is_dot(const char *name, u32 len)
{
	return (len == 1 && name[0] == '.') ||
	       (len == 2 && name[0] == '.' && name[1] == '.');
}

/**
 * fim_dirent_next() - parse the first record of a READDIR(PLUS) reply
 * @buf: what is left of the reply
 * @len: bytes left in @buf; not 0
 * @plus: the reply answers READDIRPLUS: records are fuse_direntplus
 * @rec: filled in on success; @rec->reclen is what to step over
 *
 * A record is a fixed header (fuse_dirent, or fuse_direntplus whose
 * fuse_entry_out comes first) followed by the name and zero padding to the
 * next 8-byte boundary.  Rules, checked in this order: the header fits in
 * @len; the name length is 1..FIM_DIRENT_NAME_MAX; name and padding fit in
 * @len (so the next record starts 8-byte aligned, or the reply ends); the
 * name holds no '/' and no NUL; the type fits in DT_*'s four bits; the next
 * offset is a valid file position (not negative as loff_t).  For
 * READDIRPLUS, an entry whose node id is not 0 and whose name is not "."
 * or ".." names a node the server counted a lookup for; its attributes must
 * carry a valid file type.  The rest of the attributes, and whether the
 * node's type changed, is for fim_iget() to judge.
 *
 * Pure function; any context.
 *
 * Return: FIM_DIRENT_OK with @rec filled in, or the first rule broken.
 */
enum fim_dirent_bad fim_dirent_next(const void *buf, size_t len, bool plus,
				    struct fim_dirent_rec *rec)
{
	const struct fuse_direntplus *dp = buf;
	const struct fuse_dirent *de = buf;
	size_t head = FUSE_NAME_OFFSET;

	if (plus) {
		de = &dp->dirent;
		head = FUSE_NAME_OFFSET_DIRENTPLUS;
	}
	if (len < head)
		return FIM_DIRENT_BAD_SHORT;
	if (!de->namelen || de->namelen > FIM_DIRENT_NAME_MAX)
		return FIM_DIRENT_BAD_NAMELEN;
	/* namelen is at most 255, so this cannot overflow. */
	rec->reclen = FUSE_DIRENT_ALIGN(head + de->namelen);
	if (rec->reclen > len)
		return FIM_DIRENT_BAD_OVERRUN;
	if (memchr(de->name, '/', de->namelen) ||
	    memchr(de->name, '\0', de->namelen))
		return FIM_DIRENT_BAD_NAME;
	if (de->type > 15)
		return FIM_DIRENT_BAD_TYPE;
	if ((s64)de->off < 0)
		return FIM_DIRENT_BAD_OFF;

	rec->entry = plus ? &dp->entry_out : NULL;
	rec->name = de->name;
	rec->namelen = de->namelen;
	rec->type = de->type;
	rec->ino = de->ino;
	rec->off = de->off;
	rec->dot = fim_dirent_is_dot(de->name, de->namelen);
	if (plus && dp->entry_out.nodeid && !rec->dot &&
	    !fim_valid_file_type(dp->entry_out.attr.mode))
		return FIM_DIRENT_BAD_MODE;
	return FIM_DIRENT_OK;
}
EXPORT_SYMBOL_IF_KUNIT(fim_dirent_next);
