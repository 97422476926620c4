// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry points of fuse_iomap.ko: parameters, and bringing up the
 * character device and the filesystem types in an order that lets each
 * step be undone.
 *
 * The device comes first so that a filesystem type never exists without a
 * way for a server to attach to it; teardown runs in reverse.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>

#include "fim.h"

/*
 * Read when a server negotiates FUSE_IOMAP in INIT, so changing it affects
 * only connections made afterwards.
 */
bool fim_enable_iomap = true;
module_param_named(enable_iomap, fim_enable_iomap, bool, 0644);
MODULE_PARM_DESC(enable_iomap,
		 "allow servers to negotiate the iomap data path (default: Y)");

/*
 * How long unmount waits for the server to answer outstanding RELEASEs
 * and DESTROY before it aborts the connection.  Unmount may run in a
 * kworker (the last reference of a lazily unmounted tree), where no signal
 * can end a wait, and under s_umount, which a server calling sync(2)
 * would wait for: only a bound keeps such a server from hanging it.
 */
unsigned int fim_unmount_timeout_secs = 30;
module_param_named(unmount_timeout, fim_unmount_timeout_secs, uint, 0644);
MODULE_PARM_DESC(unmount_timeout,
		 "seconds unmount waits for the server before aborting (default: 30)");

/* Deferred final iput()s of background RELEASEs, see file.c. */
struct workqueue_struct *fim_wq;

static int __init fim_init(void)
{
	int error;

	fim_wq = alloc_workqueue("fuse_iomap", WQ_UNBOUND, 0);
	if (!fim_wq)
		return -ENOMEM;
	error = fim_inode_cache_init();
	if (error)
		goto out_destroy_wq;

	error = fim_dev_init();
	if (error)
		goto out_inode_cache_exit;

	fim_debugfs_init();
	error = fim_super_init();
	if (error)
		goto out_debugfs_exit;

	pr_info("version %s loaded, protocol %u.%u\n", FIM_VERSION,
		FUSE_KERNEL_VERSION, FUSE_KERNEL_MINOR_VERSION);
	return 0;

out_debugfs_exit:
	fim_debugfs_exit();
	fim_dev_exit();
out_inode_cache_exit:
	fim_inode_cache_exit();
out_destroy_wq:
	destroy_workqueue(fim_wq);
	return error;
}

static void __exit fim_exit(void)
{
	fim_super_exit();
	fim_debugfs_exit();
	fim_dev_exit();
	/* Every superblock is gone, and with it every deferred iput(). */
	destroy_workqueue(fim_wq);
	fim_inode_cache_exit();
}

module_init(fim_init);
module_exit(fim_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(FIM_VERSION);
MODULE_AUTHOR("fuse-iomap developers");
MODULE_DESCRIPTION("FUSE client with the iomap data path, beside the built-in fuse");
