// SPDX-License-Identifier: GPL-2.0
/*
 * Directories: LOOKUP and READDIR.
 *
 * A LOOKUP reply is checked like any attribute reply (inode.c) and must
 * not name node 0 for a positive entry.  READDIR replies are parsed record
 * by record; a record whose name is empty, too long, runs past the reply,
 * or contains '/' or NUL ends the listing with -EIO, so a malformed buffer
 * can never be read past its end or produce a name the VFS would misuse.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "compat.h"
#include "fim.h"
#include "req.h"

/*
 * A dentry's deadline lives in d_fsdata as jiffies: until then the entry
 * (positive or negative) is trusted; after it, d_revalidate asks again.
 */
static void fim_dentry_set_expiry(struct dentry *dentry, u64 sec, u32 nsec)
{
	dentry->d_fsdata = (void *)fim_timeout_to_jiffies(sec, nsec);
}

static bool fim_dentry_expired(const struct dentry *dentry)
{
	return time_after(jiffies, (unsigned long)READ_ONCE(dentry->d_fsdata));
}

/**
 * fim_dentry_expire() - make the next use of a dentry ask the server again
 * @dentry: the dentry
 */
void fim_dentry_expire(struct dentry *dentry)
{
	WRITE_ONCE(dentry->d_fsdata, (void *)(jiffies - 1));
}

/*
 * Ask the server again for an expired entry.  Valid if it still names the
 * same node (whose attributes are refreshed on the way), or still nothing
 * for a negative entry.
 */
static int fim_d_revalidate_impl(struct dentry *dentry, unsigned int flags)
{
	struct fuse_entry_out *out;
	struct dentry *parent;
	struct inode *dir, *inode;
	struct fim_req *req;
	int error, valid;

	if (!fim_dentry_expired(dentry))
		return 1;
	if (flags & LOOKUP_RCU)
		return -ECHILD;

	parent = dget_parent(dentry);
	dir = d_inode(parent);
	req = fim_req_alloc(fim_conn_of(dir), FUSE_LOOKUP, FIM_I(dir)->nodeid,
			    dentry->d_name.len + 1, sizeof(*out));
	if (IS_ERR(req)) {
		dput(parent);
		return PTR_ERR(req);
	}
	memcpy(fim_req_args(req), dentry->d_name.name, dentry->d_name.len);
	error = fim_req_send(fim_conn_of(dir), req);
	out = req->out;
	if (error == -ENOENT || (!error && !out->nodeid)) {
		valid = d_really_is_negative(dentry);
		if (valid && !error)
			fim_dentry_set_expiry(dentry, out->entry_valid,
					      out->entry_valid_nsec);
	} else if (error) {
		valid = error == -ENOMEM || error == -EINTR ? error : 0;
	} else if (d_really_is_negative(dentry) ||
		   FIM_I(d_inode(dentry))->nodeid != out->nodeid) {
		valid = 0;	/* the name now means another node */
	} else {
		inode = fim_iget(dir->i_sb, out->nodeid, &out->attr,
				 out->attr_valid, out->attr_valid_nsec);
		if (IS_ERR(inode)) {
			valid = 0;
		} else {
			/* The server counted this lookup too. */
			spin_lock(&FIM_I(inode)->lock);
			FIM_I(inode)->nlookup++;
			spin_unlock(&FIM_I(inode)->lock);
			iput(inode);
			fim_dentry_set_expiry(dentry, out->entry_valid,
					      out->entry_valid_nsec);
			valid = 1;
		}
	}
	fim_req_put(req);
	dput(parent);
	return valid;
}

FIM_COMPAT_DEFINE_D_REVALIDATE(fim_d_revalidate, fim_d_revalidate_impl);

/* Entry timeouts from the server are honoured through d_revalidate. */
const struct dentry_operations fim_dentry_ops = {
	.d_revalidate	= fim_d_revalidate,
};

/**
 * fim_lookup() - inode_operations.lookup
 * @dir: the directory
 * @dentry: the name to look up
 * @flags: LOOKUP_* flags
 *
 * A reply of -ENOENT, or an entry with node id 0, makes a negative dentry.
 *
 * Context: process context, may sleep; @dir's i_rwsem held (shared).
 * Return: NULL or an alias dentry, or an ERR_PTR.
 */
struct dentry *fim_lookup(struct inode *dir, struct dentry *dentry,
			  unsigned int flags)
{
	struct fim_conn *fc = fim_conn_of(dir);
	struct fuse_entry_out *out;
	struct inode *inode = NULL;
	struct fim_req *req;
	int error;

	if (dentry->d_name.len > FIM_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	req = fim_req_alloc(fc, FUSE_LOOKUP, FIM_I(dir)->nodeid,
			    dentry->d_name.len + 1, sizeof(*out));
	if (IS_ERR(req))
		return ERR_CAST(req);
	memcpy(fim_req_args(req), dentry->d_name.name, dentry->d_name.len);
	error = fim_req_send(fc, req);
	out = req->out;
	if (error == -ENOENT || (!error && !out->nodeid)) {
		/* Negative entry: cached for entry_valid, or not at all. */
		if (error)
			fim_dentry_set_expiry(dentry, 0, 0);
		else
			fim_dentry_set_expiry(dentry, out->entry_valid,
					      out->entry_valid_nsec);
		error = 0;
	} else if (!error) {
		fim_dentry_set_expiry(dentry, out->entry_valid,
				      out->entry_valid_nsec);
		inode = fim_iget(dir->i_sb, out->nodeid, &out->attr,
				 out->attr_valid, out->attr_valid_nsec);
		if (IS_ERR(inode)) {
			error = PTR_ERR(inode);
			inode = NULL;
		} else {
			struct fim_inode *fi = FIM_I(inode);

			spin_lock(&fi->lock);
			fi->nlookup++;
			spin_unlock(&fi->lock);
		}
	}
	fim_req_put(req);
	if (error)
		return ERR_PTR(error);
	return d_splice_alias(inode, dentry);
}

/* Is @name (of @len bytes, from the server) usable as a directory entry? */
static bool fim_dirent_name_ok(const char *name, u32 len)
{
	if (!len || len > FIM_NAME_MAX)
		return false;
	return !memchr(name, '/', len) && !memchr(name, '\0', len);
}

/*
 * Emit the records of one READDIR reply.  Returns 1 if the caller's buffer
 * filled up, 0 if all records were emitted, -EIO for a malformed reply.
 */
static int fim_parse_dirents(struct dir_context *ctx, const void *buf,
			     size_t len)
{
	while (len >= FUSE_NAME_OFFSET) {
		const struct fuse_dirent *de = buf;
		size_t reclen = FUSE_DIRENT_SIZE(de);

		if (de->namelen > len - FUSE_NAME_OFFSET || reclen > len ||
		    !fim_dirent_name_ok(de->name, de->namelen) ||
		    de->type > 15) {
			pr_warn_ratelimited("malformed READDIR reply\n");
			return -EIO;
		}
		if (!dir_emit(ctx, de->name, de->namelen, de->ino, de->type))
			return 1;
		ctx->pos = de->off;
		buf += reclen;
		len -= reclen;
	}
	if (len) {
		pr_warn_ratelimited("READDIR reply ends inside a record\n");
		return -EIO;
	}
	return 0;
}

static int fim_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	struct fim_conn *fc = fim_conn_of(inode);
	struct fuse_read_in *in;
	struct fim_req *req;
	int error;

	if (test_bit(FIM_I_BAD, &FIM_I(inode)->state))
		return -EIO;
	for (;;) {
		req = fim_req_alloc(fc, FUSE_READDIR, FIM_I(inode)->nodeid,
				    sizeof(*in), PAGE_SIZE);
		if (IS_ERR(req))
			return PTR_ERR(req);
		req->out_var = true;
		req->out_min = 0;
		in = fim_req_args(req);
		in->fh = ((struct fim_file *)file->private_data)->fh;
		in->offset = ctx->pos;
		in->size = PAGE_SIZE;
		in->flags = file->f_flags;
		error = fim_req_send(fc, req);
		if (!error) {
			if (!req->out_len) {
				fim_req_put(req);
				return 0;	/* end of directory */
			}
			error = fim_parse_dirents(ctx, req->out, req->out_len);
		}
		fim_req_put(req);
		if (error)
			return error < 0 ? error : 0;
	}
}

static int fim_dir_open(struct inode *inode, struct file *file)
{
	return fim_file_open_common(inode, file, true);
}

static int fim_dir_release(struct inode *inode, struct file *file)
{
	fim_file_release_common(inode, file, true);
	return 0;
}

static int fim_dir_fsync(struct file *file, loff_t start, loff_t end,
			 int datasync)
{
	struct inode *inode = file_inode(file);
	struct fim_conn *fc = fim_conn_of(inode);
	struct fuse_fsync_in in = { };
	int error;

	if (READ_ONCE(fc->no_fsyncdir))
		return 0;
	in.fh = ((struct fim_file *)file->private_data)->fh;
	in.fsync_flags = datasync ? FUSE_FSYNC_FDATASYNC : 0;
	error = fim_simple_request(fc, FUSE_FSYNCDIR, FIM_I(inode)->nodeid,
				   &in, sizeof(in), NULL, 0);
	if (error == -ENOSYS) {
		WRITE_ONCE(fc->no_fsyncdir, true);
		error = 0;
	}
	return error;
}

const struct file_operations fim_dir_file_ops = {
	.llseek		= generic_file_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= fim_readdir,
	.open		= fim_dir_open,
	.release	= fim_dir_release,
	.fsync		= fim_dir_fsync,
};
