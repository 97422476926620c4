// SPDX-License-Identifier: GPL-2.0
/*
 * Inodes: one kernel inode per server node id, attributes, permissions.
 *
 * Inodes are hashed by node id, so every LOOKUP reply naming the same node
 * finds the same inode (hard links share one).  Attributes come from the
 * server and are checked before use: an unknown file type, a type that
 * changes under a live inode, an impossible size or timestamp makes the
 * reply fail with -EIO; a type change also marks the inode bad for good.
 * Each LOOKUP reply counts one reference on the server's node; eviction
 * returns them with FORGET.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/posix_acl.h>
#include <linux/slab.h>

#include "compat.h"
#include "fim.h"
#include "req.h"

static struct kmem_cache *fim_inode_cachep;

/**
 * fim_alloc_inode() - super_operations.alloc_inode
 * @sb: the superblock
 *
 * Return: the VFS inode inside a new fim_inode, or NULL.
 */
struct inode *fim_alloc_inode(struct super_block *sb)
{
	struct fim_inode *fi;

	fi = alloc_inode_sb(sb, fim_inode_cachep, GFP_KERNEL);
	if (!fi)
		return NULL;
	fi->nodeid = 0;
	fi->orig_ino = 0;
	fi->nlookup = 0;
	fi->attr_expires = jiffies - 1;
	fi->attr_version = 0;
	fi->state = 0;
	spin_lock_init(&fi->lock);
	return &fi->vfs_inode;
}

/**
 * fim_free_inode() - super_operations.free_inode
 * @inode: the inode, after an RCU grace period
 */
void fim_free_inode(struct inode *inode)
{
	kmem_cache_free(fim_inode_cachep, FIM_I(inode));
}

/**
 * fim_evict_inode() - super_operations.evict_inode
 * @inode: the inode being evicted
 *
 * Returns the node's lookup references to the server with a FORGET (or a
 * BATCH_FORGET with others), which has no reply.  Nothing waits for it;
 * if the connection is gone there is nobody to tell.  At unmount nothing
 * is sent: DESTROY tells the server that every node is gone.
 *
 * Context: process context, may sleep (allocation).
 */
void fim_evict_inode(struct inode *inode)
{
	struct fim_inode *fi = FIM_I(inode);

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (!fi->nlookup || !inode->i_sb->s_root)
		return;
	fim_conn_queue_forget(fim_conn_of(inode), fi->nodeid, fi->nlookup);
}

/**
 * fim_inode_forget() - return lookup references of a node not kept
 * @fc: the connection
 * @nodeid: the node the server counted lookups for
 * @nlookup: how many
 *
 * For replies that counted a lookup on the server but gave the kernel
 * nothing it can keep: a LOOKUP-style reply with bad attributes or a node
 * the kernel cannot use, a revalidation that found another node, a
 * CREATE whose file could not be opened.  Queued like the forgets of
 * eviction; nobody waits for it.
 *
 * Context: process context, may sleep (allocation).
 */
void fim_inode_forget(struct fim_conn *fc, u64 nodeid, u64 nlookup)
{
	if (!nodeid || !nlookup)
		return;
	fim_conn_queue_forget(fc, nodeid, nlookup);
}

/**
 * fim_inode_count_lookup() - record one lookup the server counted
 * @inode: the inode a LOOKUP-style reply named
 *
 * The count goes back to the server with FORGET at eviction.
 */
void fim_inode_count_lookup(struct inode *inode)
{
	struct fim_inode *fi = FIM_I(inode);

	spin_lock(&fi->lock);
	fi->nlookup++;
	spin_unlock(&fi->lock);
}

/**
 * fim_attr_version() - the attribute version before sending a request
 * @fc: the connection
 *
 * Read before sending a request whose reply carries attributes, and
 * passed with them to fim_iget(): if the inode's attributes changed after
 * this point (SETATTR, a write that grew the file, an unlink), the reply
 * may predate the change and is not applied.
 *
 * Return: the connection's current attribute version.
 */
u64 fim_attr_version(struct fim_conn *fc)
{
	return atomic64_read(&fc->attr_version);
}

/* The cached attributes changed locally; fi->lock held. */
static void fim_inode_bump_version(struct inode *inode)
{
	struct fim_inode *fi = FIM_I(inode);

	lockdep_assert_held(&fi->lock);
	fi->attr_version = atomic64_inc_return(&fim_conn_of(inode)->attr_version);
}

/**
 * fim_inode_drop_nlink() - an entry of @inode was removed
 * @inode: the inode
 *
 * drop_nlink() warns when the count is already 0, which a server's
 * attributes may have made it at any time: check and drop under the lock
 * that serializes attribute updates.
 */
void fim_inode_drop_nlink(struct inode *inode)
{
	struct fim_inode *fi = FIM_I(inode);

	/* Serialize against fim_inode_set_attr(). */
	spin_lock(&fi->lock);
	fim_inode_bump_version(inode);
	if (inode->i_nlink)
		drop_nlink(inode);
	spin_unlock(&fi->lock);
}

/**
 * fim_inode_set_size() - the file's size changed by our own request
 * @inode: the inode
 * @size: the new size, bytes
 * @grow_only: only if beyond the cached size (a write, fallocate)
 *
 * Bumps the attribute version, so that attributes fetched before the
 * change cannot move the size back.
 */
void fim_inode_set_size(struct inode *inode, loff_t size, bool grow_only)
{
	struct fim_inode *fi = FIM_I(inode);

	/* Serialize against fim_inode_set_attr(). */
	spin_lock(&fi->lock);
	fim_inode_bump_version(inode);
	if (!grow_only || size > i_size_read(inode))
		i_size_write(inode, size);
	spin_unlock(&fi->lock);
}

/* Is @attr something a file can be?  The server is not trusted. */
static bool fim_attr_valid(const struct fuse_attr *attr)
{
	if (!fim_valid_file_type(attr->mode))
		return false;
	if (attr->size > MAX_LFS_FILESIZE)
		return false;
	if (attr->atimensec >= NSEC_PER_SEC ||
	    attr->mtimensec >= NSEC_PER_SEC ||
	    attr->ctimensec >= NSEC_PER_SEC)
		return false;
	return true;
}

/*
 * Copy checked attributes into @inode; the file type is already set.
 * @attr_version is fim_attr_version() from before the request was sent,
 * or 0 for attributes that are newer than anything cached (SETATTR's
 * reply, a new inode): attributes fetched before a later change of the
 * inode are dropped, so that a slow GETATTR or LOOKUP cannot undo a
 * SETATTR or move i_size backwards.  Returns false if they were dropped.
 */
static bool fim_inode_set_attr(struct inode *inode,
			       const struct fuse_attr *attr,
			       u64 attr_valid, u32 attr_valid_nsec,
			       u64 attr_version)
{
	struct fim_conn *fc = fim_conn_of(inode);
	struct fim_inode *fi = FIM_I(inode);

	/* Serialize against other updates: i_size_write() needs it. */
	spin_lock(&fi->lock);
	if (attr_version && fi->attr_version > attr_version) {
		spin_unlock(&fi->lock);
		return false;
	}
	fim_inode_bump_version(inode);
	inode->i_ino = attr->ino;
	inode->i_mode = (inode->i_mode & S_IFMT) | (attr->mode & 07777);
	set_nlink(inode, attr->nlink);
	inode->i_uid = make_kuid(fc->user_ns, attr->uid);
	inode->i_gid = make_kgid(fc->user_ns, attr->gid);
	inode->i_blocks = attr->blocks;
	inode_set_atime(inode, attr->atime, attr->atimensec);
	inode_set_mtime(inode, attr->mtime, attr->mtimensec);
	inode_set_ctime(inode, attr->ctime, attr->ctimensec);
	i_size_write(inode, attr->size);
	fi->attr_expires = fim_timeout_to_jiffies(attr_valid, attr_valid_nsec);
	spin_unlock(&fi->lock);
	return true;
}

static void fim_inode_init_ops(struct inode *inode, const struct fuse_attr *attr)
{
	inode->i_mode = attr->mode & S_IFMT;
	/*
	 * ACLs are the server's to enforce and can change on the server at
	 * any time: never keep one (or its absence) in the inode, where
	 * generic_permission() would enforce it for as long as the inode
	 * lives (see xattr.c).  Set here, not in ->alloc_inode: the VFS
	 * resets both to ACL_NOT_CACHED after that.
	 */
#ifdef CONFIG_FS_POSIX_ACL
	inode->i_acl = ACL_DONT_CACHE;
	inode->i_default_acl = ACL_DONT_CACHE;
#endif
	/*
	 * Timestamps are the server's: the kernel never dirties an inode
	 * to update them.  A dirty inode would also never be written back
	 * (there is no write_inode) and so never be evicted, and its
	 * lookups never forgotten.
	 */
	inode->i_flags |= S_NOATIME | S_NOCMTIME;
	switch (inode->i_mode) {
	case S_IFDIR:
		inode->i_op = &fim_dir_inode_ops;
		inode->i_fop = &fim_dir_file_ops;
		break;
	case S_IFREG:
		inode->i_op = &fim_file_inode_ops;
		inode->i_fop = &fim_file_ops;
		break;
	case S_IFLNK:
		inode->i_op = &fim_symlink_inode_ops;
		break;
	default:
		inode->i_op = &fim_file_inode_ops;
		init_special_inode(inode, inode->i_mode,
				   new_decode_dev(attr->rdev));
		break;
	}
}

static int fim_inode_test(struct inode *inode, void *data)
{
	return FIM_I(inode)->nodeid == *(u64 *)data;
}

static int fim_inode_set(struct inode *inode, void *data)
{
	FIM_I(inode)->nodeid = *(u64 *)data;
	return 0;
}

/**
 * fim_iget() - find or make the inode for a server node
 * @sb: the superblock
 * @nodeid: the server's node id
 * @attr: attributes from the same reply, not yet checked
 * @attr_valid: seconds the attributes may be cached
 * @attr_valid_nsec: nanoseconds part of @attr_valid
 * @attr_version: fim_attr_version() from before the request was sent, 0
 *	if nothing can be newer than @attr
 *
 * The caller counts the lookup reference (fim_inode.nlookup) if the reply
 * was a LOOKUP-like one, or returns it with fim_inode_forget() if this
 * fails.  Attributes older than a change made since @attr_version are not
 * applied to an existing inode.
 *
 * Context: process context, may sleep.
 * Return: a referenced inode, ERR_PTR(-EIO) for bad attributes or a node
 * whose file type changed, or ERR_PTR(-ENOMEM).
 */
struct inode *fim_iget(struct super_block *sb, u64 nodeid,
		       const struct fuse_attr *attr, u64 attr_valid,
		       u32 attr_valid_nsec, u64 attr_version)
{
	struct inode *inode;

	if (!fim_attr_valid(attr)) {
		pr_warn_ratelimited("bad attributes for node %llu: mode 0%o size %llu\n",
				    nodeid, attr->mode, attr->size);
		return ERR_PTR(-EIO);
	}
	inode = iget5_locked(sb, nodeid, fim_inode_test, fim_inode_set,
			     &nodeid);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (fim_compat_inode_is_new(inode)) {
		FIM_I(inode)->orig_ino = attr->ino;
		fim_inode_init_ops(inode, attr);
		fim_inode_set_attr(inode, attr, attr_valid, attr_valid_nsec, 0);
		unlock_new_inode(inode);
		return inode;
	}
	if ((inode->i_mode ^ attr->mode) & S_IFMT) {
		pr_warn_ratelimited("node %llu changed file type from 0%o to 0%o\n",
				    nodeid, inode->i_mode & S_IFMT,
				    attr->mode & S_IFMT);
		set_bit(FIM_I_BAD, &FIM_I(inode)->state);
		iput(inode);
		return ERR_PTR(-EIO);
	}
	fim_inode_set_attr(inode, attr, attr_valid, attr_valid_nsec,
			   attr_version);
	return inode;
}

/**
 * fim_ilookup() - find the in-core inode of a node, if there is one
 * @sb: the superblock
 * @nodeid: the server's node id
 *
 * Never creates an inode and never asks the server.
 *
 * Context: process context, may sleep (waits for an inode being set up).
 * Return: the inode with a reference, or NULL.
 */
struct inode *fim_ilookup(struct super_block *sb, u64 nodeid)
{
	return ilookup5(sb, nodeid, fim_inode_test, &nodeid);
}

/**
 * fim_inode_expire_attr() - make the next attribute use ask the server
 * @inode: the inode, whose times, size, blocks or mode the server changed
 */
void fim_inode_expire_attr(struct inode *inode)
{
	struct fim_inode *fi = FIM_I(inode);

	spin_lock(&fi->lock);
	fi->attr_expires = jiffies - 1;
	spin_unlock(&fi->lock);
}

/**
 * fim_inode_refresh() - refetch attributes if the cached ones expired
 * @inode: the inode
 * @force: refetch even if the cache is still valid
 *
 * Context: process context, may sleep; no locks held.
 * Return: 0, -EIO for a bad inode or bad reply, or the request's error.
 */
int fim_inode_refresh(struct inode *inode, bool force)
{
	struct fim_inode *fi = FIM_I(inode);
	struct fuse_getattr_in in = { };
	struct fuse_attr_out out;
	u64 attr_version;
	bool expired;
	int error;

	if (test_bit(FIM_I_BAD, &fi->state))
		return -EIO;
	spin_lock(&fi->lock);
	expired = time_after(jiffies, fi->attr_expires);
	spin_unlock(&fi->lock);
	if (!force && !expired)
		return 0;

	attr_version = fim_attr_version(fim_conn_of(inode));
	error = fim_simple_request(fim_conn_of(inode), FUSE_GETATTR,
				   fi->nodeid, &in, sizeof(in), &out,
				   sizeof(out));
	if (error)
		return error;
	if (!fim_attr_valid(&out.attr) ||
	    ((inode->i_mode ^ out.attr.mode) & S_IFMT)) {
		pr_warn_ratelimited("bad GETATTR reply for node %llu: mode 0%o\n",
				    fi->nodeid, out.attr.mode);
		if ((inode->i_mode ^ out.attr.mode) & S_IFMT)
			set_bit(FIM_I_BAD, &fi->state);
		return -EIO;
	}
	fim_inode_set_attr(inode, &out.attr, out.attr_valid,
			   out.attr_valid_nsec, attr_version);
	return 0;
}

/**
 * fim_inode_attr_expired() - may the cached attributes be used?
 * @inode: the inode
 *
 * Return: true if they must be fetched again first.
 */
static bool fim_inode_attr_expired(struct inode *inode)
{
	return time_after(jiffies, READ_ONCE(FIM_I(inode)->attr_expires));
}

/*
 * Without allow_other only the mount's owner (as any of its ids) may use
 * the filesystem, so that a server cannot spy on or stall other users.
 */
static bool fim_allow_current(struct fim_mount *fm)
{
	const struct cred *cred = current_cred();

	if (fm->allow_other)
		return true;
	return uid_eq(cred->euid, fm->user_id) &&
	       uid_eq(cred->suid, fm->user_id) &&
	       uid_eq(cred->uid, fm->user_id) &&
	       gid_eq(cred->egid, fm->group_id) &&
	       gid_eq(cred->sgid, fm->group_id) &&
	       gid_eq(cred->gid, fm->group_id);
}

/*
 * access(2), faccessat(2) and chdir(2) without default_permissions: the
 * server decides, as it does for everything else.  A server without ACCESS
 * allows everything (ENOSYS, remembered).
 */
static int fim_inode_access(struct inode *inode, int mask)
{
	struct fim_conn *fc = fim_conn_of(inode);
	struct fuse_access_in in = { };
	int error;

	if (READ_ONCE(fc->no_access))
		return 0;
	in.mask = mask & (MAY_READ | MAY_WRITE | MAY_EXEC);
	error = fim_simple_request(fc, FUSE_ACCESS, FIM_I(inode)->nodeid, &in,
				   sizeof(in), NULL, 0);
	if (error == -ENOSYS) {
		WRITE_ONCE(fc->no_access, true);
		error = 0;
	}
	return error;
}

/**
 * fim_inode_permission() - inode_operations.permission
 * @idmap: idmap of the mount
 * @inode: the inode
 * @mask: MAY_* bits
 *
 * Without default_permissions the server decides on each operation; the
 * kernel only keeps out users the mount is not for, asks the server with
 * ACCESS for access(2) and chdir(2), which have no operation of their
 * own, and refuses exec(2) of a regular file without x bits.  With it,
 * the mode bits decide, on attributes that have not expired: RCU walk
 * with expired ones falls back to ref walk (-ECHILD), which refetches.
 *
 * Return: 0 or -EACCES, or an error refreshing the attributes.
 */
int fim_inode_permission(struct mnt_idmap *idmap, struct inode *inode,
			 int mask)
{
	struct fim_mount *fm = FIM_SB(inode->i_sb);
	int error;

	if (!fim_allow_current(fm))
		return -EACCES;
	if (!fm->default_permissions) {
		if (mask & (MAY_ACCESS | MAY_CHDIR)) {
			if (mask & MAY_NOT_BLOCK)
				return -ECHILD;
			return fim_inode_access(inode, mask);
		}
		/*
		 * The server checks each operation itself, but exec(2) runs
		 * no operation of its own: as fuse does, refuse to execute
		 * a regular file without any x bit, on fresh attributes.
		 */
		if ((mask & MAY_EXEC) && S_ISREG(inode->i_mode) &&
		    !(inode->i_mode & 0111)) {
			if (mask & MAY_NOT_BLOCK)
				return -ECHILD;
			error = fim_inode_refresh(inode, true);
			if (error)
				return error;
			if (!(inode->i_mode & 0111))
				return -EACCES;
		}
		return 0;
	}
	/* Expired attributes must be fetched, which RCU walk cannot do. */
	if (mask & MAY_NOT_BLOCK) {
		if (fim_inode_attr_expired(inode))
			return -ECHILD;
		return generic_permission(idmap, inode, mask);
	}
	error = fim_inode_refresh(inode, false);
	if (error)
		return error;
	return generic_permission(idmap, inode, mask);
}

/* Turn the basic fields of a STATX reply into fuse_attr for the checks. */
static void fim_statx_to_attr(const struct fuse_statx *sx,
			      struct fuse_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = sx->ino;
	attr->size = sx->size;
	attr->blocks = sx->blocks;
	attr->atime = sx->atime.tv_sec;
	attr->mtime = sx->mtime.tv_sec;
	attr->ctime = sx->ctime.tv_sec;
	attr->atimensec = sx->atime.tv_nsec;
	attr->mtimensec = sx->mtime.tv_nsec;
	attr->ctimensec = sx->ctime.tv_nsec;
	attr->mode = sx->mode;
	attr->nlink = sx->nlink;
	attr->uid = sx->uid;
	attr->gid = sx->gid;
	attr->rdev = new_encode_dev(MKDEV(sx->rdev_major, sx->rdev_minor));
	attr->blksize = sx->blksize;
}

/*
 * statx(2) asking for what GETATTR cannot carry (the birth time): ask with
 * STATX.  A reply with all basic fields refreshes the inode like GETATTR;
 * one without them leaves the inode to GETATTR.  Returns -ENOSYS for the
 * caller to fall back.
 */
static int fim_inode_statx(struct inode *inode, struct kstat *stat,
			   u32 request_mask, unsigned int query_flags)
{
	struct fim_inode *fi = FIM_I(inode);
	struct fuse_statx_in in = { };
	struct fuse_statx_out out;
	struct fuse_attr attr;
	const struct fuse_statx *sx = &out.stat;
	u64 attr_version;
	bool basic;
	int error;

	attr_version = fim_attr_version(fim_conn_of(inode));
	in.sx_flags = query_flags & AT_STATX_SYNC_TYPE;
	in.sx_mask = request_mask;
	error = fim_simple_request(fim_conn_of(inode), FUSE_STATX, fi->nodeid,
				   &in, sizeof(in), &out, sizeof(out));
	if (error)
		return error;
	fim_statx_to_attr(sx, &attr);
	basic = (sx->mask & STATX_BASIC_STATS) == STATX_BASIC_STATS;
	if ((basic && (!fim_attr_valid(&attr) ||
		       ((inode->i_mode ^ attr.mode) & S_IFMT))) ||
	    ((sx->mask & STATX_BTIME) && sx->btime.tv_nsec >= NSEC_PER_SEC)) {
		pr_warn_ratelimited("bad STATX reply for node %llu: mask 0x%x mode 0%o\n",
				    fi->nodeid, sx->mask, sx->mode);
		if (basic && fim_valid_file_type(attr.mode) &&
		    ((inode->i_mode ^ attr.mode) & S_IFMT))
			set_bit(FIM_I_BAD, &fi->state);
		return -EIO;
	}
	if (basic)
		fim_inode_set_attr(inode, &attr, out.attr_valid,
				   out.attr_valid_nsec, attr_version);
	else
		error = fim_inode_refresh(inode, true);
	if (error)
		return error;
	if (sx->mask & STATX_BTIME) {
		stat->btime.tv_sec = sx->btime.tv_sec;
		stat->btime.tv_nsec = sx->btime.tv_nsec;
		stat->result_mask |= STATX_BTIME;
	}
	return 0;
}

/**
 * fim_inode_getattr() - inode_operations.getattr
 * @idmap: idmap of the mount
 * @path: what to stat
 * @stat: filled in
 * @request_mask: STATX_* fields wanted
 * @query_flags: AT_STATX_* sync mode
 *
 * Uses cached attributes while they are valid, unless the caller forces a
 * sync; reports the server's inode number.  A caller asking for the birth
 * time gets a STATX request, which also refreshes the attributes; servers
 * without STATX (ENOSYS, remembered) get GETATTR and no birth time.
 *
 * Return: 0 or a negative errno.
 */
int fim_inode_getattr(struct mnt_idmap *idmap, const struct path *path,
		      struct kstat *stat, u32 request_mask,
		      unsigned int query_flags)
{
	struct inode *inode = d_inode(path->dentry);
	bool force = (query_flags & AT_STATX_SYNC_TYPE) == AT_STATX_FORCE_SYNC;
	struct fim_conn *fc = fim_conn_of(inode);
	struct kstat btime = { };
	int error;

	if (!fim_allow_current(FIM_SB(inode->i_sb)))
		return -EACCES;
	if ((request_mask & STATX_BTIME) && !READ_ONCE(fc->no_statx) &&
	    (query_flags & AT_STATX_SYNC_TYPE) != AT_STATX_DONT_SYNC) {
		error = fim_inode_statx(inode, &btime, request_mask,
					query_flags);
		if (!error)
			goto fill;
		if (error != -ENOSYS)
			return error;
		WRITE_ONCE(fc->no_statx, true);
	}
	if ((query_flags & AT_STATX_SYNC_TYPE) != AT_STATX_DONT_SYNC) {
		error = fim_inode_refresh(inode, force);
		if (error)
			return error;
	}
fill:
	generic_fillattr(idmap, request_mask, inode, stat);
	stat->ino = FIM_I(inode)->orig_ino;
	if (btime.result_mask & STATX_BTIME) {
		stat->btime = btime.btime;
		stat->result_mask |= STATX_BTIME;
	}
	return 0;
}

/**
 * fim_inode_setattr() - inode_operations.setattr
 * @idmap: idmap of the mount
 * @dentry: the file
 * @attr: what to change
 *
 * Sends SETATTR with the changed fields and takes the attributes the
 * server answers with; the file type must not change.  Data is not cached
 * in the kernel, so a size change needs no page cache work.
 *
 * Context: process context, may sleep; i_rwsem held.
 * Return: 0 or a negative errno.
 */
int fim_inode_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
		      struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct fim_mount *fm = FIM_SB(inode->i_sb);
	struct fim_inode *fi = FIM_I(inode);
	struct fuse_setattr_in in = { };
	struct fuse_attr_out out;
	unsigned int valid = attr->ia_valid;
	int error;

	if (test_bit(FIM_I_BAD, &fi->state))
		return -EIO;
	if (!fim_allow_current(fm))
		return -EACCES;
	/*
	 * open(O_TRUNC): the server already truncated at OPEN if it does
	 * ATOMIC_O_TRUNC; otherwise only the size goes out, so a server
	 * without time setting can still truncate.
	 */
	if (valid & ATTR_OPEN) {
		if (fm->conn->atomic_o_trunc)
			return 0;
		valid &= ATTR_SIZE;
	}
	if (fm->default_permissions) {
		error = setattr_prepare(idmap, dentry, attr);
		if (error)
			return error;
	}
	if (valid & ATTR_MODE) {
		in.valid |= FATTR_MODE;
		in.mode = attr->ia_mode;
	}
	if (valid & ATTR_UID) {
		in.valid |= FATTR_UID;
		in.uid = from_kuid(fm->conn->user_ns,
				   from_vfsuid(idmap, i_user_ns(inode),
					       attr->ia_vfsuid));
	}
	if (valid & ATTR_GID) {
		in.valid |= FATTR_GID;
		in.gid = from_kgid(fm->conn->user_ns,
				   from_vfsgid(idmap, i_user_ns(inode),
					       attr->ia_vfsgid));
	}
	if (valid & ATTR_SIZE) {
		in.valid |= FATTR_SIZE;
		in.size = attr->ia_size;
	}
	if (valid & ATTR_ATIME) {
		in.valid |= FATTR_ATIME;
		if (!(valid & ATTR_ATIME_SET))
			in.valid |= FATTR_ATIME_NOW;
		in.atime = attr->ia_atime.tv_sec;
		in.atimensec = attr->ia_atime.tv_nsec;
	}
	if (valid & ATTR_MTIME) {
		in.valid |= FATTR_MTIME;
		if (!(valid & ATTR_MTIME_SET))
			in.valid |= FATTR_MTIME_NOW;
		in.mtime = attr->ia_mtime.tv_sec;
		in.mtimensec = attr->ia_mtime.tv_nsec;
	}
	if (valid & ATTR_FILE) {
		struct fim_file *ff = attr->ia_file->private_data;

		if (ff) {
			in.valid |= FATTR_FH;
			in.fh = ff->fh;
		}
	}
	if (!in.valid)
		return 0;

	error = fim_simple_request(fm->conn, FUSE_SETATTR, fi->nodeid, &in,
				   sizeof(in), &out, sizeof(out));
	if (error)
		return error;
	if (!fim_attr_valid(&out.attr) ||
	    ((inode->i_mode ^ out.attr.mode) & S_IFMT)) {
		pr_warn_ratelimited("bad SETATTR reply for node %llu: mode 0%o\n",
				    fi->nodeid, out.attr.mode);
		return -EIO;
	}
	/* The newest attributes there are: they override anything cached. */
	fim_inode_set_attr(inode, &out.attr, out.attr_valid,
			   out.attr_valid_nsec, 0);
	return 0;
}

static const char *fim_get_link(struct dentry *dentry, struct inode *inode,
				struct delayed_call *callback)
{
	struct fim_req *req;
	char *link;
	int error;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	req = fim_req_alloc(fim_conn_of(inode), FUSE_READLINK,
			    FIM_I(inode)->nodeid, 0, PAGE_SIZE - 1);
	if (IS_ERR(req))
		return ERR_CAST(req);
	req->out_var = true;
	req->out_min = 1;
	error = fim_req_send(fim_conn_of(inode), req);
	if (error) {
		fim_req_put(req);
		return ERR_PTR(error);
	}
	if (memchr(req->out, 0, req->out_len)) {
		fim_req_put(req);
		pr_warn_ratelimited("READLINK reply with a NUL byte\n");
		return ERR_PTR(-EIO);
	}
	link = kmemdup_nul(req->out, req->out_len, GFP_KERNEL);
	fim_req_put(req);
	if (!link)
		return ERR_PTR(-ENOMEM);
	set_delayed_call(callback, kfree_link, link);
	return link;
}

const struct inode_operations fim_file_inode_ops = {
	.setattr	= fim_inode_setattr,
	.listxattr	= fim_listxattr,
	.get_inode_acl	= fim_get_inode_acl,
	.get_acl	= fim_get_acl,
	.set_acl	= fim_set_acl,
	.permission	= fim_inode_permission,
	.getattr	= fim_inode_getattr,
};

const struct inode_operations fim_symlink_inode_ops = {
	.get_link	= fim_get_link,
	.setattr	= fim_inode_setattr,
	.listxattr	= fim_listxattr,
	.getattr	= fim_inode_getattr,
};

static void fim_inode_init_once(void *p)
{
	struct fim_inode *fi = p;

	inode_init_once(&fi->vfs_inode);
}

/**
 * fim_inode_cache_init() - create the inode slab cache
 *
 * Return: 0 or -ENOMEM.
 */
int fim_inode_cache_init(void)
{
	fim_inode_cachep = kmem_cache_create("fim_inode",
					     sizeof(struct fim_inode), 0,
					     SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					     fim_inode_init_once);
	return fim_inode_cachep ? 0 : -ENOMEM;
}

/**
 * fim_inode_cache_exit() - destroy the inode slab cache
 *
 * Waits for inodes still being freed after an RCU grace period.
 */
void fim_inode_cache_exit(void)
{
	rcu_barrier();
	kmem_cache_destroy(fim_inode_cachep);
}
