// SPDX-License-Identifier: GPL-2.0
/*
 * Directories: LOOKUP, READDIR and READDIRPLUS.
 *
 * A LOOKUP reply is checked like any attribute reply (inode.c) and must
 * not name node 0 for a positive entry.  READDIR(PLUS) replies are parsed
 * record by record with fim_dirent_next() (proto.c); a record whose name is
 * empty, too long, runs past the reply, or contains '/' or NUL ends the
 * listing with -EIO, so a malformed buffer can never be read past its end
 * or produce a name the VFS would misuse.  A READDIRPLUS record also
 * carries a LOOKUP reply, which makes or refreshes the entry's dentry and
 * inode exactly as LOOKUP would; the lookup the server counted for it is
 * kept on the inode or returned with FORGET.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/wait.h>

#include "compat.h"
#include "fim.h"
#include "proto.h"
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
 * for a negative entry.  @name is stable for the call (see compat.h): the
 * dentry's own name may change under a concurrent rename.  Every lookup
 * the server counted for a reply not kept goes back with FORGET.
 */
static int fim_d_revalidate_impl(struct inode *dir, const struct qstr *name,
				 struct dentry *dentry, unsigned int flags)
{
	struct fim_conn *fc;
	struct fuse_entry_out *out;
	struct inode *inode;
	struct fim_req *req;
	u64 attr_version;
	int error, valid;

	if (!fim_dentry_expired(dentry))
		return 1;
	if (flags & LOOKUP_RCU)
		return -ECHILD;
	if (name->len > FIM_NAME_MAX)
		return 0;

	fc = fim_conn_of(dir);
	req = fim_req_alloc(fc, FUSE_LOOKUP, FIM_I(dir)->nodeid,
			    name->len + 1, sizeof(*out));
	if (IS_ERR(req))
		return PTR_ERR(req);
	memcpy(fim_req_args(req), name->name, name->len);
	attr_version = fim_attr_version(fc);
	error = fim_req_send(fc, req);
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
		/* The name now means another node: LOOKUP will ask again. */
		fim_inode_forget(fc, out->nodeid, 1);
		valid = 0;
	} else {
		inode = fim_iget(dir->i_sb, out->nodeid, &out->attr,
				 out->attr_valid, out->attr_valid_nsec,
				 attr_version);
		if (IS_ERR(inode)) {
			fim_inode_forget(fc, out->nodeid, 1);
			valid = 0;
		} else {
			/* The server counted this lookup too. */
			fim_inode_count_lookup(inode);
			iput(inode);
			fim_dentry_set_expiry(dentry, out->entry_valid,
					      out->entry_valid_nsec);
			valid = 1;
		}
	}
	fim_req_put(req);
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
	u64 attr_version;
	int error;

	if (dentry->d_name.len > FIM_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	req = fim_req_alloc(fc, FUSE_LOOKUP, FIM_I(dir)->nodeid,
			    dentry->d_name.len + 1, sizeof(*out));
	if (IS_ERR(req))
		return ERR_CAST(req);
	/* Stable: the dentry is in lookup, or @dir's i_rwsem is held. */
	memcpy(fim_req_args(req), dentry->d_name.name, dentry->d_name.len);
	attr_version = fim_attr_version(fc);
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
				 out->attr_valid, out->attr_valid_nsec,
				 attr_version);
		if (IS_ERR(inode)) {
			/* The server counted a lookup nobody keeps. */
			fim_inode_forget(fc, out->nodeid, 1);
			error = PTR_ERR(inode);
			inode = NULL;
		} else {
			fim_inode_count_lookup(inode);
		}
	}
	fim_req_put(req);
	if (error)
		return ERR_PTR(error);
	return d_splice_alias(inode, dentry);
}

/*
 * Make or refresh the dentry and inode a READDIRPLUS record names, taking
 * over the lookup the server counted for it.  Returns 0 once the count is
 * ours (kept on the inode, returned at eviction), or a negative errno if
 * it is not, and the caller must FORGET it.
 *
 * The directory's i_rwsem is held shared (iterate_shared), which is what
 * d_alloc_parallel() is made for: a concurrent LOOKUP of the same name
 * waits for ours, or we for it.
 */
static int fim_dirplus_link(struct dentry *parent,
			    const struct fim_dirent_rec *rec, u64 attr_version)
{
	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(wq);
	const struct fuse_entry_out *eo = rec->entry;
	struct super_block *sb = parent->d_sb;
	struct qstr name = QSTR_INIT(rec->name, rec->namelen);
	struct dentry *dentry, *alias;
	struct inode *inode;

	name.hash = full_name_hash(parent, name.name, name.len);
again:
	dentry = d_lookup(parent, &name);
	if (!dentry) {
		dentry = fim_compat_d_alloc_parallel(parent, &name, &wq);
		if (IS_ERR(dentry))
			return PTR_ERR(dentry);
	}
	if (!d_in_lookup(dentry)) {
		inode = d_inode(dentry);
		if (!inode || FIM_I(inode)->nodeid != eo->nodeid) {
			/* The name means another node now: drop the old. */
			d_invalidate(dentry);
			dput(dentry);
			goto again;
		}
		/* Same node: refresh its attributes and the entry's timeout. */
		inode = fim_iget(sb, eo->nodeid, &eo->attr, eo->attr_valid,
				 eo->attr_valid_nsec, attr_version);
		if (IS_ERR(inode)) {
			dput(dentry);
			return PTR_ERR(inode);
		}
		fim_inode_count_lookup(inode);
		iput(inode);
		fim_dentry_set_expiry(dentry, eo->entry_valid,
				      eo->entry_valid_nsec);
		dput(dentry);
		return 0;
	}

	inode = fim_iget(sb, eo->nodeid, &eo->attr, eo->attr_valid,
			 eo->attr_valid_nsec, attr_version);
	if (IS_ERR(inode)) {
		d_lookup_done(dentry);
		dput(dentry);
		return PTR_ERR(inode);
	}
	fim_inode_count_lookup(inode);
	fim_dentry_set_expiry(dentry, eo->entry_valid, eo->entry_valid_nsec);
	/* Consumes the inode reference, also on failure. */
	alias = d_splice_alias(inode, dentry);
	d_lookup_done(dentry);
	if (IS_ERR(alias)) {
		/* The count stays with the inode; nothing to forget. */
		pr_warn_ratelimited("READDIRPLUS entry for node %llu not linked: %ld\n",
				    eo->nodeid, PTR_ERR(alias));
	} else if (alias) {
		fim_dentry_set_expiry(alias, eo->entry_valid,
				      eo->entry_valid_nsec);
		dput(alias);
	}
	dput(dentry);
	return 0;
}

/*
 * Emit the records of one READDIR or READDIRPLUS reply.  Returns 1 if the
 * caller's buffer filled up, 0 if all records were emitted, -EIO for a
 * malformed reply or an entry whose node cannot be used.
 *
 * Every READDIRPLUS record that counted a lookup is linked or forgotten,
 * also once the caller's buffer is full or an earlier entry failed, so
 * that the server's counts stay exact.  A record that cannot be parsed
 * ends the walk: nothing after it can be trusted.
 */
static int fim_dir_fill(struct file *file, struct dir_context *ctx,
			const void *buf, size_t len, bool plus,
			u64 attr_version)
{
	struct fim_conn *fc = fim_conn_of(file_inode(file));
	const char *op = plus ? "READDIRPLUS" : "READDIR";
	struct fim_dirent_rec rec;
	enum fim_dirent_bad bad;
	bool full = false;
	int error = 0;

	while (len) {
		bad = fim_dirent_next(buf, len, plus, &rec);
		if (bad == FIM_DIRENT_BAD_MODE) {
			pr_warn_ratelimited("%s entry for node %llu has mode 0%o\n",
					    op, rec.entry->nodeid,
					    rec.entry->attr.mode);
			fim_inode_forget(fc, rec.entry->nodeid, 1);
			error = -EIO;
		} else if (bad != FIM_DIRENT_OK) {
			pr_warn_ratelimited("malformed %s reply (rule %d)\n",
					    op, bad);
			return -EIO;
		} else {
			/*
			 * Link before emitting, so that a name whose node
			 * cannot be used is never listed.
			 */
			if (plus && rec.entry->nodeid && !rec.dot) {
				int err = -EIO;

				if (!error)
					err = fim_dirplus_link(file->f_path.dentry,
							       &rec,
							       attr_version);
				if (err) {
					fim_inode_forget(fc, rec.entry->nodeid,
							 1);
					if (!error)
						error = err == -ENOMEM ?
							-ENOMEM : -EIO;
				}
			}
			if (!full && !error) {
				if (dir_emit(ctx, rec.name, rec.namelen,
					     rec.ino, rec.type))
					ctx->pos = rec.off;
				else
					full = true;
			}
		}
		buf += rec.reclen;
		len -= rec.reclen;
	}
	return error ?: full;
}

static int fim_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	struct fim_conn *fc = fim_conn_of(inode);
	struct fuse_read_in *in;
	struct fim_req *req;
	u64 attr_version;
	bool plus;
	int error;

	if (test_bit(FIM_I_BAD, &FIM_I(inode)->state))
		return -EIO;
	for (;;) {
		plus = READ_ONCE(fc->readdirplus) &&
		       !READ_ONCE(fc->no_readdirplus);
		req = fim_req_alloc(fc, plus ? FUSE_READDIRPLUS : FUSE_READDIR,
				    FIM_I(inode)->nodeid, sizeof(*in),
				    PAGE_SIZE);
		if (IS_ERR(req))
			return PTR_ERR(req);
		req->out_var = true;
		req->out_min = 0;
		in = fim_req_args(req);
		in->fh = ((struct fim_file *)file->private_data)->fh;
		in->offset = ctx->pos;
		in->size = PAGE_SIZE;
		in->flags = file->f_flags;
		attr_version = fim_attr_version(fc);
		error = fim_req_send(fc, req);
		if (error == -ENOSYS && plus) {
			/* Negotiated but not implemented: list plainly. */
			WRITE_ONCE(fc->no_readdirplus, true);
			fim_req_put(req);
			continue;
		}
		if (!error) {
			if (!req->out_len) {
				fim_req_put(req);
				return 0;	/* end of directory */
			}
			error = fim_dir_fill(file, ctx, req->out, req->out_len,
					     plus, attr_version);
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
