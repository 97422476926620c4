/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared across fuse_iomap.ko: the connection to a server, the
 * per-inode state, module-wide knobs and the locking rules that bind them.
 *
 * This is the skeleton stage of the module.  The structures below carry only
 * the fields that the code of this stage touches, plus the anchors (request
 * lists, block device table) that the protocol client will fill in; each
 * group says which stage owns it.
 */
#ifndef FIM_H
#define FIM_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "uapi/fuse_iomap.h"

/*
 * A server reply that breaks the protocol's rules is reported as a corrupt
 * filesystem, as ext4 and xfs do for bad on-disk metadata.
 */
#define EFSCORRUPTED	EUCLEAN

/*
 * Locking
 * =======
 *
 * Locks, outermost first.  Take them only in this order:
 *
 *   inode->i_rwsem
 *     mapping->invalidate_lock
 *       fim_conn.lock            (spinlock)
 *         fim_conn.bdevs xa_lock (spinlock, taken inside xa_* calls)
 *
 * fim_conn.lock protects the request lists, the unique counter and the
 * connected flag of one connection.  It is innermost apart from the xarray
 * lock and is never held while sleeping, copying to or from userspace, or
 * waiting for the server.
 *
 * fim_conn.bdevs is an xarray; its own lock serializes insertions and
 * removals, and lookups run under RCU.
 *
 * No lock of this module is held across an upcall.  A server thread may
 * re-enter the filesystem (it is an ordinary process), so waiting for a
 * reply while holding anything the server could need is a deadlock.  VFS
 * locks taken by our callers (i_rwsem, invalidate_lock) are the exception
 * the protocol is designed around: the server must never touch the mounted
 * filesystem itself.
 */

/* Largest backing id a server may register for iomap devices. */
#define FIM_MAX_BDEVS		1024

/**
 * struct fim_bdev - block device registered by the server
 * @bdev_file: open block device; holds the device for the mount's lifetime
 * @id: backing id handed to the server, 1..FIM_MAX_BDEVS
 *
 * Set once at registration and immutable until the connection is freed.
 */
struct fim_bdev {
	struct file		*bdev_file;
	u32			id;
};

/**
 * struct fim_conn - one connection between the kernel and a server
 * @refs: references from the device fds and the superblock
 * @lock: protects the fields of the "request queue" group, see Locking
 * @next_unique: id for the next request; never 0 (0 marks notifications)
 * @pending: requests waiting for the server to read them
 * @processing: requests read by the server and waiting for a reply
 * @connected: false once the connection is aborted; no new requests then
 * @waitq: server threads waiting for @pending to become non-empty
 * @proto_minor: FUSE minor version the server answered INIT with
 * @iomap: the server negotiated FUSE_IOMAP
 * @bdevs: registered block devices, indexed by backing id
 *
 * Created when a mount binds a device fd (a later stage); the skeleton only
 * declares it so that the device code can refuse I/O without one.
 */
struct fim_conn {
	refcount_t		refs;

	/* Request queue: protected by @lock. */
	spinlock_t		lock;
	u64			next_unique;
	struct list_head	pending;
	struct list_head	processing;
	bool			connected;
	wait_queue_head_t	waitq;

	/* Set once by the INIT reply, before any other request is sent. */
	u32			proto_minor;
	bool			iomap;

	/* Registered devices: xarray lock for writers, RCU for lookups. */
	struct xarray		bdevs;
};

/* fim_inode.state bits */
enum {
	/* Data I/O goes through iomap; decided before I_NEW is cleared. */
	FIM_I_IOMAP,
};

/**
 * struct fim_inode - fuse_iomap in-core inode
 * @vfs_inode: the VFS inode; fim_inode is allocated around it
 * @nodeid: node id the server uses for this inode in request headers
 * @orig_ino: inode number the server reported in fuse_attr.ino; iomap
 *	messages name the file by this, since node ids can be reused
 * @state: FIM_I_* bits, atomic bitops
 *
 * @nodeid and @orig_ino are set once at instantiation.  FIM_I_IOMAP is
 * also set then, from FUSE_ATTR_IOMAP and FUSE_ATTR_EXCLUSIVE, because the
 * address_space operations must be fixed before anyone can see the inode.
 */
struct fim_inode {
	struct inode		vfs_inode;
	u64			nodeid;
	u64			orig_ino;
	unsigned long		state;
};

static inline struct fim_inode *FIM_I(struct inode *inode)
{
	return container_of(inode, struct fim_inode, vfs_inode);
}

/* Module parameters (main.c). */
extern bool fim_enable_iomap;

/* dev.c */
int fim_dev_init(void);
void fim_dev_exit(void);

/* super.c */
int fim_super_init(void);
void fim_super_exit(void);

#endif /* FIM_H */
