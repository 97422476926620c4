// SPDX-License-Identifier: GPL-2.0
/*
 * Notifications: messages the server writes without being asked (header
 * unique 0, the notify code in the error field).
 *
 * Supported: INVAL_INODE (expire an inode's attributes and drop a range of
 * its page cache), INVAL_ENTRY (drop or expire a cached name) and DELETE
 * (the same, checking that the name still leads to the node the server
 * deleted).  STORE and RETRIEVE are refused with ENOSYS: the classic data
 * path keeps no file data in the page cache, so there is nothing to store
 * into or retrieve from, and accepting STORE only to drop the data would
 * tell the server something false.  POLL is refused likewise (the module
 * does not send FUSE_POLL, so there is no poll handle to wake).  The
 * iomap notifications belong to the iomap data path, not there yet.
 *
 * A notification is untrusted input like a reply: its size must match its
 * code exactly, names are checked like names in replies, node ids must
 * not be 0.  A malformed one fails the server's write() with EINVAL (or
 * ENAMETOOLONG) and logs one ratelimited line; one naming a node the
 * kernel does not have in core fails with ENOENT, silently, since the
 * kernel may have forgotten it at any time.
 *
 * A notification that takes a directory's i_rwsem waits for whatever
 * holds it, possibly a request the server is working on: a server must
 * not send INVAL_ENTRY or DELETE for a directory from the thread that
 * serves a request on it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "fim.h"

/**
 * struct fim_notify_entry - a checked INVAL_ENTRY or DELETE
 * @parent: node id of the directory, not 0
 * @child: DELETE: node id the name must lead to; INVAL_ENTRY: 0
 * @expire_only: expire the name rather than drop it (FUSE_EXPIRE_ONLY)
 * @name: the name, NUL-terminated, no '/', not "." or ".."; kmalloc'ed
 * @namelen: bytes of @name without the NUL
 */
struct fim_notify_entry {
	u64		parent;
	u64		child;
	bool		expire_only;
	char		*name;
	u32		namelen;
};

static int fim_notify_bad(int code, const char *why, int error)
{
	pr_warn_ratelimited("malformed notification %d from server: %s\n",
			    code, why);
	return error;
}

/* INVAL_INODE: attributes expire; data in [off, off + len) is dropped. */
static int fim_notify_inval_inode(struct super_block *sb,
				  const struct fuse_notify_inval_inode_out *out)
{
	struct inode *inode;
	pgoff_t first, last;
	s64 end;

	inode = fim_ilookup(sb, out->ino);
	if (!inode)
		return -ENOENT;
	fim_inode_expire_attr(inode);
	if (out->off >= 0) {
		first = out->off >> PAGE_SHIFT;
		last = (pgoff_t)-1;
		if (out->len > 0 && !check_add_overflow(out->off, out->len, &end))
			last = (end - 1) >> PAGE_SHIFT;
		invalidate_inode_pages2_range(inode->i_mapping, first, last);
	}
	iput(inode);
	return 0;
}

/*
 * INVAL_ENTRY and DELETE: find the cached name under the directory's
 * i_rwsem, so that no lookup or rename of it runs meanwhile, and drop it
 * (or expire it).  The directory's attributes expire too: its times and
 * link count changed with the entry.  A DELETE whose name leads elsewhere
 * fails with ENOENT; the deleted node's attributes expire, so that its
 * link count is fetched again.
 */
static int fim_notify_do_entry(struct super_block *sb,
			       const struct fim_notify_entry *ne)
{
	struct qstr qname = QSTR_INIT(ne->name, ne->namelen);
	struct dentry *parent, *entry;
	struct inode *dir, *child;
	int error = 0;

	dir = fim_ilookup(sb, ne->parent);
	if (!dir)
		return -ENOENT;
	if (!S_ISDIR(dir->i_mode)) {
		iput(dir);
		return -ENOTDIR;
	}
	inode_lock_nested(dir, I_MUTEX_PARENT);
	fim_inode_expire_attr(dir);
	parent = d_find_alias(dir);
	if (!parent)
		goto out_unlock;	/* no name under it is cached */
	qname.hash = full_name_hash(parent, qname.name, qname.len);
	entry = d_lookup(parent, &qname);
	if (!entry)
		goto out_dput_parent;
	if (ne->child) {
		child = d_inode(entry);
		if (!child || FIM_I(child)->nodeid != ne->child)
			error = -ENOENT;
		else
			fim_inode_expire_attr(child);
	}
	if (!error) {
		if (ne->expire_only)
			fim_dentry_expire(entry);
		else
			d_invalidate(entry);
	}
	dput(entry);
out_dput_parent:
	dput(parent);
out_unlock:
	inode_unlock(dir);
	iput(dir);
	return error;
}

/*
 * Read the name that follows the fixed part of INVAL_ENTRY or DELETE:
 * @namelen bytes and a NUL, filling exactly the @rest bytes left.
 */
static int fim_notify_read_name(int code, struct iov_iter *from, size_t rest,
				struct fim_notify_entry *ne)
{
	char *name;

	if (!ne->namelen)
		return fim_notify_bad(code, "empty name", -EINVAL);
	if (ne->namelen > FIM_NAME_MAX)
		return fim_notify_bad(code, "name too long", -ENAMETOOLONG);
	if (rest != (size_t)ne->namelen + 1)
		return fim_notify_bad(code, "size does not match the name length",
				      -EINVAL);
	name = kmalloc(rest, GFP_KERNEL);
	if (!name)
		return -ENOMEM;
	if (!copy_from_iter_full(name, rest, from)) {
		kfree(name);
		return -EFAULT;
	}
	if (name[ne->namelen] || memchr(name, '\0', ne->namelen) ||
	    memchr(name, '/', ne->namelen) ||
	    !strcmp(name, ".") || !strcmp(name, "..")) {
		kfree(name);
		return fim_notify_bad(code, "bad name", -EINVAL);
	}
	ne->name = name;
	return 0;
}

/* Read and check the fixed part and the name of INVAL_ENTRY or DELETE. */
static int fim_notify_read_entry(int code, struct iov_iter *from, size_t len,
				 struct fim_notify_entry *ne)
{
	union {
		struct fuse_notify_inval_entry_out inval;
		struct fuse_notify_delete_out del;
	} out;
	size_t size;

	size = code == FUSE_NOTIFY_DELETE ? sizeof(out.del) : sizeof(out.inval);
	if (len < size)
		return fim_notify_bad(code, "too short", -EINVAL);
	if (!copy_from_iter_full(&out, size, from))
		return -EFAULT;
	if (code == FUSE_NOTIFY_DELETE) {
		if (!out.del.child)
			return fim_notify_bad(code, "child node id 0", -EINVAL);
		if (out.del.padding)
			return fim_notify_bad(code, "padding not 0", -EINVAL);
		ne->parent = out.del.parent;
		ne->child = out.del.child;
		ne->namelen = out.del.namelen;
	} else {
		if (out.inval.flags & ~FUSE_EXPIRE_ONLY)
			return fim_notify_bad(code, "unknown flags", -EINVAL);
		ne->parent = out.inval.parent;
		ne->expire_only = out.inval.flags & FUSE_EXPIRE_ONLY;
		ne->namelen = out.inval.namelen;
	}
	if (!ne->parent)
		return fim_notify_bad(code, "parent node id 0", -EINVAL);
	return fim_notify_read_name(code, from, len - size, ne);
}

/**
 * fim_notify() - handle a notification the server wrote
 * @fc: the connection
 * @code: the notify code from the header's error field, positive
 * @from: the payload
 * @len: bytes of payload
 *
 * Context: process context (the server's write()), may sleep; takes
 * fim_conn.killsb for reading and, for names, a directory's i_rwsem.
 * Return: 0; -EINVAL or -ENAMETOOLONG for a malformed notification;
 * -ENOENT if the node (or, for DELETE, the name's node) is not in core or
 * the filesystem is not mounted (any more); -ENOTDIR for a parent that is
 * no directory; -ENOSYS for an unsupported code; -ENOMEM or -EFAULT.
 */
int fim_notify(struct fim_conn *fc, int code, struct iov_iter *from,
	       size_t len)
{
	struct fuse_notify_inval_inode_out inval = { };
	struct fim_notify_entry ne = { };
	int error;

	switch (code) {
	case FUSE_NOTIFY_INVAL_INODE:
		if (len != sizeof(inval))
			return fim_notify_bad(code, "wrong size", -EINVAL);
		if (!copy_from_iter_full(&inval, sizeof(inval), from))
			return -EFAULT;
		if (!inval.ino)
			return fim_notify_bad(code, "node id 0", -EINVAL);
		break;
	case FUSE_NOTIFY_INVAL_ENTRY:
	case FUSE_NOTIFY_DELETE:
		error = fim_notify_read_entry(code, from, len, &ne);
		if (error)
			return error;
		break;
	case FUSE_NOTIFY_STORE:
	case FUSE_NOTIFY_RETRIEVE:
		pr_warn_ratelimited("notification %d refused: file data is not cached\n",
				    code);
		return -ENOSYS;
	default:
		pr_warn_ratelimited("unsupported notification %d from server\n",
				    code);
		return -ENOSYS;
	}

	down_read(&fc->killsb);
	if (!fc->sb)
		error = -ENOENT;
	else if (code == FUSE_NOTIFY_INVAL_INODE)
		error = fim_notify_inval_inode(fc->sb, &inval);
	else
		error = fim_notify_do_entry(fc->sb, &ne);
	up_read(&fc->killsb);
	kfree(ne.name);
	return error;
}
