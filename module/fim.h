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

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "uapi/fuse_iomap.h"

struct pid;
struct workqueue_struct;

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
 *   fim_conn.killsb              (rwsem, notifications vs. unmount)
 *   inode->i_rwsem
 *     mapping->invalidate_lock
 *       fim_dev_bind_lock        (mutex, device fd <-> connection binding)
 *         fim_conn.lock          (spinlock)
 *           fim_inode.lock       (spinlock)
 *         fim_conn.bdevs xa_lock (spinlock, taken inside xa_* calls)
 *
 * fim_conn.lock protects the request lists (pending, processing,
 * interrupts, forgets), the unique counter and the connected flag of one
 * connection.  It is innermost apart from the xarray
 * lock and is never held while sleeping, copying to or from userspace, or
 * waiting for the server.
 *
 * fim_inode.lock protects the lookup count, the attribute deadline and
 * attribute version of one inode, and serializes every update of its
 * cached attributes (i_size, i_nlink, mode, owner, times) against each
 * other; it is never held together with fim_conn.lock in practice but
 * would nest inside it.  fim_conn.attr_version is an atomic counter, taken
 * under fim_inode.lock but not a lock.
 *
 * fim_conn.killsb is held for reading while a notification works on the
 * superblock, and for writing by unmount while it detaches the superblock
 * from the connection (fim_conn.sb), before tearing it down.
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

/* Longest name the server may return or be asked about, bytes. */
#define FIM_NAME_MAX		1024

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
 * @refs: references from the bound device fd, the superblock and requests
 *	in flight
 * @lock: protects the request queue group below, see Locking
 * @next_unique: id for the next request; never 0 (0 marks notifications)
 * @pending: requests waiting for the server to read them
 * @processing: requests read by the server and waiting for a reply
 * @interrupts: sent requests whose FUSE_INTERRUPT the server has not read
 *	yet, linked by fim_req.intr_entry; read before anything else
 * @forgets: struct fim_forget entries waiting to be read as FORGET or
 *	BATCH_FORGET
 * @forget_credit: forget messages the server may read before the next
 *	request, so that neither starves the other
 * @connected: false once the connection is aborted; no new requests then
 * @initialized: the INIT reply was accepted; other requests wait for it
 * @num_waiting: requests allocated and not yet freed (sysfs)
 * @waitq: server threads waiting for @pending to become non-empty
 * @blocked_waitq: requesters waiting for INIT to complete or an abort
 * @proto_minor: FUSE minor version the server answered INIT with
 * @max_write: largest WRITE payload the server accepts, bytes
 * @max_read: largest READ reply the mount allows, bytes
 * @time_gran: timestamp granularity the server reported, ns
 * @atomic_o_trunc: the server truncates at OPEN when O_TRUNC is passed
 * @posix_locks: fcntl(2) record locks go to the server (POSIX_LOCKS)
 * @flock_locks: flock(2) locks go to the server (FLOCK_LOCKS)
 * @readdirplus: the server answers READDIRPLUS (FUSE_DO_READDIRPLUS);
 *	READDIRPLUS_AUTO is treated the same: every listing is a plus one
 * @iomap: the server negotiated FUSE_IOMAP
 * @no_flush: the server answered FLUSH with ENOSYS; don't send it again
 * @no_fsyncdir: likewise for FSYNCDIR
 * @no_syncfs: likewise for SYNCFS
 * @no_fallocate: likewise for FALLOCATE
 * @no_lseek: likewise for LSEEK
 * @no_interrupt: the server answered INTERRUPT with ENOSYS; requests wait
 *	for signals killably only from then on
 * @channels: open device files serving this connection (the mount's fd
 *	and its clones); protected by fim_dev_bind_lock.  The last one to
 *	close aborts the connection
 * @no_readdirplus: likewise for READDIRPLUS; READDIR is used instead
 * @no_create: likewise for CREATE; MKNOD and OPEN are used instead
 * @no_tmpfile: likewise for TMPFILE; O_TMPFILE fails with EOPNOTSUPP
 * @no_access: likewise for ACCESS; access(2) and chdir(2) are allowed
 * @no_statx: likewise for STATX; GETATTR is used and no birth time shown
 * @releases: background RELEASE(DIR)s in flight, each holding an inode
 *	reference until answered; unmount waits for them (atomic, woken on
 *	@blocked_waitq); at most FIM_MAX_BG_RELEASES, close(2) waits beyond
 * @nr_forgets: entries on @forgets; at most FIM_MAX_FORGETS (@lock)
 * @attr_version: bumped whenever an inode's attributes change, so that a
 *	reply fetched before the change cannot overwrite it (atomic)
 * @user_ns: user namespace of the mounter; ids in requests are mapped
 *	into it
 * @server_tgid: thread group of the first process that read from the
 *	connection, taken to be the server; set once (cmpxchg), NULL before
 * @killsb: protects @sb against unmount, see Locking
 * @sb: the superblock notifications act on; NULL before the mount is set
 *	up and once unmount began; protected by @killsb
 * @bdevs: registered block devices, indexed by backing id
 *
 * Lifetime: created when a mount binds a device fd; freed when the last
 * reference goes.  After an abort the structure stays valid but every
 * request fails with -ENOTCONN.
 */
struct fim_conn {
	refcount_t		refs;

	/* Request queue: protected by @lock. */
	spinlock_t		lock;
	u64			next_unique;
	struct list_head	pending;
	struct list_head	processing;
	struct list_head	interrupts;
	struct list_head	forgets;
	unsigned int		forget_credit;
	unsigned int		nr_forgets;
	bool			connected;
	bool			initialized;
	atomic_t		num_waiting;
	wait_queue_head_t	waitq;
	wait_queue_head_t	blocked_waitq;

	/*
	 * Set once by the INIT reply, then published by setting @initialized
	 * with smp_store_release(); read them only after an
	 * smp_load_acquire() of @initialized returned true.
	 */
	u32			proto_minor;
	u32			max_write;
	u32			max_read;
	u32			time_gran;
	bool			atomic_o_trunc;
	bool			posix_locks;
	bool			flock_locks;
	bool			readdirplus;
	bool			iomap;

	/*
	 * Latched when the server answers ENOSYS; only optimisations, so
	 * racing setters and readers are harmless.
	 */
	bool			no_flush;
	bool			no_fsyncdir;
	bool			no_syncfs;
	bool			no_fallocate;
	bool			no_lseek;
	bool			no_readdirplus;
	bool			no_create;
	bool			no_tmpfile;
	bool			no_access;
	bool			no_statx;
	bool			no_interrupt;

	atomic_t		releases;
	atomic64_t		attr_version;

	/* Protected by fim_dev_bind_lock. */
	unsigned int		channels;

	/* Set once at mount. */
	struct user_namespace	*user_ns;

	/* Set once, by the first read. */
	struct pid		*server_tgid;

	struct rw_semaphore	killsb;
	struct super_block	*sb;

	/* Registered devices: xarray lock for writers, RCU for lookups. */
	struct xarray		bdevs;
};

/* fim_inode.state bits */
enum {
	/* Data I/O goes through iomap; decided before I_NEW is cleared. */
	FIM_I_IOMAP,
	/* The server sent an inconsistent inode; all I/O fails with -EIO. */
	FIM_I_BAD,
};

/**
 * struct fim_inode - fuse_iomap in-core inode
 * @vfs_inode: the VFS inode; fim_inode is allocated around it
 * @nodeid: node id the server uses for this inode in request headers
 * @orig_ino: inode number the server reported in fuse_attr.ino; iomap
 *	messages name the file by this, since node ids can be reused
 * @nlookup: LOOKUP replies that named this inode, returned with FORGET at
 *	eviction; protected by @lock
 * @attr_expires: jiffies after which cached attributes must be refetched;
 *	protected by @lock
 * @attr_version: fim_conn.attr_version when the cached attributes were
 *	last changed; protected by @lock
 * @lock: protects @nlookup, @attr_expires and @attr_version, and
 *	serializes changes of the cached attributes (i_size, i_nlink)
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
	spinlock_t		lock;
	u64			nlookup;
	unsigned long		attr_expires;
	u64			attr_version;
	unsigned long		state;
};

static inline struct fim_inode *FIM_I(struct inode *inode)
{
	return container_of(inode, struct fim_inode, vfs_inode);
}

/**
 * struct fim_mount - per-superblock state
 * @conn: the connection; one reference held for the superblock's lifetime
 * @root_nodeid: node id of the root directory (root_nodeid= option)
 * @rootmode: file type and mode of the root before the first GETATTR
 * @user_id: owner the mount is for (user_id= option)
 * @group_id: group the mount is for (group_id= option)
 * @max_read: max_read= option as given, bytes; 0 if not given
 * @default_permissions: the kernel checks permissions from the mode bits
 * @allow_other: users other than @user_id may access the mount
 * @destroy_sent: DESTROY went out at unmount
 * @debugfs: this mount's directory in debugfs, or NULL/ERR_PTR
 *
 * All fields are set once while the superblock is set up.
 */
struct fim_mount {
	struct fim_conn		*conn;
	u64			root_nodeid;
	umode_t			rootmode;
	kuid_t			user_id;
	kgid_t			group_id;
	u32			max_read;
	bool			default_permissions;
	bool			allow_other;
	bool			destroy_sent;
	struct dentry		*debugfs;
};

static inline struct fim_mount *FIM_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct fim_conn *fim_conn_of(struct inode *inode)
{
	return FIM_SB(inode->i_sb)->conn;
}

/**
 * struct fim_file - an open file or directory on the server
 * @fh: the server's handle from OPEN or OPENDIR
 * @open_flags: FOPEN_* flags the server returned
 * @flock: BSD locks were taken through the server; RELEASE drops them
 *
 * @fh and @open_flags are set once at open; @flock is set once by the
 * first flock(2) (READ_ONCE/WRITE_ONCE).  file->private_data of files and
 * directories.
 */
struct fim_file {
	u64	fh;
	u32	open_flags;
	bool	flock;
};

/* Is @mode's file type one a file can have?  Server input is checked. */
static inline bool fim_valid_file_type(umode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return true;
	default:
		return false;
	}
}

/* Convert a server timeout (seconds + nanoseconds) to a jiffies deadline. */
unsigned long fim_timeout_to_jiffies(u64 sec, u32 nsec);

/* Module parameters (main.c). */
extern bool fim_enable_iomap;
extern unsigned int fim_unmount_timeout_secs;

/* main.c: runs deferred work that must not run in a server's write(). */
extern struct workqueue_struct *fim_wq;

/* notify.c */
int fim_notify(struct fim_conn *fc, int code, struct iov_iter *from,
	       size_t len);

/* dev.c */
int fim_dev_init(void);
void fim_dev_exit(void);
struct fim_conn *fim_dev_bind(struct file *file, struct fim_conn *fc);

/* conn.c */
struct fim_conn *fim_conn_alloc(struct user_namespace *user_ns);
bool fim_conn_initialized(struct fim_conn *fc);
struct fim_conn *fim_conn_get(struct fim_conn *fc);
void fim_conn_put(struct fim_conn *fc);
void fim_conn_abort(struct fim_conn *fc);
void fim_conn_queue_forget(struct fim_conn *fc, u64 nodeid, u64 nlookup);

/* debugfs.c */
void fim_debugfs_add(struct super_block *sb);
void fim_debugfs_remove(struct super_block *sb);
void fim_debugfs_init(void);
void fim_debugfs_exit(void);

/* super.c */
int fim_super_init(void);
void fim_super_exit(void);

/* inode.c */
extern const struct inode_operations fim_dir_inode_ops;
extern const struct inode_operations fim_file_inode_ops;
extern const struct inode_operations fim_symlink_inode_ops;
struct inode *fim_iget(struct super_block *sb, u64 nodeid,
		       const struct fuse_attr *attr, u64 attr_valid,
		       u32 attr_valid_nsec, u64 attr_version);
u64 fim_attr_version(struct fim_conn *fc);
void fim_inode_drop_nlink(struct inode *inode);
void fim_inode_set_size(struct inode *inode, loff_t size, bool grow_only);
int fim_inode_refresh(struct inode *inode, bool force);
void fim_inode_expire_attr(struct inode *inode);
struct inode *fim_ilookup(struct super_block *sb, u64 nodeid);
int fim_inode_permission(struct mnt_idmap *idmap, struct inode *inode,
			 int mask);
int fim_inode_getattr(struct mnt_idmap *idmap, const struct path *path,
		      struct kstat *stat, u32 request_mask,
		      unsigned int query_flags);
int fim_inode_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
		      struct iattr *attr);
int fim_inode_cache_init(void);
void fim_inode_cache_exit(void);
struct inode *fim_alloc_inode(struct super_block *sb);
void fim_free_inode(struct inode *inode);
void fim_evict_inode(struct inode *inode);
void fim_inode_forget(struct fim_conn *fc, u64 nodeid, u64 nlookup);
void fim_inode_count_lookup(struct inode *inode);

/* dir.c */
extern const struct file_operations fim_dir_file_ops;
extern const struct dentry_operations fim_dentry_ops;
struct dentry *fim_lookup(struct inode *dir, struct dentry *dentry,
			  unsigned int flags);
void fim_dentry_expire(struct dentry *dentry);

/* xattr.c */
extern const struct xattr_handler * const fim_xattr_handlers[];
ssize_t fim_listxattr(struct dentry *dentry, char *list, size_t size);
struct posix_acl *fim_get_inode_acl(struct inode *inode, int type, bool rcu);
struct posix_acl *fim_get_acl(struct mnt_idmap *idmap, struct dentry *dentry,
			      int type);
int fim_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		struct posix_acl *acl, int type);

/* file.c */
extern const struct file_operations fim_file_ops;
int fim_file_open_common(struct inode *inode, struct file *file, bool isdir);
void fim_file_allow_odirect(struct file *file);
void fim_file_release_common(struct inode *inode, struct file *file,
			     bool isdir);
void fim_file_send_release(struct fim_conn *fc, struct inode *inode,
			   u64 nodeid, const struct fuse_release_in *rin,
			   bool isdir);
void fim_file_wait_releases(struct fim_conn *fc);
u64 fim_lock_owner_id(fl_owner_t owner);

#endif /* FIM_H */
