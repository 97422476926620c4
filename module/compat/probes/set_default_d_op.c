// SPDX-License-Identifier: GPL-2.0
/*
 * v6.17 or so (the 7.2 headers have it; 6.12 does not): super_block.s_d_op
 * is gone; the default dentry operations are set with set_default_d_op().
 */
#include <linux/dcache.h>
#include <linux/fs.h>

static __maybe_unused void fim_probe(struct super_block *sb,
				     const struct dentry_operations *ops)
{
	set_default_d_op(sb, ops);
}
