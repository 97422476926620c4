// SPDX-License-Identifier: GPL-2.0
/*
 * Filesystem types of fuse_iomap.ko and the mount entry points.
 *
 * "fuse_iomap" is for servers whose storage is not named by the mount
 * source (like "fuse"); "fuse_iomapblk" takes a block device as the source
 * and holds it exclusively for the mount (like "fuseblk").  Both accept a
 * subtype ("fuse_iomap.ext4").  Neither allows mounts from user namespaces:
 * the iomap data path lets a server steer kernel I/O at block devices.
 *
 * At this stage the protocol client does not exist, so every mount fails
 * in get_tree with -EOPNOTSUPP after option parsing has let it get there.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "fim.h"

/**
 * fim_fs_parse_param() - accept a mount option
 * @fc: mount context
 * @param: the option
 *
 * The option table arrives with the protocol client.  Until then every
 * mount fails in fim_fs_get_tree(), so options are accepted unexamined:
 * rejecting "subtype", which the VFS passes for "fuse_iomap.<name>", would
 * hide that honest error behind -EINVAL.  "source" is left to the VFS.
 *
 * Return: -ENOPARAM for "source", 0 for anything else.
 */
static int fim_fs_parse_param(struct fs_context *fc,
			      struct fs_parameter *param)
{
	if (!strcmp(param->key, "source"))
		return -ENOPARAM;
	return 0;
}

/**
 * fim_fs_get_tree() - create or find the superblock for a mount
 * @fc: mount context
 *
 * Not implemented yet.
 *
 * Return: -EOPNOTSUPP.
 */
static int fim_fs_get_tree(struct fs_context *fc)
{
	pr_info_ratelimited("%s: protocol client not implemented yet\n",
			    fc->fs_type->name);
	return -EOPNOTSUPP;
}

static const struct fs_context_operations fim_context_ops = {
	.parse_param	= fim_fs_parse_param,
	.get_tree	= fim_fs_get_tree,
};

/**
 * fim_init_fs_context() - start a mount of either filesystem type
 * @fc: the new mount context
 *
 * Return: 0.
 */
static int fim_init_fs_context(struct fs_context *fc)
{
	fc->ops = &fim_context_ops;
	return 0;
}

static struct file_system_type fim_fs_type = {
	.owner			= THIS_MODULE,
	.name			= FUSE_IOMAP_FS_NAME,
	.fs_flags		= FS_HAS_SUBTYPE,
	.init_fs_context	= fim_init_fs_context,
	/* Anonymous device number, no backing block device. */
	.kill_sb		= kill_anon_super,
};
MODULE_ALIAS_FS(FUSE_IOMAP_FS_NAME);

static struct file_system_type fim_blk_fs_type = {
	.owner			= THIS_MODULE,
	.name			= FUSE_IOMAP_BLKFS_NAME,
	.fs_flags		= FS_REQUIRES_DEV | FS_HAS_SUBTYPE,
	.init_fs_context	= fim_init_fs_context,
	/* Releases the block device claimed for the mount source. */
	.kill_sb		= kill_block_super,
};
MODULE_ALIAS_FS(FUSE_IOMAP_BLKFS_NAME);

/**
 * fim_super_init() - register both filesystem types
 *
 * Called once at module load, after the device exists.  May sleep.
 *
 * Return: 0, or a negative errno from register_filesystem().
 */
int fim_super_init(void)
{
	int error;

	error = register_filesystem(&fim_fs_type);
	if (error)
		return error;

	error = register_filesystem(&fim_blk_fs_type);
	if (error)
		goto out_unregister_fs;
	return 0;

out_unregister_fs:
	unregister_filesystem(&fim_fs_type);
	return error;
}

/**
 * fim_super_exit() - unregister both filesystem types
 *
 * Called once at module unload; mounted filesystems pin the module, so
 * none exist here.  May sleep.
 */
void fim_super_exit(void)
{
	unregister_filesystem(&fim_blk_fs_type);
	unregister_filesystem(&fim_fs_type);
}
