// SPDX-License-Identifier: GPL-2.0
/*
 * Per-connection control files in debugfs.
 *
 * /sys/kernel/debug/fuse_iomap/<major>:<minor>/ (the superblock's device
 * number, as in /proc/self/mountinfo) holds:
 *
 *   waiting  requests allocated and not yet freed (read-only)
 *   abort    write anything to abort the connection: every request in
 *            flight fails, new ones fail with ENOTCONN, the mount stays
 *            until unmounted (the way out of a hung server without
 *            killing it)
 *
 * Debugfs is optional: without it the files are simply absent.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>

#include "fim.h"

static struct dentry *fim_debugfs_root;

static ssize_t fim_debugfs_abort_write(struct file *file,
				       const char __user *buf, size_t count,
				       loff_t *ppos)
{
	struct fim_conn *fc = file->private_data;

	pr_info("connection aborted through debugfs\n");
	fim_conn_abort(fc);
	return count;
}

static const struct file_operations fim_debugfs_abort_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= fim_debugfs_abort_write,
	.llseek	= noop_llseek,
};

/**
 * fim_debugfs_add() - create the control directory of a mount
 * @sb: the superblock, fully set up
 *
 * Failures are ignored: the files are a debugging aid.  Removal waits for
 * readers and writers of the files, so they never see a freed connection.
 */
void fim_debugfs_add(struct super_block *sb)
{
	struct fim_mount *fm = FIM_SB(sb);
	char name[32];

	if (IS_ERR_OR_NULL(fim_debugfs_root))
		return;
	snprintf(name, sizeof(name), "%u:%u", MAJOR(sb->s_dev),
		 MINOR(sb->s_dev));
	fm->debugfs = debugfs_create_dir(name, fim_debugfs_root);
	debugfs_create_atomic_t("waiting", 0444, fm->debugfs,
				&fm->conn->num_waiting);
	debugfs_create_file("abort", 0200, fm->debugfs, fm->conn,
			    &fim_debugfs_abort_fops);
}

/**
 * fim_debugfs_remove() - remove the control directory of a mount
 * @sb: the superblock
 */
void fim_debugfs_remove(struct super_block *sb)
{
	struct fim_mount *fm = FIM_SB(sb);

	debugfs_remove_recursive(fm->debugfs);
	fm->debugfs = NULL;
}

/**
 * fim_debugfs_init() - create /sys/kernel/debug/fuse_iomap
 */
void fim_debugfs_init(void)
{
	fim_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

/**
 * fim_debugfs_exit() - remove /sys/kernel/debug/fuse_iomap
 */
void fim_debugfs_exit(void)
{
	debugfs_remove_recursive(fim_debugfs_root);
}
