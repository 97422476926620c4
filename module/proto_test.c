// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite fim_proto: the wire layout of uapi/fuse_iomap.h and the
 * validators in proto.c.
 *
 * The layout table pins the size and every field offset of each wire
 * structure, so that an edit which would break servers fails here first.
 * The validator tables hold one behaviour per case: a valid baseline with
 * exactly one thing changed, and the rule that change must trip.
 */

#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/stddef.h>

#include "compat.h"
#include "fim.h"
#include "proto.h"

/*
 * Layout
 * ------
 */

struct fim_layout_case {
	const char	*name;
	size_t		found;
	size_t		expected;
};

#define FIM_SIZE(type, size) \
	{ "sizeof(struct " #type ")", sizeof(struct type), size }
#define FIM_OFF(type, field, off) \
	{ #type "." #field, offsetof(struct type, field), off }

static const struct fim_layout_case fim_layout_cases[] = {
	FIM_SIZE(fuse_in_header, 40),
	FIM_OFF(fuse_in_header, len, 0),
	FIM_OFF(fuse_in_header, opcode, 4),
	FIM_OFF(fuse_in_header, unique, 8),
	FIM_OFF(fuse_in_header, nodeid, 16),
	FIM_OFF(fuse_in_header, uid, 24),
	FIM_OFF(fuse_in_header, gid, 28),
	FIM_OFF(fuse_in_header, pid, 32),
	FIM_OFF(fuse_in_header, total_extlen, 36),
	FIM_OFF(fuse_in_header, padding, 38),

	FIM_SIZE(fuse_out_header, 16),
	FIM_OFF(fuse_out_header, len, 0),
	FIM_OFF(fuse_out_header, error, 4),
	FIM_OFF(fuse_out_header, unique, 8),

	FIM_SIZE(fuse_init_in, 64),
	FIM_OFF(fuse_init_in, major, 0),
	FIM_OFF(fuse_init_in, minor, 4),
	FIM_OFF(fuse_init_in, max_readahead, 8),
	FIM_OFF(fuse_init_in, flags, 12),
	FIM_OFF(fuse_init_in, flags2, 16),
	FIM_OFF(fuse_init_in, unused, 20),

	FIM_SIZE(fuse_init_out, 64),
	FIM_OFF(fuse_init_out, major, 0),
	FIM_OFF(fuse_init_out, minor, 4),
	FIM_OFF(fuse_init_out, max_readahead, 8),
	FIM_OFF(fuse_init_out, flags, 12),
	FIM_OFF(fuse_init_out, max_background, 16),
	FIM_OFF(fuse_init_out, congestion_threshold, 18),
	FIM_OFF(fuse_init_out, max_write, 20),
	FIM_OFF(fuse_init_out, time_gran, 24),
	FIM_OFF(fuse_init_out, max_pages, 28),
	FIM_OFF(fuse_init_out, map_alignment, 30),
	FIM_OFF(fuse_init_out, flags2, 32),
	FIM_OFF(fuse_init_out, max_stack_depth, 36),
	FIM_OFF(fuse_init_out, request_timeout, 40),
	FIM_OFF(fuse_init_out, unused, 42),

	FIM_SIZE(fuse_attr, 88),
	FIM_OFF(fuse_attr, ino, 0),
	FIM_OFF(fuse_attr, size, 8),
	FIM_OFF(fuse_attr, blocks, 16),
	FIM_OFF(fuse_attr, atime, 24),
	FIM_OFF(fuse_attr, mtime, 32),
	FIM_OFF(fuse_attr, ctime, 40),
	FIM_OFF(fuse_attr, atimensec, 48),
	FIM_OFF(fuse_attr, mtimensec, 52),
	FIM_OFF(fuse_attr, ctimensec, 56),
	FIM_OFF(fuse_attr, mode, 60),
	FIM_OFF(fuse_attr, nlink, 64),
	FIM_OFF(fuse_attr, uid, 68),
	FIM_OFF(fuse_attr, gid, 72),
	FIM_OFF(fuse_attr, rdev, 76),
	FIM_OFF(fuse_attr, blksize, 80),
	FIM_OFF(fuse_attr, flags, 84),

	FIM_SIZE(fuse_entry_out, 128),
	FIM_OFF(fuse_entry_out, nodeid, 0),
	FIM_OFF(fuse_entry_out, generation, 8),
	FIM_OFF(fuse_entry_out, entry_valid, 16),
	FIM_OFF(fuse_entry_out, attr_valid, 24),
	FIM_OFF(fuse_entry_out, entry_valid_nsec, 32),
	FIM_OFF(fuse_entry_out, attr_valid_nsec, 36),
	FIM_OFF(fuse_entry_out, attr, 40),

	FIM_SIZE(fuse_attr_out, 104),
	FIM_OFF(fuse_attr_out, attr_valid, 0),
	FIM_OFF(fuse_attr_out, attr_valid_nsec, 8),
	FIM_OFF(fuse_attr_out, dummy, 12),
	FIM_OFF(fuse_attr_out, attr, 16),

	FIM_SIZE(fuse_iomap_io, 32),
	FIM_OFF(fuse_iomap_io, offset, 0),
	FIM_OFF(fuse_iomap_io, length, 8),
	FIM_OFF(fuse_iomap_io, addr, 16),
	FIM_OFF(fuse_iomap_io, type, 24),
	FIM_OFF(fuse_iomap_io, flags, 26),
	FIM_OFF(fuse_iomap_io, dev, 28),

	FIM_SIZE(fuse_iomap_begin_in, 32),
	FIM_OFF(fuse_iomap_begin_in, opflags, 0),
	FIM_OFF(fuse_iomap_begin_in, reserved, 4),
	FIM_OFF(fuse_iomap_begin_in, attr_ino, 8),
	FIM_OFF(fuse_iomap_begin_in, pos, 16),
	FIM_OFF(fuse_iomap_begin_in, count, 24),

	FIM_SIZE(fuse_iomap_begin_out, 64),
	FIM_OFF(fuse_iomap_begin_out, read, 0),
	FIM_OFF(fuse_iomap_begin_out, write, 32),

	FIM_SIZE(fuse_iomap_end_in, 72),
	FIM_OFF(fuse_iomap_end_in, opflags, 0),
	FIM_OFF(fuse_iomap_end_in, reserved, 4),
	FIM_OFF(fuse_iomap_end_in, attr_ino, 8),
	FIM_OFF(fuse_iomap_end_in, pos, 16),
	FIM_OFF(fuse_iomap_end_in, count, 24),
	FIM_OFF(fuse_iomap_end_in, written, 32),
	FIM_OFF(fuse_iomap_end_in, map, 40),

	FIM_SIZE(fuse_iomap_ioend_in, 48),
	FIM_OFF(fuse_iomap_ioend_in, flags, 0),
	FIM_OFF(fuse_iomap_ioend_in, error, 4),
	FIM_OFF(fuse_iomap_ioend_in, attr_ino, 8),
	FIM_OFF(fuse_iomap_ioend_in, pos, 16),
	FIM_OFF(fuse_iomap_ioend_in, new_addr, 24),
	FIM_OFF(fuse_iomap_ioend_in, written, 32),
	FIM_OFF(fuse_iomap_ioend_in, dev, 40),
	FIM_OFF(fuse_iomap_ioend_in, pad, 44),

	FIM_SIZE(fuse_iomap_ioend_out, 8),
	FIM_OFF(fuse_iomap_ioend_out, newsize, 0),

	FIM_SIZE(fuse_iomap_config_in, 64),
	FIM_OFF(fuse_iomap_config_in, flags, 0),
	FIM_OFF(fuse_iomap_config_in, maxbytes, 8),
	FIM_OFF(fuse_iomap_config_in, cache_maxbytes, 16),
	FIM_OFF(fuse_iomap_config_in, zero, 20),
	FIM_OFF(fuse_iomap_config_in, padding, 24),

	FIM_SIZE(fuse_iomap_config_out, 104),
	FIM_OFF(fuse_iomap_config_out, flags, 0),
	FIM_OFF(fuse_iomap_config_out, s_id, 8),
	FIM_OFF(fuse_iomap_config_out, s_uuid, 40),
	FIM_OFF(fuse_iomap_config_out, s_uuid_len, 56),
	FIM_OFF(fuse_iomap_config_out, s_pad, 57),
	FIM_OFF(fuse_iomap_config_out, s_blocksize, 60),
	FIM_OFF(fuse_iomap_config_out, s_max_links, 64),
	FIM_OFF(fuse_iomap_config_out, s_time_gran, 68),
	FIM_OFF(fuse_iomap_config_out, s_time_min, 72),
	FIM_OFF(fuse_iomap_config_out, s_time_max, 80),
	FIM_OFF(fuse_iomap_config_out, s_maxbytes, 88),
	FIM_OFF(fuse_iomap_config_out, cache_maxbytes, 96),
	FIM_OFF(fuse_iomap_config_out, reserved, 100),

	FIM_SIZE(fuse_range, 16),
	FIM_OFF(fuse_range, offset, 0),
	FIM_OFF(fuse_range, length, 8),

	FIM_SIZE(fuse_iomap_dev_inval_out, 24),
	FIM_OFF(fuse_iomap_dev_inval_out, dev, 0),
	FIM_OFF(fuse_iomap_dev_inval_out, reserved, 4),
	FIM_OFF(fuse_iomap_dev_inval_out, range, 8),

	FIM_SIZE(fuse_iomap_inval_mappings_out, 48),
	FIM_OFF(fuse_iomap_inval_mappings_out, nodeid, 0),
	FIM_OFF(fuse_iomap_inval_mappings_out, attr_ino, 8),
	FIM_OFF(fuse_iomap_inval_mappings_out, read, 16),
	FIM_OFF(fuse_iomap_inval_mappings_out, write, 32),

	FIM_SIZE(fuse_iomap_upsert_mappings_out, 80),
	FIM_OFF(fuse_iomap_upsert_mappings_out, nodeid, 0),
	FIM_OFF(fuse_iomap_upsert_mappings_out, attr_ino, 8),
	FIM_OFF(fuse_iomap_upsert_mappings_out, read, 16),
	FIM_OFF(fuse_iomap_upsert_mappings_out, write, 48),

	FIM_SIZE(fuse_freezefs_in, 8),
	FIM_OFF(fuse_freezefs_in, unlinked, 0),

	FIM_SIZE(fuse_shutdownfs_in, 8),
	FIM_OFF(fuse_shutdownfs_in, flags, 0),

	FIM_SIZE(fuse_backing_map, 16),
	FIM_OFF(fuse_backing_map, fd, 0),
	FIM_OFF(fuse_backing_map, flags, 4),
	FIM_OFF(fuse_backing_map, padding, 8),

	FIM_SIZE(fuse_iomap_support, 16),
	FIM_OFF(fuse_iomap_support, flags, 0),
	FIM_OFF(fuse_iomap_support, padding, 8),
};

KUNIT_ARRAY_PARAM_DESC(fim_layout, fim_layout_cases, name);

static void fim_layout_test(struct kunit *test)
{
	const struct fim_layout_case *c = test->param_value;

	KUNIT_EXPECT_EQ_MSG(test, c->found, c->expected,
			    "%s: expected %zu, found %zu",
			    c->name, c->expected, c->found);
}

/* Numbers that are ABI but not layout: opcodes, codes, bits, ioctls. */
static void fim_abi_numbers_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, FUSE_KERNEL_VERSION, 7);
	KUNIT_EXPECT_EQ(test, FUSE_KERNEL_MINOR_VERSION, 99);
	KUNIT_EXPECT_EQ(test, FUSE_FREEZE_FS, 4089);
	KUNIT_EXPECT_EQ(test, FUSE_IOMAP_END, 4095);
	KUNIT_EXPECT_EQ(test, CUSE_INIT, 4096);
	KUNIT_EXPECT_EQ(test, FUSE_NOTIFY_IOMAP_DEV_INVAL, 99);
	KUNIT_EXPECT_EQ(test, FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS, 101);
	KUNIT_EXPECT_EQ(test, FUSE_IOMAP >> 32, 1ULL << 11);
	KUNIT_EXPECT_EQ(test, FUSE_DEV_IOC_BACKING_OPEN, 0x4010E501U);
	KUNIT_EXPECT_EQ(test, FUSE_DEV_IOC_IOMAP_SUPPORT, 0x8010E563U);
	KUNIT_EXPECT_EQ(test, FUSE_DEV_IOC_SET_NOFS, 0x4004E564U);
	KUNIT_EXPECT_EQ(test, FUSE_DEV_IOC_ADD_IOMAP, 0xE565U);
}

/*
 * fim_proto_check_out_header()
 * ----------------------------
 */

#define FIM_OH	sizeof(struct fuse_out_header)

struct fim_oh_case {
	const char		*name;
	struct fuse_out_header	oh;
	size_t			nbytes;
	int			ret;
	enum fim_out_kind	kind;	/* if ret == 0 */
};

static const struct fim_oh_case fim_oh_cases[] = {
	{ "reply with payload",
	  { FIM_OH + 8, 0, 7 }, FIM_OH + 8, 0, FIM_OUT_REPLY },
	{ "reply without payload",
	  { FIM_OH, 0, 7 }, FIM_OH, 0, FIM_OUT_REPLY },
	{ "error reply",
	  { FIM_OH, -ENOENT, 7 }, FIM_OH, 0, FIM_OUT_REPLY },
	{ "error reply -511 is the last userspace errno",
	  { FIM_OH, -511, 7 }, FIM_OH, 0, FIM_OUT_REPLY },
	{ "error reply -ERESTARTSYS is kernel-internal",
	  { FIM_OH, -ERESTARTSYS, 7 }, FIM_OH, -EINVAL },
	{ "error reply -4095 is kernel-internal",
	  { FIM_OH, -4095, 7 }, FIM_OH, -EINVAL },
	{ "error reply INT_MIN",
	  { FIM_OH, INT_MIN, 7 }, FIM_OH, -EINVAL },
	{ "positive error in reply",
	  { FIM_OH, 1, 7 }, FIM_OH, -EINVAL },
	{ "error reply with payload",
	  { FIM_OH + 8, -EIO, 7 }, FIM_OH + 8, -EINVAL },
	{ "len below bytes written",
	  { FIM_OH, 0, 7 }, FIM_OH + 8, -EINVAL },
	{ "len above bytes written",
	  { FIM_OH + 8, 0, 7 }, FIM_OH, -EINVAL },
	{ "write shorter than a header",
	  { FIM_OH - 1, 0, 7 }, FIM_OH - 1, -EINVAL },
	{ "empty write",
	  { 0, 0, 7 }, 0, -EINVAL },
	{ "largest len",
	  { U32_MAX, 0, 7 }, U32_MAX, 0, FIM_OUT_REPLY },
	{ "notification with payload",
	  { FIM_OH + 80, FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS, 0 }, FIM_OH + 80,
	  0, FIM_OUT_NOTIFY },
	{ "notification without payload",
	  { FIM_OH, FUSE_NOTIFY_POLL, 0 }, FIM_OH, 0, FIM_OUT_NOTIFY },
	{ "notification code 0",
	  { FIM_OH, 0, 0 }, FIM_OH, -EINVAL },
	{ "negative notification code",
	  { FIM_OH, -ENOENT, 0 }, FIM_OH, -EINVAL },
	{ "notification len mismatch",
	  { FIM_OH, FUSE_NOTIFY_POLL, 0 }, FIM_OH + 8, -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(fim_oh, fim_oh_cases, name);

static void fim_out_header_test(struct kunit *test)
{
	const struct fim_oh_case *c = test->param_value;
	enum fim_out_kind kind = (enum fim_out_kind)-1;
	int ret;

	ret = fim_proto_check_out_header(&c->oh, c->nbytes, &kind);
	KUNIT_EXPECT_EQ_MSG(test, ret, c->ret,
			    "len %u error %d unique %llu nbytes %zu: expected %d, found %d",
			    c->oh.len, c->oh.error, c->oh.unique, c->nbytes,
			    c->ret, ret);
	if (!c->ret && !ret)
		KUNIT_EXPECT_EQ_MSG(test, kind, c->kind,
				    "kind: expected %d, found %d",
				    c->kind, kind);
}

/*
 * fim_iomap_check_mapping()
 * -------------------------
 * Baseline: 4 KiB blocks, 1 TiB files, I/O at 8 KiB; a MAPPED extent
 * covering 4-12 KiB of the file at 1 MiB on device 1.
 */

#define FIM_BLK		4096ULL
#define FIM_MAXBYTES	(1LL << 40)
#define FIM_POS		(2 * FIM_BLK)
#define FIM_ADDR	(256 * FIM_BLK)

#define FIM_CTX(_src, _write, _cache)				\
	{ .src = (_src), .write_half = (_write),		\
	  .has_cache = (_cache), .blocksize = FIM_BLK,		\
	  .maxbytes = FIM_MAXBYTES, .pos = FIM_POS }
#define FIM_BEGIN_READ	FIM_CTX(FIM_IOMAP_SRC_BEGIN, false, false)
#define FIM_BEGIN_AT(_pos)					\
	{ .src = FIM_IOMAP_SRC_BEGIN, .blocksize = FIM_BLK,	\
	  .maxbytes = FIM_MAXBYTES, .pos = (_pos) }
#define FIM_BEGIN_WRITE	FIM_CTX(FIM_IOMAP_SRC_BEGIN, true, false)
#define FIM_BEGIN_CACHE	FIM_CTX(FIM_IOMAP_SRC_BEGIN, false, true)
#define FIM_UPSERT	FIM_CTX(FIM_IOMAP_SRC_UPSERT, false, true)

/* A storage mapping: MAPPED/UNWRITTEN with a device, others without. */
#define FIM_MAP(_type, _flags)						\
	{ .offset = FIM_BLK, .length = 2 * FIM_BLK,			\
	  .addr = FIM_ADDR, .type = (_type), .flags = (_flags),	\
	  .dev = 1 }
#define FIM_NOMAP(_type)						\
	{ .offset = FIM_BLK, .length = 2 * FIM_BLK,			\
	  .addr = FUSE_IOMAP_NULL_ADDR, .type = (_type),		\
	  .dev = FUSE_IOMAP_DEV_NULL }
/* Baseline MAPPED extent with one field replaced. */
#define FIM_MAPPED(...)							\
	{ .offset = FIM_BLK, .length = 2 * FIM_BLK, .addr = FIM_ADDR,	\
	  .type = FUSE_IOMAP_TYPE_MAPPED, .dev = 1, __VA_ARGS__ }

struct fim_map_case {
	const char			*name;
	struct fuse_iomap_io		map;
	struct fim_iomap_check_ctx	ctx;
	enum fim_iomap_bad		bad;
};

/* Designated initializers override the baseline; that is the point. */
__diag_push();
__diag_ignore_all("-Woverride-init", "cases override one baseline field");

static const struct fim_map_case fim_map_cases[] = {
	/* types */
	{ "mapped", FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, 0), FIM_BEGIN_READ,
	  FIM_IOMAP_OK },
	{ "unwritten", FIM_MAP(FUSE_IOMAP_TYPE_UNWRITTEN, 0), FIM_BEGIN_READ,
	  FIM_IOMAP_OK },
	{ "hole", FIM_NOMAP(FUSE_IOMAP_TYPE_HOLE), FIM_BEGIN_READ,
	  FIM_IOMAP_OK },
	{ "delalloc", FIM_NOMAP(FUSE_IOMAP_TYPE_DELALLOC), FIM_BEGIN_READ,
	  FIM_IOMAP_OK },
	{ "inline", FIM_NOMAP(FUSE_IOMAP_TYPE_INLINE), FIM_BEGIN_READ,
	  FIM_IOMAP_OK },
	{ "type 5 is unknown", FIM_MAPPED(.type = 5), FIM_BEGIN_READ,
	  FIM_IOMAP_BAD_TYPE },
	{ "type 252 is unknown", FIM_MAPPED(.type = 252), FIM_BEGIN_READ,
	  FIM_IOMAP_BAD_TYPE },
	{ "type 0xffff is unknown", FIM_MAPPED(.type = 0xffff),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_TYPE },
	{ "mapped in write half", FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, 0),
	  FIM_BEGIN_WRITE, FIM_IOMAP_OK },
	{ "pure overwrite in write half",
	  FIM_NOMAP(FUSE_IOMAP_TYPE_PURE_OVERWRITE), FIM_BEGIN_WRITE,
	  FIM_IOMAP_OK },
	{ "pure overwrite ignores dev and addr",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_PURE_OVERWRITE, .addr = 1),
	  FIM_BEGIN_WRITE, FIM_IOMAP_OK },
	{ "pure overwrite in read half",
	  FIM_NOMAP(FUSE_IOMAP_TYPE_PURE_OVERWRITE), FIM_BEGIN_READ,
	  FIM_IOMAP_BAD_TYPE_HERE },
	{ "pure overwrite still needs a length",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_PURE_OVERWRITE, .length = 0),
	  FIM_BEGIN_WRITE, FIM_IOMAP_BAD_LENGTH },
	{ "nocache in begin reply", FIM_NOMAP(FUSE_IOMAP_TYPE_NOCACHE),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_TYPE_HERE },
	{ "nocache in upsert", FIM_NOMAP(FUSE_IOMAP_TYPE_NOCACHE),
	  FIM_UPSERT, FIM_IOMAP_OK },
	{ "nocache range is not looked at",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_NOCACHE, .length = 1,
		     .flags = 0xffff),
	  FIM_UPSERT, FIM_IOMAP_OK },
	{ "retry cache with a cache", FIM_NOMAP(FUSE_IOMAP_TYPE_RETRY_CACHE),
	  FIM_BEGIN_CACHE, FIM_IOMAP_OK },
	{ "retry cache without a cache",
	  FIM_NOMAP(FUSE_IOMAP_TYPE_RETRY_CACHE), FIM_BEGIN_READ,
	  FIM_IOMAP_BAD_TYPE_HERE },
	{ "retry cache in upsert", FIM_NOMAP(FUSE_IOMAP_TYPE_RETRY_CACHE),
	  FIM_UPSERT, FIM_IOMAP_BAD_TYPE_HERE },

	/* flags */
	{ "flag new", FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_NEW),
	  FIM_BEGIN_READ, FIM_IOMAP_OK },
	{ "flag dirty", FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_DIRTY),
	  FIM_BEGIN_READ, FIM_IOMAP_OK },
	{ "flag shared", FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_SHARED),
	  FIM_BEGIN_READ, FIM_IOMAP_OK },
	{ "flag merged", FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_MERGED),
	  FIM_BEGIN_READ, FIM_IOMAP_OK },
	{ "flag boundary",
	  FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_BOUNDARY),
	  FIM_BEGIN_READ, FIM_IOMAP_OK },
	{ "flag anon write",
	  FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_ANON_WRITE),
	  FIM_BEGIN_READ, FIM_IOMAP_OK },
	{ "flag atomic bio",
	  FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_ATOMIC_BIO),
	  FIM_BEGIN_READ, FIM_IOMAP_OK },
	{ "flag want iomap end",
	  FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_WANT_IOMAP_END),
	  FIM_BEGIN_READ, FIM_IOMAP_OK },
	{ "all server flags",
	  FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FIM_IOMAP_F_SERVER_ALL),
	  FIM_BEGIN_READ, FIM_IOMAP_OK },
	{ "flag size changed is kernel-only",
	  FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_SIZE_CHANGED),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_FLAGS },
	{ "flag stale is kernel-only",
	  FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_F_STALE),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_FLAGS },
	{ "flag bit 10 is unknown", FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, 1U << 10),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_FLAGS },
	{ "flag bit 15 is unknown", FIM_MAP(FUSE_IOMAP_TYPE_MAPPED, 1U << 15),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_FLAGS },
	{ "unknown flag on a hole",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_HOLE, .dev = 0,
		     .addr = FUSE_IOMAP_NULL_ADDR, .flags = 1U << 12),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_FLAGS },

	/* length and alignment */
	{ "zero length", FIM_MAPPED(.length = 0), FIM_BEGIN_READ,
	  FIM_IOMAP_BAD_LENGTH },
	{ "offset not block aligned", FIM_MAPPED(.offset = FIM_BLK + 512),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_ALIGN },
	{ "length not block aligned", FIM_MAPPED(.length = FIM_BLK + 1),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_ALIGN },
	{ "length one byte", FIM_MAPPED(.length = 1), FIM_BEGIN_READ,
	  FIM_IOMAP_BAD_ALIGN },

	/* file range overflow and maxbytes */
	{ "end is exactly 2^64",
	  FIM_MAPPED(.offset = 0ULL - FIM_BLK, .length = FIM_BLK),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_END },
	{ "end wraps past 2^64",
	  FIM_MAPPED(.offset = 0ULL - FIM_BLK, .length = 2 * FIM_BLK),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_END },
	{ "largest length wraps",
	  FIM_MAPPED(.offset = FIM_BLK, .length = 0ULL - FIM_BLK),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_END },
	{ "largest length from offset 0",
	  FIM_MAPPED(.offset = 0, .length = 0ULL - FIM_BLK),
	  FIM_UPSERT, FIM_IOMAP_BAD_ADDR_END },
	{ "offset at maxbytes",
	  FIM_MAPPED(.offset = FIM_MAXBYTES), FIM_UPSERT,
	  FIM_IOMAP_BAD_MAXBYTES },
	{ "offset past maxbytes",
	  FIM_MAPPED(.offset = FIM_MAXBYTES + FIM_BLK), FIM_UPSERT,
	  FIM_IOMAP_BAD_MAXBYTES },
	{ "offset negative as loff_t",
	  FIM_MAPPED(.offset = 1ULL << 63), FIM_UPSERT,
	  FIM_IOMAP_BAD_MAXBYTES },
	{ "last block below maxbytes",
	  FIM_MAPPED(.offset = FIM_MAXBYTES - FIM_BLK, .length = FIM_BLK),
	  FIM_UPSERT, FIM_IOMAP_OK },
	{ "range may extend past maxbytes",
	  FIM_MAPPED(.offset = FIM_MAXBYTES - FIM_BLK,
		     .length = 2 * FIM_BLK),
	  FIM_UPSERT, FIM_IOMAP_OK },

	/* device and address */
	{ "mapped without dev", FIM_MAPPED(.dev = FUSE_IOMAP_DEV_NULL),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_DEV },
	{ "mapped without addr", FIM_MAPPED(.addr = FUSE_IOMAP_NULL_ADDR),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_ADDR },
	{ "unwritten without dev",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_UNWRITTEN,
		     .dev = FUSE_IOMAP_DEV_NULL),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_DEV },
	{ "unwritten without addr",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_UNWRITTEN,
		     .addr = FUSE_IOMAP_NULL_ADDR),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_ADDR },
	{ "mapped at addr 0", FIM_MAPPED(.addr = 0), FIM_BEGIN_READ,
	  FIM_IOMAP_OK },
	{ "mapped addr sector aligned only",
	  FIM_MAPPED(.addr = FIM_ADDR + 512), FIM_BEGIN_READ, FIM_IOMAP_OK },
	{ "mapped addr not sector aligned",
	  FIM_MAPPED(.addr = FIM_ADDR + 1), FIM_BEGIN_READ,
	  FIM_IOMAP_BAD_ADDR },
	{ "mapped addr end exactly 2^64",
	  FIM_MAPPED(.addr = 0ULL - 2 * FIM_BLK), FIM_BEGIN_READ,
	  FIM_IOMAP_BAD_ADDR_END },
	{ "mapped addr end just below 2^64",
	  FIM_MAPPED(.addr = 0ULL - 2 * FIM_BLK - 512), FIM_BEGIN_READ,
	  FIM_IOMAP_OK },
	{ "unwritten addr end wraps",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_UNWRITTEN, .addr = 0ULL - 512),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_ADDR_END },
	{ "hole with dev",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_HOLE,
		     .addr = FUSE_IOMAP_NULL_ADDR),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_DEV },
	{ "hole with addr",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_HOLE, .dev = 0, .addr = 0),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_ADDR },
	{ "delalloc with dev",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_DELALLOC,
		     .addr = FUSE_IOMAP_NULL_ADDR),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_DEV },
	{ "delalloc with addr",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_DELALLOC, .dev = 0),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_ADDR },
	{ "inline with dev",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_INLINE,
		     .addr = FUSE_IOMAP_NULL_ADDR),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_DEV },
	{ "inline with addr",
	  FIM_MAPPED(.type = FUSE_IOMAP_TYPE_INLINE, .dev = 0),
	  FIM_BEGIN_READ, FIM_IOMAP_BAD_ADDR },

	/* coverage of pos */
	{ "pos at first byte", FIM_MAPPED(), FIM_BEGIN_AT(FIM_BLK),
	  FIM_IOMAP_OK },
	{ "pos at last byte", FIM_MAPPED(), FIM_BEGIN_AT(3 * FIM_BLK - 1),
	  FIM_IOMAP_OK },
	{ "pos just past the end", FIM_MAPPED(), FIM_BEGIN_AT(3 * FIM_BLK),
	  FIM_IOMAP_BAD_POS },
	{ "pos just before the start", FIM_MAPPED(),
	  FIM_BEGIN_AT(FIM_BLK - 1), FIM_IOMAP_BAD_POS },
	{ "write half must cover pos",
	  FIM_MAPPED(.offset = FIM_POS + FIM_BLK), FIM_BEGIN_WRITE,
	  FIM_IOMAP_BAD_POS },
	{ "upsert need not cover pos",
	  FIM_MAPPED(.offset = FIM_POS + FIM_BLK), FIM_UPSERT, FIM_IOMAP_OK },
};

__diag_pop();

KUNIT_ARRAY_PARAM_DESC(fim_map, fim_map_cases, name);

static void fim_mapping_test(struct kunit *test)
{
	const struct fim_map_case *c = test->param_value;
	const struct fuse_iomap_io *m = &c->map;
	enum fim_iomap_bad bad;
	int ret;

	bad = fim_iomap_mapping_rule(m, &c->ctx);
	KUNIT_EXPECT_EQ_MSG(test, bad, c->bad,
			    "type %u flags 0x%x offset 0x%llx length 0x%llx addr 0x%llx dev %u: expected rule %d, found %d",
			    m->type, m->flags, m->offset, m->length, m->addr,
			    m->dev, c->bad, bad);

	ret = fim_iomap_check_mapping(m, &c->ctx);
	KUNIT_EXPECT_EQ_MSG(test, ret, c->bad ? -EFSCORRUPTED : 0,
			    "check_mapping: expected %d, found %d",
			    c->bad ? -EFSCORRUPTED : 0, ret);
}

/*
 * fim_dirent_next()
 * -----------------
 *
 * Each case builds a reply of @nrec records: the first ones good, the last
 * from the case's fields.  The buffer is then cut short by @trim bytes (or
 * grows by -@trim zero bytes), and walked the way dir.c walks a reply.
 */

struct fim_dirent_case {
	const char		*desc;
	bool			plus;
	unsigned int		nrec;
	const char		*name;	/* of the last record; NULL: "nnn..." */
	u32			nbytes;	/* bytes of @name copied; 0: strlen */
	s64			namelen; /* header's namelen; -1: nbytes */
	u32			type;
	u64			off;
	u64			nodeid;
	u32			mode;
	int			trim;
	enum fim_dirent_bad	bad;
	unsigned int		good;	/* records accepted first */
	unsigned int		counted; /* of those, with a lookup count */
};

/* Append one record at @p; returns its size. */
static size_t fim_dirent_put(void *p, bool plus, const char *name,
			     u32 nbytes, u32 namelen, u32 type, u64 off,
			     u64 nodeid, u32 mode)
{
	struct fuse_direntplus *dp = p;
	struct fuse_dirent *de = p;
	size_t head = FUSE_NAME_OFFSET;

	if (plus) {
		de = &dp->dirent;
		head = FUSE_NAME_OFFSET_DIRENTPLUS;
		dp->entry_out.nodeid = nodeid;
		dp->entry_out.attr.ino = nodeid;
		dp->entry_out.attr.mode = mode;
	}
	de->ino = nodeid;
	de->off = off;
	de->namelen = namelen;
	de->type = type;
	if (name)
		memcpy(de->name, name, nbytes);
	else
		memset(de->name, 'n', nbytes);
	return FUSE_DIRENT_ALIGN(head + nbytes);
}

static size_t fim_dirent_build(const struct fim_dirent_case *c, void *buf)
{
	static const char * const first[] = { "alpha", "b" };
	size_t len = 0;
	unsigned int i;
	u32 nbytes;

	for (i = 0; i + 1 < c->nrec && i < ARRAY_SIZE(first); i++)
		len += fim_dirent_put(buf + len, c->plus, first[i],
				      strlen(first[i]), strlen(first[i]),
				      DT_REG, i + 1, 100 + i,
				      S_IFREG | 0644);
	if (c->nrec) {
		nbytes = c->nbytes ?: strlen(c->name);
		len += fim_dirent_put(buf + len, c->plus, c->name, nbytes,
				      c->namelen < 0 ? nbytes : c->namelen,
				      c->type, c->off, c->nodeid, c->mode);
	}
	return len - c->trim;
}

#define FIM_DE(...) { .nrec = 1, .name = "file", .namelen = -1,	\
		      .type = DT_REG, .off = 7, .nodeid = 200,		\
		      .mode = S_IFREG | 0644, __VA_ARGS__ }
#define FIM_DEP(...)	FIM_DE(.plus = true, __VA_ARGS__)

__diag_push();
__diag_ignore_all("-Woverride-init", "cases override one baseline field");

static const struct fim_dirent_case fim_dirent_cases[] = {
	FIM_DE(.desc = "zero-length reply", .nrec = 0, .good = 0),
	FIM_DEP(.desc = "plus: zero-length reply", .nrec = 0, .good = 0),
	FIM_DE(.desc = "one record", .good = 1),
	FIM_DEP(.desc = "plus: one record", .good = 1, .counted = 1),
	FIM_DE(.desc = "records exactly fill the reply", .nrec = 3,
	       .good = 3),
	FIM_DEP(.desc = "plus: records exactly fill the reply", .nrec = 3,
		.good = 3, .counted = 3),
	FIM_DE(.desc = "name fills its 8-byte slot", .name = "abcdefgh",
	       .good = 1),
	FIM_DE(.desc = "longest name", .name = NULL, .nbytes = 255,
	       .good = 1),
	FIM_DEP(.desc = "plus: longest name", .name = NULL, .nbytes = 255,
		.good = 1, .counted = 1),
	FIM_DE(.desc = "truncated header", .trim = 32 - 10,
	       .bad = FIM_DIRENT_BAD_SHORT),
	FIM_DEP(.desc = "plus: truncated inside the entry", .trim = 160 - 100,
		.bad = FIM_DIRENT_BAD_SHORT),
	FIM_DEP(.desc = "plus: truncated inside the dirent", .trim = 160 - 140,
		.bad = FIM_DIRENT_BAD_SHORT),
	FIM_DE(.desc = "second record's header truncated", .nrec = 2,
	       .trim = 32 - 16, .good = 1, .bad = FIM_DIRENT_BAD_SHORT),
	FIM_DE(.desc = "zero bytes after the last record", .trim = -8,
	       .good = 1, .bad = FIM_DIRENT_BAD_SHORT),
	FIM_DE(.desc = "namelen 0", .namelen = 0,
	       .bad = FIM_DIRENT_BAD_NAMELEN),
	FIM_DEP(.desc = "plus: namelen 0", .namelen = 0,
		.bad = FIM_DIRENT_BAD_NAMELEN),
	FIM_DE(.desc = "namelen 256", .namelen = 256,
	       .bad = FIM_DIRENT_BAD_NAMELEN),
	FIM_DE(.desc = "namelen 2^32-1", .namelen = U32_MAX,
	       .bad = FIM_DIRENT_BAD_NAMELEN),
	FIM_DE(.desc = "namelen past the reply", .namelen = 200,
	       .bad = FIM_DIRENT_BAD_OVERRUN),
	FIM_DEP(.desc = "plus: namelen past the reply", .namelen = 9,
		.bad = FIM_DIRENT_BAD_OVERRUN),
	FIM_DE(.desc = "namelen past the reply after a good record",
	       .nrec = 2, .namelen = 255, .good = 1,
	       .bad = FIM_DIRENT_BAD_OVERRUN),
	FIM_DE(.desc = "last record's padding missing", .name = "abc",
	       .trim = 2, .bad = FIM_DIRENT_BAD_OVERRUN),
	FIM_DEP(.desc = "plus: last record's padding missing", .name = "abc",
		.trim = 1, .bad = FIM_DIRENT_BAD_OVERRUN),
	FIM_DE(.desc = "name with '/'", .name = "a/b",
	       .bad = FIM_DIRENT_BAD_NAME),
	FIM_DE(.desc = "name is '/'", .name = "/",
	       .bad = FIM_DIRENT_BAD_NAME),
	FIM_DE(.desc = "name with NUL", .name = "a\0b", .nbytes = 3,
	       .bad = FIM_DIRENT_BAD_NAME),
	FIM_DEP(.desc = "plus: name with NUL at the end", .name = "ab\0",
		.nbytes = 3, .bad = FIM_DIRENT_BAD_NAME),
	FIM_DE(.desc = "type 15", .type = 15, .good = 1),
	FIM_DE(.desc = "type 16", .type = 16, .bad = FIM_DIRENT_BAD_TYPE),
	FIM_DE(.desc = "largest offset", .off = S64_MAX, .good = 1),
	FIM_DE(.desc = "offset 2^63", .off = 1ULL << 63,
	       .bad = FIM_DIRENT_BAD_OFF),
	FIM_DEP(.desc = "plus: offset 2^64-1", .off = U64_MAX,
		.bad = FIM_DIRENT_BAD_OFF),
	FIM_DE(.desc = "dot", .name = ".", .good = 1),
	FIM_DE(.desc = "dot-dot", .name = "..", .good = 1),
	FIM_DEP(.desc = "plus: dot is not counted", .name = ".", .good = 1),
	FIM_DEP(.desc = "plus: dot-dot is not counted", .name = "..",
		.good = 1),
	FIM_DEP(.desc = "plus: dot-dot-dot is a name", .name = "...",
		.good = 1, .counted = 1),
	FIM_DEP(.desc = "plus: dot-x is a name", .name = ".x",
		.good = 1, .counted = 1),
	FIM_DEP(.desc = "plus: dot's mode is not looked at", .name = ".",
		.mode = 0, .good = 1),
	FIM_DEP(.desc = "plus: node 0 is listed, not counted", .nodeid = 0,
		.good = 1),
	FIM_DEP(.desc = "plus: node 0's mode is not looked at", .nodeid = 0,
		.mode = 0, .good = 1),
	FIM_DEP(.desc = "plus: mode without a file type", .mode = 0644,
		.bad = FIM_DIRENT_BAD_MODE),
	FIM_DEP(.desc = "plus: mode type 0170000", .mode = S_IFMT | 0644,
		.bad = FIM_DIRENT_BAD_MODE),
	FIM_DEP(.desc = "plus: bad mode after good records", .nrec = 3,
		.mode = 0030000, .good = 2, .counted = 2,
		.bad = FIM_DIRENT_BAD_MODE),
	FIM_DEP(.desc = "plus: directory", .mode = S_IFDIR | 0755,
		.type = DT_DIR, .good = 1, .counted = 1),
};

__diag_pop();

KUNIT_ARRAY_PARAM_DESC(fim_dirent, fim_dirent_cases, desc);

static void fim_dirent_test(struct kunit *test)
{
	const struct fim_dirent_case *c = test->param_value;
	enum fim_dirent_bad bad = FIM_DIRENT_OK;
	unsigned int good = 0, counted = 0;
	struct fim_dirent_rec rec;
	size_t len;
	void *buf;

	buf = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	len = fim_dirent_build(c, buf);
	while (len) {
		bad = fim_dirent_next(buf, len, c->plus, &rec);
		if (bad != FIM_DIRENT_OK)
			break;
		KUNIT_ASSERT_LE(test, rec.reclen, len);
		KUNIT_EXPECT_EQ(test, rec.reclen % 8, 0);
		KUNIT_EXPECT_EQ(test, !!rec.entry, c->plus);
		good++;
		if (c->plus && rec.entry->nodeid && !rec.dot)
			counted++;
		buf += rec.reclen;
		len -= rec.reclen;
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, c->bad, "verdict: expected %d, found %d",
			    c->bad, bad);
	KUNIT_EXPECT_EQ_MSG(test, good, c->good,
			    "records accepted: expected %u, found %u",
			    c->good, good);
	KUNIT_EXPECT_EQ_MSG(test, counted, c->counted,
			    "lookups counted: expected %u, found %u",
			    c->counted, counted);
}

static struct kunit_case fim_proto_test_cases[] = {
	KUNIT_CASE_PARAM(fim_layout_test, fim_layout_gen_params),
	KUNIT_CASE(fim_abi_numbers_test),
	KUNIT_CASE_PARAM(fim_out_header_test, fim_oh_gen_params),
	KUNIT_CASE_PARAM(fim_mapping_test, fim_map_gen_params),
	KUNIT_CASE_PARAM(fim_dirent_test, fim_dirent_gen_params),
	{}
};

static struct kunit_suite fim_proto_test_suite = {
	.name = "fim_proto",
	.test_cases = fim_proto_test_cases,
};
kunit_test_suite(fim_proto_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for the fuse_iomap wire protocol checks");
MODULE_AUTHOR("fuse-iomap developers");
FIM_COMPAT_IMPORT_KUNIT_NS();
