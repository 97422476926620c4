// SPDX-License-Identifier: GPL-2.0
/*
 * v6.15: inode_operations.mkdir returns the dentry it used (or NULL for
 * the one passed in) instead of an int.
 */
#include <linux/fs.h>

static struct dentry *fim_probe_mkdir(struct mnt_idmap *idmap,
				      struct inode *dir, struct dentry *dentry,
				      umode_t mode)
{
	return NULL;
}

static const struct inode_operations fim_probe_ops __maybe_unused = {
	.mkdir	= fim_probe_mkdir,
};
