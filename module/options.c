// SPDX-License-Identifier: GPL-2.0
/*
 * Mount option parsing, free of VFS state.
 *
 * super.c hands each key and value the VFS gives it to fim_opts_parse()
 * and, before setting up the superblock, asks fim_opts_check() whether
 * the required ones came.  Rules:
 *
 *   fd=N              the server channel, decimal u32; required
 *   rootmode=M        octal; a valid file type, no bits beyond S_IFMT and
 *                     07777; required
 *   user_id=N         decimal u32; required (mapped by super.c)
 *   group_id=N        decimal u32; required (mapped by super.c)
 *   default_permissions, allow_other
 *                     flags; no value; may repeat
 *   max_read=N        decimal u32, not 0
 *   blksize=N         fuse_iomapblk only; a power of two, 512..PAGE_SIZE
 *   subtype=S         not empty
 *   root_nodeid=N     decimal u64, not 0
 *
 * A valued option given twice is refused rather than letting the last
 * one win silently.  Unknown keys are left to the VFS (-ENOPARAM), which
 * takes "source" and refuses the rest.  Every refusal says why in @why,
 * for the mount's log.
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "fim.h"
#include "options.h"

struct fim_opt_desc {
	const char	*key;
	enum fim_opt	opt;
	bool		flag;
};

static const struct fim_opt_desc fim_opt_descs[] = {
	{ "fd",			FIM_OPT_FD,			false },
	{ "rootmode",		FIM_OPT_ROOTMODE,		false },
	{ "user_id",		FIM_OPT_USER_ID,		false },
	{ "group_id",		FIM_OPT_GROUP_ID,		false },
	{ "default_permissions", FIM_OPT_DEFAULT_PERMISSIONS,	true },
	{ "allow_other",	FIM_OPT_ALLOW_OTHER,		true },
	{ "max_read",		FIM_OPT_MAX_READ,		false },
	{ "blksize",		FIM_OPT_BLKSIZE,		false },
	{ "subtype",		FIM_OPT_SUBTYPE,		false },
	{ "root_nodeid",	FIM_OPT_ROOT_NODEID,		false },
};

/**
 * fim_opts_init() - set the defaults
 * @opts: the options to fill
 */
void fim_opts_init(struct fim_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->root_nodeid = FUSE_ROOT_ID;
	opts->blksize = FIM_DEFAULT_BLKSIZE;
}
EXPORT_SYMBOL_IF_KUNIT(fim_opts_init);

/**
 * fim_opts_free() - free what parsing allocated
 * @opts: the options
 */
void fim_opts_free(struct fim_opts *opts)
{
	kfree(opts->subtype);
	opts->subtype = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(fim_opts_free);

/* Parse a u32 in @base; kstrtou32 refuses signs, junk and overflow. */
static int fim_opt_u32(const char *value, unsigned int base, u32 *res,
		       const char **why)
{
	if (kstrtou32(value, base, res)) {
		*why = base == 8 ? "not an octal number of 32 bits" :
				   "not a decimal number of 32 bits";
		return -EINVAL;
	}
	return 0;
}

static int fim_opt_set(struct fim_opts *opts, enum fim_opt opt,
		       const char *value, bool blkdev, const char **why)
{
	u32 v32;
	u64 v64;
	char *s;

	switch (opt) {
	case FIM_OPT_FD:
		return fim_opt_u32(value, 10, &opts->fd, why);
	case FIM_OPT_ROOTMODE:
		if (fim_opt_u32(value, 8, &v32, why))
			return -EINVAL;
		/* Any file type: a server may export a single file. */
		if (!fim_valid_file_type(v32)) {
			*why = "no valid file type";
			return -EINVAL;
		}
		if (v32 & ~(S_IFMT | 07777)) {
			*why = "unknown mode bits";
			return -EINVAL;
		}
		opts->rootmode = v32;
		return 0;
	case FIM_OPT_USER_ID:
		return fim_opt_u32(value, 10, &opts->user_id, why);
	case FIM_OPT_GROUP_ID:
		return fim_opt_u32(value, 10, &opts->group_id, why);
	case FIM_OPT_DEFAULT_PERMISSIONS:
		opts->default_permissions = true;
		return 0;
	case FIM_OPT_ALLOW_OTHER:
		opts->allow_other = true;
		return 0;
	case FIM_OPT_MAX_READ:
		if (fim_opt_u32(value, 10, &v32, why))
			return -EINVAL;
		if (!v32) {
			*why = "must not be 0";
			return -EINVAL;
		}
		opts->max_read = v32;
		return 0;
	case FIM_OPT_BLKSIZE:
		if (!blkdev) {
			*why = "only for " FUSE_IOMAP_BLKFS_NAME;
			return -EINVAL;
		}
		if (fim_opt_u32(value, 10, &v32, why))
			return -EINVAL;
		if (v32 < 512 || v32 > PAGE_SIZE || !is_power_of_2(v32)) {
			*why = "not a power of two from 512 to the page size";
			return -EINVAL;
		}
		opts->blksize = v32;
		return 0;
	case FIM_OPT_SUBTYPE:
		if (!*value) {
			*why = "empty";
			return -EINVAL;
		}
		s = kstrdup(value, GFP_KERNEL);
		if (!s)
			return -ENOMEM;
		kfree(opts->subtype);
		opts->subtype = s;
		return 0;
	case FIM_OPT_ROOT_NODEID:
		if (kstrtou64(value, 10, &v64)) {
			*why = "not a decimal number of 64 bits";
			return -EINVAL;
		}
		if (!v64) {
			*why = "must not be 0";
			return -EINVAL;
		}
		opts->root_nodeid = v64;
		return 0;
	}
	*why = "unhandled option";
	return -EINVAL;
}

/**
 * fim_opts_parse() - apply one mount option
 * @opts: the options so far
 * @key: the option's name
 * @value: its value, or NULL if given without "="
 * @blkdev: the mount is of fuse_iomapblk
 * @why: set to a reason on failure
 *
 * Return: 0; -ENOPARAM for a key that is not ours; -EINVAL (with @why) for
 * a bad value, a missing or unexpected value, or a valued option given
 * twice; -ENOMEM.
 */
int fim_opts_parse(struct fim_opts *opts, const char *key, const char *value,
		   bool blkdev, const char **why)
{
	const struct fim_opt_desc *d = NULL;
	unsigned int i;
	int error;

	*why = NULL;
	for (i = 0; i < ARRAY_SIZE(fim_opt_descs); i++) {
		if (!strcmp(key, fim_opt_descs[i].key)) {
			d = &fim_opt_descs[i];
			break;
		}
	}
	if (!d)
		return -ENOPARAM;
	if (d->flag && value) {
		*why = "takes no value";
		return -EINVAL;
	}
	if (!d->flag && !value) {
		*why = "needs a value";
		return -EINVAL;
	}
	if (!d->flag && test_bit(d->opt, &opts->seen)) {
		*why = "given twice";
		return -EINVAL;
	}
	error = fim_opt_set(opts, d->opt, value, blkdev, why);
	if (!error)
		__set_bit(d->opt, &opts->seen);
	return error;
}
EXPORT_SYMBOL_IF_KUNIT(fim_opts_parse);

/**
 * fim_opts_check() - are the required options there?
 * @opts: the parsed options
 * @why: set to a reason on failure
 *
 * Return: 0, or -EINVAL if fd, rootmode, user_id or group_id is missing.
 */
int fim_opts_check(const struct fim_opts *opts, const char **why)
{
	static const struct {
		enum fim_opt	opt;
		const char	*msg;
	} required[] = {
		{ FIM_OPT_FD,		"fd is required" },
		{ FIM_OPT_ROOTMODE,	"rootmode is required" },
		{ FIM_OPT_USER_ID,	"user_id is required" },
		{ FIM_OPT_GROUP_ID,	"group_id is required" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(required); i++) {
		if (!test_bit(required[i].opt, &opts->seen)) {
			*why = required[i].msg;
			return -EINVAL;
		}
	}
	*why = NULL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fim_opts_check);
