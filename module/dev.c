// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/fuse_iomap character device, through which a server talks to
 * fuse_iomap.ko.
 *
 * Each open file is a possible server channel.  At this stage no mount can
 * bind a channel to a connection, so the device only answers what it can
 * answer honestly: it refuses message traffic, reports an error condition
 * to poll, and tells servers that the iomap data path is not available.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "fim.h"

/**
 * struct fim_dev - state of one open /dev/fuse_iomap file
 * @conn: connection this channel serves; NULL until a mount binds it
 *
 * @conn is set once, by the mount that consumes the fd, and is stable
 * from then on.
 */
struct fim_dev {
	struct fim_conn		*conn;
};

static struct fim_dev *fim_dev_get(struct file *file)
{
	return file->private_data;
}

/**
 * fim_dev_open() - open a server channel
 * @inode: device inode
 * @file: the new open file
 *
 * Allocates the per-fd state.  May sleep.
 *
 * Return: 0, or -ENOMEM.
 */
static int fim_dev_open(struct inode *inode, struct file *file)
{
	struct fim_dev *fd;

	fd = kzalloc(sizeof(*fd), GFP_KERNEL);
	if (!fd)
		return -ENOMEM;
	/* The misc core left its miscdevice here; we do not need it. */
	file->private_data = fd;
	return 0;
}

/**
 * fim_dev_release() - close a server channel
 * @inode: device inode
 * @file: the file being released
 *
 * Frees the per-fd state.  No connection can be bound yet, so there is
 * nothing to abort.  May sleep.
 *
 * Return: 0.
 */
static int fim_dev_release(struct inode *inode, struct file *file)
{
	kfree(fim_dev_get(file));
	return 0;
}

/**
 * fim_dev_read_iter() - server reads the next request
 * @iocb: the read
 * @to: destination buffer
 *
 * A channel carries requests only once a mount has bound it to a
 * connection, and mounting is not implemented yet.
 *
 * Return: -EPERM while the channel has no connection.
 */
static ssize_t fim_dev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct fim_dev *fd = fim_dev_get(iocb->ki_filp);

	if (!fd->conn)
		return -EPERM;
	return -EOPNOTSUPP;
}

/**
 * fim_dev_write_iter() - server writes a reply or a notification
 * @iocb: the write
 * @from: source buffer
 *
 * Like reading, writing needs a connection.
 *
 * Return: -EPERM while the channel has no connection.
 */
static ssize_t fim_dev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct fim_dev *fd = fim_dev_get(iocb->ki_filp);

	if (!fd->conn)
		return -EPERM;
	return -EOPNOTSUPP;
}

/**
 * fim_dev_poll() - wait for requests
 * @file: the channel
 * @wait: poll table
 *
 * Without a connection nothing will ever become readable or writable, so
 * report an error rather than let the server sleep forever.
 *
 * Return: EPOLLERR.
 */
static __poll_t fim_dev_poll(struct file *file, poll_table *wait)
{
	return EPOLLERR;
}

static long fim_dev_ioctl_iomap_support(struct fuse_iomap_support __user *arg)
{
	/*
	 * The iomap data path is not implemented yet, so no feature can be
	 * used, whoever asks.
	 */
	struct fuse_iomap_support support = { };

	if (copy_to_user(arg, &support, sizeof(support)))
		return -EFAULT;
	return 0;
}

/**
 * fim_dev_ioctl() - channel ioctls
 * @file: the channel
 * @cmd: FUSE_DEV_IOC_*
 * @arg: user pointer or value, per @cmd
 *
 * Only FUSE_DEV_IOC_IOMAP_SUPPORT is implemented.  May sleep.
 *
 * Return: 0 on success, -EFAULT for a bad pointer, -ENOTTY for any other
 * command.
 */
static long fim_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case FUSE_DEV_IOC_IOMAP_SUPPORT:
		return fim_dev_ioctl_iomap_support((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations fim_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= fim_dev_open,
	.release	= fim_dev_release,
	.read_iter	= fim_dev_read_iter,
	.write_iter	= fim_dev_write_iter,
	.poll		= fim_dev_poll,
	.unlocked_ioctl	= fim_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * Root-only (the misc default mode) until the protocol client decides how
 * unprivileged servers get a channel.
 */
static struct miscdevice fim_miscdev = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= FUSE_IOMAP_MISC_NAME,
	.fops		= &fim_dev_fops,
};

/**
 * fim_dev_init() - register /dev/fuse_iomap
 *
 * Called once at module load.  May sleep.
 *
 * Return: 0, or a negative errno from misc_register().
 */
int fim_dev_init(void)
{
	return misc_register(&fim_miscdev);
}

/**
 * fim_dev_exit() - unregister /dev/fuse_iomap
 *
 * Called once at module unload; open files keep the module pinned, so none
 * exist here.  May sleep.
 */
void fim_dev_exit(void)
{
	misc_deregister(&fim_miscdev);
}
