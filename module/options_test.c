// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite fim_options: the mount option rules of options.c.
 *
 * Each case is a list of options applied in order, as the VFS would hand
 * them over, on fuse_iomap or fuse_iomapblk; it names the error the first
 * refused option must give, or, when all are taken, what fim_opts_check()
 * must say and one field's expected value.
 */

#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "fim.h"
#include "options.h"

#define BASE "fd=3,rootmode=40000,user_id=0,group_id=0"

enum fim_opts_field {
	F_NONE, F_FD, F_ROOTMODE, F_USER_ID, F_GROUP_ID, F_MAX_READ,
	F_BLKSIZE, F_ROOT_NODEID, F_DEFAULT_PERMISSIONS, F_ALLOW_OTHER,
	F_SUBTYPE_LEN,
};

struct fim_opts_case {
	const char		*name;
	const char		*opts;
	bool			blkdev;
	int			parse_err;
	int			check_err;
	enum fim_opts_field	field;
	u64			want;
};

#define OK(n, o, f, w)		{ n, o, false, 0, 0, f, w }
#define OK_BLK(n, o, f, w)	{ n, o, true, 0, 0, f, w }
#define BAD(n, o, e)		{ n, o, false, e, 0, F_NONE, 0 }
#define BAD_BLK(n, o, e)	{ n, o, true, e, 0, F_NONE, 0 }
#define MISSING(n, o)		{ n, o, false, 0, -EINVAL, F_NONE, 0 }

static const struct fim_opts_case fim_opts_cases[] = {
	/* Every option, valid. */
	OK("required only", BASE, F_FD, 3),
	OK("default root node id", BASE, F_ROOT_NODEID, FUSE_ROOT_ID),
	OK("default block size", BASE, F_BLKSIZE, FIM_DEFAULT_BLKSIZE),
	OK("no max_read by default", BASE, F_MAX_READ, 0),
	OK("largest fd", "fd=4294967295,rootmode=40000,user_id=0,group_id=0",
	   F_FD, 4294967295U),
	OK("rootmode directory", BASE, F_ROOTMODE, S_IFDIR),
	OK("rootmode regular file with mode",
	   "fd=3,rootmode=100644,user_id=0,group_id=0", F_ROOTMODE,
	   S_IFREG | 0644),
	OK("rootmode with setuid and sticky bits",
	   "fd=3,rootmode=47777,user_id=0,group_id=0", F_ROOTMODE,
	   S_IFDIR | 07777),
	OK("user_id", "fd=3,rootmode=40000,user_id=1000,group_id=0",
	   F_USER_ID, 1000),
	OK("group_id", "fd=3,rootmode=40000,user_id=0,group_id=4294967295",
	   F_GROUP_ID, 4294967295U),
	OK("default_permissions", BASE ",default_permissions",
	   F_DEFAULT_PERMISSIONS, 1),
	OK("default_permissions twice", BASE ",default_permissions,default_permissions",
	   F_DEFAULT_PERMISSIONS, 1),
	OK("allow_other", BASE ",allow_other", F_ALLOW_OTHER, 1),
	OK("max_read", BASE ",max_read=65536", F_MAX_READ, 65536),
	OK("max_read 1", BASE ",max_read=1", F_MAX_READ, 1),
	OK_BLK("blksize 4096", BASE ",blksize=4096", F_BLKSIZE, 4096),
	OK_BLK("blksize 512", BASE ",blksize=512", F_BLKSIZE, 512),
	OK("subtype", BASE ",subtype=hello", F_SUBTYPE_LEN, 5),
	OK("root_nodeid", BASE ",root_nodeid=2", F_ROOT_NODEID, 2),
	OK("largest root_nodeid", BASE ",root_nodeid=18446744073709551615",
	   F_ROOT_NODEID, U64_MAX),
	OK("options in another order",
	   "group_id=7,allow_other,user_id=5,rootmode=40000,fd=9", F_GROUP_ID, 7),

	/* Required options missing. */
	MISSING("no options", ""),
	MISSING("fd missing", "rootmode=40000,user_id=0,group_id=0"),
	MISSING("rootmode missing", "fd=3,user_id=0,group_id=0"),
	MISSING("user_id missing", "fd=3,rootmode=40000,group_id=0"),
	MISSING("group_id missing", "fd=3,rootmode=40000,user_id=0"),

	/* Bad numbers and overflow. */
	BAD("fd not a number", "fd=abc", -EINVAL),
	BAD("fd empty", "fd=", -EINVAL),
	BAD("fd negative", "fd=-1", -EINVAL),
	BAD("fd hexadecimal", "fd=0x3", -EINVAL),
	BAD("fd with a leading space", "fd= 3", -EINVAL),
	BAD("fd with trailing junk", "fd=3x", -EINVAL),
	BAD("fd overflows 32 bits", "fd=4294967296", -EINVAL),
	BAD("fd without a value", "fd", -EINVAL),
	BAD("rootmode not octal", "rootmode=40009", -EINVAL),
	BAD("rootmode without a file type", "rootmode=644", -EINVAL),
	BAD("rootmode with an invalid file type", "rootmode=170000", -EINVAL),
	BAD("rootmode with unknown bits", "rootmode=1040000", -EINVAL),
	BAD("rootmode overflows 32 bits", "rootmode=77777777777", -EINVAL),
	BAD("user_id not a number", "user_id=root", -EINVAL),
	BAD("user_id overflows 32 bits", "user_id=4294967296", -EINVAL),
	BAD("group_id negative", "group_id=-5", -EINVAL),
	BAD("max_read 0", "max_read=0", -EINVAL),
	BAD("max_read not a number", "max_read=lots", -EINVAL),
	BAD("max_read overflows 32 bits", "max_read=99999999999", -EINVAL),
	BAD("root_nodeid 0", "root_nodeid=0", -EINVAL),
	BAD("root_nodeid overflows 64 bits",
	    "root_nodeid=18446744073709551616", -EINVAL),
	BAD("root_nodeid not a number", "root_nodeid=two", -EINVAL),
	BAD("subtype empty", "subtype=", -EINVAL),
	BAD("subtype without a value", "subtype", -EINVAL),

	/* Block size. */
	BAD("blksize on fuse_iomap", "blksize=4096", -EINVAL),
	BAD_BLK("blksize not a power of two", "blksize=1000", -EINVAL),
	BAD_BLK("blksize below 512", "blksize=256", -EINVAL),
	BAD_BLK("blksize above the page size", "blksize=131072", -EINVAL),
	BAD_BLK("blksize 0", "blksize=0", -EINVAL),

	/* Flags with values. */
	BAD("default_permissions with a value", "default_permissions=1", -EINVAL),
	BAD("allow_other with a value", "allow_other=yes", -EINVAL),

	/* Duplicates. */
	BAD("fd twice", "fd=3,fd=4", -EINVAL),
	BAD("fd twice, same value", "fd=3,fd=3", -EINVAL),
	BAD("rootmode twice", "rootmode=40000,rootmode=100644", -EINVAL),
	BAD("user_id twice", "user_id=0,user_id=1", -EINVAL),
	BAD("group_id twice", "group_id=0,group_id=1", -EINVAL),
	BAD("max_read twice", "max_read=4096,max_read=8192", -EINVAL),
	BAD_BLK("blksize twice", "blksize=512,blksize=4096", -EINVAL),
	BAD("subtype twice", "subtype=a,subtype=b", -EINVAL),
	BAD("root_nodeid twice", "root_nodeid=2,root_nodeid=3", -EINVAL),

	/* Not ours: the VFS decides (it takes source, refuses the rest). */
	BAD("unknown option", "bogus=1", -ENOPARAM),
	BAD("unknown flag", "bogus", -ENOPARAM),
	BAD("source is the VFS's", "source=/dev/sda", -ENOPARAM),
	BAD("keys are case-sensitive", "FD=3", -ENOPARAM),
};

KUNIT_ARRAY_PARAM_DESC(fim_opts, fim_opts_cases, name);

static u64 fim_opts_field_value(const struct fim_opts *o,
				enum fim_opts_field f)
{
	switch (f) {
	case F_FD:
		return o->fd;
	case F_ROOTMODE:
		return o->rootmode;
	case F_USER_ID:
		return o->user_id;
	case F_GROUP_ID:
		return o->group_id;
	case F_MAX_READ:
		return o->max_read;
	case F_BLKSIZE:
		return o->blksize;
	case F_ROOT_NODEID:
		return o->root_nodeid;
	case F_DEFAULT_PERMISSIONS:
		return o->default_permissions;
	case F_ALLOW_OTHER:
		return o->allow_other;
	case F_SUBTYPE_LEN:
		return o->subtype ? strlen(o->subtype) : 0;
	case F_NONE:
		break;
	}
	return 0;
}

static void fim_opts_test(struct kunit *test)
{
	const struct fim_opts_case *c = test->param_value;
	struct fim_opts opts;
	char *buf, *cur, *opt, *value;
	const char *why = NULL;
	int err = 0;

	buf = kunit_kstrdup(test, c->opts, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	fim_opts_init(&opts);
	cur = buf;
	while ((opt = strsep(&cur, ",")) != NULL) {
		if (!*opt)
			continue;
		value = strchr(opt, '=');
		if (value)
			*value++ = '\0';
		err = fim_opts_parse(&opts, opt, value, c->blkdev, &why);
		if (err)
			break;
	}
	KUNIT_EXPECT_EQ_MSG(test, err, c->parse_err, "option '%s'", opt);
	if (err == -EINVAL)
		KUNIT_EXPECT_NOT_NULL_MSG(test, why, "no reason for '%s'", opt);
	/* A refused option must be the last one of the case. */
	if (err)
		KUNIT_EXPECT_NULL(test, cur);
	if (!err) {
		KUNIT_EXPECT_EQ(test, fim_opts_check(&opts, &why), c->check_err);
		if (c->check_err)
			KUNIT_EXPECT_NOT_NULL(test, why);
		if (c->field != F_NONE)
			KUNIT_EXPECT_EQ(test, fim_opts_field_value(&opts, c->field),
					c->want);
	}
	fim_opts_free(&opts);
	KUNIT_EXPECT_NULL(test, opts.subtype);
}

static struct kunit_case fim_options_test_cases[] = {
	KUNIT_CASE_PARAM(fim_opts_test, fim_opts_gen_params),
	{}
};

static struct kunit_suite fim_options_test_suite = {
	.name = "fim_options",
	.test_cases = fim_options_test_cases,
};
kunit_test_suite(fim_options_test_suite);
