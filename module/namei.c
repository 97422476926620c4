// SPDX-License-Identifier: GPL-2.0
/*
 * Namespace changes: CREATE (atomic open), TMPFILE, MKNOD, MKDIR, SYMLINK,
 * LINK, UNLINK, RMDIR, RENAME and RENAME2.
 *
 * Requests that make an entry get a LOOKUP-style reply, checked like one:
 * it must name a node other than 0 and of the file type that was asked
 * for, else the operation fails with -EIO.  (LINK's reply may name a new
 * node id for the same file, as libfuse's path-based API does.)  After any change the parent's
 * (and the target's) cached attributes are expired, since the server
 * changed times and link counts.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "compat.h"
#include "fim.h"
#include "req.h"

/*
 * Allocate a request whose arguments are @head (@head_len bytes) followed
 * by the NUL-terminated strings @name1 and, if not NULL, @name2.
 */
static struct fim_req *fim_name_req(struct inode *dir, u32 opcode,
				    const void *head, size_t head_len,
				    const struct qstr *name1,
				    const char *name2, size_t name2_len,
				    size_t out_size)
{
	size_t len = head_len + name1->len + 1;
	struct fim_req *req;
	char *p;

	if (name1->len > FIM_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	if (name2)
		len += name2_len + 1;
	req = fim_req_alloc(fim_conn_of(dir), opcode, FIM_I(dir)->nodeid,
			    len, out_size);
	if (IS_ERR(req))
		return req;
	p = fim_req_args(req);
	memcpy(p, head, head_len);
	p += head_len;
	memcpy(p, name1->name, name1->len);
	p += name1->len + 1;
	if (name2)
		memcpy(p, name2, name2_len);
	return req;
}

/*
 * Send @req, whose reply is a fuse_entry_out for a new entry of file type
 * @type, and attach the inode to @dentry with d_splice_alias(): the node
 * id is the server's choice, and a reply naming a directory the kernel
 * already has must move that directory's one alias rather than make a
 * second one (two aliases of a directory deadlock rename).  Consumes
 * @req.  A reply the kernel cannot use has its lookup returned with
 * FORGET.
 *
 * Return: NULL if @dentry was instantiated, the directory's existing
 * alias (referenced) if one was spliced instead, or an ERR_PTR.
 */
static struct dentry *fim_make_entry(struct inode *dir, struct dentry *dentry,
				     struct fim_req *req, umode_t type)
{
	struct fim_conn *fc = fim_conn_of(dir);
	struct fuse_entry_out *out = req->out;
	struct dentry *alias;
	struct inode *inode;
	u64 attr_version;
	int error;

	attr_version = fim_attr_version(fc);
	error = fim_req_send(fc, req);
	if (error)
		goto out_put_req;
	if (!out->nodeid || (out->attr.mode & S_IFMT) != type) {
		pr_warn_ratelimited("bad entry reply to opcode %u: node %llu mode 0%o\n",
				    req->opcode, out->nodeid, out->attr.mode);
		fim_inode_forget(fc, out->nodeid, 1);
		error = -EIO;
		goto out_put_req;
	}
	inode = fim_iget(dir->i_sb, out->nodeid, &out->attr, out->attr_valid,
			 out->attr_valid_nsec, attr_version);
	if (IS_ERR(inode)) {
		fim_inode_forget(fc, out->nodeid, 1);
		error = PTR_ERR(inode);
		goto out_put_req;
	}
	/* From here on the inode keeps the count, also if splicing fails. */
	fim_inode_count_lookup(inode);
	d_drop(dentry);
	alias = d_splice_alias(inode, dentry);
	if (IS_ERR(alias)) {
		error = PTR_ERR(alias);
		goto out_put_req;
	}
	(alias ?: dentry)->d_fsdata =
		(void *)fim_timeout_to_jiffies(out->entry_valid,
					       out->entry_valid_nsec);
	fim_inode_expire_attr(dir);
	fim_req_put(req);
	return alias;

out_put_req:
	fim_req_put(req);
	return ERR_PTR(error);
}

/* fim_make_entry() for non-directories, which never have an alias. */
static int fim_make_nondir_entry(struct inode *dir, struct dentry *dentry,
				 struct fim_req *req, umode_t type)
{
	struct dentry *alias = fim_make_entry(dir, dentry, req, type);

	if (IS_ERR(alias))
		return PTR_ERR(alias);
	dput(alias);
	return 0;
}

static int fim_mknod(struct mnt_idmap *idmap, struct inode *dir,
		     struct dentry *dentry, umode_t mode, dev_t rdev)
{
	struct fuse_mknod_in in = { };
	struct fim_req *req;

	/*
	 * SB_POSIXACL keeps the VFS from applying the umask; without
	 * FUSE_DONT_MASK negotiated the client applies it, as fuse does.
	 */
	in.mode = mode & ~current_umask();
	in.rdev = new_encode_dev(rdev);
	in.umask = current_umask();
	req = fim_name_req(dir, FUSE_MKNOD, &in, sizeof(in), &dentry->d_name,
			   NULL, 0, sizeof(struct fuse_entry_out));
	if (IS_ERR(req))
		return PTR_ERR(req);
	return fim_make_nondir_entry(dir, dentry, req, mode & S_IFMT);
}

/*
 * The reply to CREATE and TMPFILE: the new file's entry, then the handle of
 * the file the server opened.
 */
struct fim_create_out {
	struct fuse_entry_out	entry;
	struct fuse_open_out	open;
};

/*
 * Send CREATE (or TMPFILE) to make a regular file and open it in one
 * request, attach the inode to @dentry (or to the O_TMPFILE @file) and
 * finish the open.  On any failure after the server made the file, its
 * lookup and its handle are returned with FORGET and RELEASE.
 */
static int fim_create_open(struct inode *dir, struct dentry *dentry,
			   struct file *file, unsigned int flags,
			   umode_t mode, u32 opcode)
{
	struct fim_conn *fc = fim_conn_of(dir);
	struct fuse_release_in rin = { };
	struct fuse_create_in in = { };
	struct fim_create_out *out;
	struct fim_file *ff;
	struct inode *inode;
	struct fim_req *req;
	u64 attr_version;
	int error;

	ff = kzalloc(sizeof(*ff), GFP_KERNEL);
	if (!ff)
		return -ENOMEM;
	in.flags = flags & ~O_NOCTTY;
	if (!fc->atomic_o_trunc)
		in.flags &= ~O_TRUNC;
	in.mode = mode & ~current_umask();	/* as in fim_mknod() */
	in.umask = current_umask();
	req = fim_name_req(dir, opcode, &in, sizeof(in), &dentry->d_name,
			   NULL, 0, sizeof(*out));
	if (IS_ERR(req)) {
		error = PTR_ERR(req);
		goto out_free_ff;
	}
	attr_version = fim_attr_version(fc);
	error = fim_req_send(fc, req);
	if (error)
		goto out_put_req;
	out = req->out;
	if (!out->entry.nodeid ||
	    (out->entry.attr.mode & S_IFMT) != S_IFREG) {
		pr_warn_ratelimited("bad entry reply to opcode %u: node %llu mode 0%o\n",
				    opcode, out->entry.nodeid,
				    out->entry.attr.mode);
		error = -EIO;
		goto out_undo;
	}
	inode = fim_iget(dir->i_sb, out->entry.nodeid, &out->entry.attr,
			 out->entry.attr_valid, out->entry.attr_valid_nsec,
			 attr_version);
	if (IS_ERR(inode)) {
		error = PTR_ERR(inode);
		goto out_undo;
	}
	fim_inode_count_lookup(inode);
	ff->fh = out->open.fh;
	ff->open_flags = out->open.open_flags;
	if (opcode == FUSE_TMPFILE) {
		/* d_tmpfile() drops the one link a new file is made with. */
		if (!inode->i_nlink)
			set_nlink(inode, 1);
		d_tmpfile(file, inode);
		/*
		 * ...and dirties the inode, which nothing would ever clean:
		 * there is no writeback here (noop bdi, no ->write_inode),
		 * and a dirty inode is never reclaimed, so its lookups would
		 * never be forgotten.  Writing it "back" only clears the
		 * dirty state.
		 */
		sync_inode_metadata(inode, 0);
	} else {
		dentry->d_fsdata = (void *)fim_timeout_to_jiffies(out->entry.entry_valid,
								  out->entry.entry_valid_nsec);
		d_instantiate(dentry, inode);
	}
	fim_inode_expire_attr(dir);
	fim_req_put(req);

	file->f_mode |= FMODE_CREATED;
	file->private_data = ff;
	fim_file_allow_odirect(file);
	error = finish_open(file, dentry, generic_file_open);
	if (error) {
		/* ->release is not called for a file that never opened. */
		fim_file_release_common(inode, file, false);
		file->private_data = NULL;
	}
	return error;

out_undo:
	rin.fh = out->open.fh;
	rin.flags = in.flags;
	fim_file_send_release(fc, NULL, out->entry.nodeid, &rin, false);
	fim_inode_forget(fc, out->entry.nodeid, 1);
out_put_req:
	fim_req_put(req);
out_free_ff:
	kfree(ff);
	return error;
}

/**
 * fim_atomic_open() - inode_operations.atomic_open
 * @dir: the directory
 * @dentry: the name; may be in lookup
 * @file: the file to open
 * @flags: open(2) flags
 * @mode: file type and mode for a new file
 *
 * Looks the name up if the VFS has not, then makes and opens a new file
 * with CREATE.  A server without CREATE (ENOSYS, remembered) gets MKNOD and
 * the VFS opens the file with OPEN afterwards.  Existing files, and opens
 * without O_CREAT, are left to the VFS (finish_no_open()).
 *
 * Context: process context, may sleep; @dir's i_rwsem held (exclusive
 * with O_CREAT).
 * Return: 0 or a negative errno.
 */
static int fim_atomic_open(struct inode *dir, struct dentry *dentry,
			   struct file *file, unsigned int flags,
			   umode_t mode)
{
	struct fim_conn *fc = fim_conn_of(dir);
	struct dentry *res = NULL;
	int error;

	if (d_in_lookup(dentry)) {
		res = fim_lookup(dir, dentry, 0);
		if (IS_ERR(res))
			return PTR_ERR(res);
		if (res)
			dentry = res;
	}
	if (!(flags & O_CREAT) || d_really_is_positive(dentry))
		goto no_open;

	if (!READ_ONCE(fc->no_create)) {
		error = fim_create_open(dir, dentry, file, flags, mode,
					FUSE_CREATE);
		/* Someone else made the name: ask the server next time. */
		if (error == -EEXIST)
			dentry->d_fsdata = (void *)fim_timeout_to_jiffies(0, 0);
		if (error != -ENOSYS)
			goto out_dput;
		WRITE_ONCE(fc->no_create, true);
	}
	error = fim_mknod(&nop_mnt_idmap, dir, dentry, mode, 0);
	if (error)
		goto out_dput;
	/* We made it: the VFS must neither truncate nor refuse O_EXCL. */
	file->f_mode |= FMODE_CREATED;
no_open:
	return finish_no_open(file, res);
out_dput:
	dput(res);
	return error;
}

/*
 * O_TMPFILE: an unnamed regular file in @dir, opened, with no links until
 * linkat(2) gives it a name.
 */
static int fim_tmpfile(struct mnt_idmap *idmap, struct inode *dir,
		       struct file *file, umode_t mode)
{
	struct fim_conn *fc = fim_conn_of(dir);
	int error;

	if (READ_ONCE(fc->no_tmpfile))
		return -EOPNOTSUPP;
	error = fim_create_open(dir, file->f_path.dentry, file, file->f_flags,
				mode, FUSE_TMPFILE);
	if (error == -ENOSYS) {
		WRITE_ONCE(fc->no_tmpfile, true);
		error = -EOPNOTSUPP;
	}
	return error;
}

/* mknod(2) of a regular file, and opens that bypass ->atomic_open. */
static int fim_create(struct mnt_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, bool excl)
{
	return fim_mknod(idmap, dir, dentry, mode, 0);
}

static struct dentry *fim_mkdir_impl(struct mnt_idmap *idmap,
				     struct inode *dir, struct dentry *dentry,
				     umode_t mode)
{
	struct fuse_mkdir_in in = { };
	struct fim_req *req;

	in.mode = mode & ~current_umask();	/* as in fim_mknod() */
	in.umask = current_umask();
	req = fim_name_req(dir, FUSE_MKDIR, &in, sizeof(in), &dentry->d_name,
			   NULL, 0, sizeof(struct fuse_entry_out));
	if (IS_ERR(req))
		return ERR_CAST(req);
	return fim_make_entry(dir, dentry, req, S_IFDIR);
}

FIM_COMPAT_DEFINE_MKDIR(fim_mkdir, fim_mkdir_impl);

static int fim_symlink(struct mnt_idmap *idmap, struct inode *dir,
		       struct dentry *dentry, const char *target)
{
	size_t len = strlen(target);
	struct fim_req *req;

	if (len >= PAGE_SIZE)
		return -ENAMETOOLONG;
	req = fim_name_req(dir, FUSE_SYMLINK, NULL, 0, &dentry->d_name,
			   target, len, sizeof(struct fuse_entry_out));
	if (IS_ERR(req))
		return PTR_ERR(req);
	return fim_make_nondir_entry(dir, dentry, req, S_IFLNK);
}

static int fim_link(struct dentry *old_dentry, struct inode *dir,
		    struct dentry *new_dentry)
{
	struct inode *inode = d_inode(old_dentry);
	struct fuse_link_in in = { };
	struct fim_req *req;
	int error;

	in.oldnodeid = FIM_I(inode)->nodeid;
	req = fim_name_req(dir, FUSE_LINK, &in, sizeof(in),
			   &new_dentry->d_name, NULL, 0,
			   sizeof(struct fuse_entry_out));
	if (IS_ERR(req))
		return PTR_ERR(req);
	/*
	 * The reply may name another node: libfuse's path-based API gives
	 * each name its own node id.  That is fine on the classic data path;
	 * the iomap path will need one inode per server inode.
	 */
	error = fim_make_nondir_entry(dir, new_dentry, req,
				      inode->i_mode & S_IFMT);
	fim_inode_expire_attr(inode);
	return error;
}

static int fim_remove(struct inode *dir, struct dentry *dentry, u32 opcode)
{
	struct inode *inode = d_inode(dentry);
	struct fim_req *req;
	int error;

	req = fim_name_req(dir, opcode, NULL, 0, &dentry->d_name, NULL, 0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	error = fim_req_send(fim_conn_of(dir), req);
	fim_req_put(req);
	if (error)
		return error;
	if (opcode == FUSE_RMDIR)
		clear_nlink(inode);
	else
		fim_inode_drop_nlink(inode);
	fim_inode_expire_attr(inode);
	fim_inode_expire_attr(dir);
	return 0;
}

static int fim_unlink(struct inode *dir, struct dentry *dentry)
{
	return fim_remove(dir, dentry, FUSE_UNLINK);
}

static int fim_rmdir(struct inode *dir, struct dentry *dentry)
{
	return fim_remove(dir, dentry, FUSE_RMDIR);
}

static int fim_rename(struct mnt_idmap *idmap, struct inode *olddir,
		      struct dentry *oldent, struct inode *newdir,
		      struct dentry *newent, unsigned int flags)
{
	const struct qstr *newname = &newent->d_name;
	struct fuse_rename2_in in2 = { };
	struct fuse_rename_in in = { };
	struct fim_req *req;
	int error;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (newname->len > FIM_NAME_MAX)
		return -ENAMETOOLONG;
	if (flags) {
		in2.newdir = FIM_I(newdir)->nodeid;
		in2.flags = flags;
		req = fim_name_req(olddir, FUSE_RENAME2, &in2, sizeof(in2),
				   &oldent->d_name, newname->name,
				   newname->len, 0);
	} else {
		in.newdir = FIM_I(newdir)->nodeid;
		req = fim_name_req(olddir, FUSE_RENAME, &in, sizeof(in),
				   &oldent->d_name, newname->name,
				   newname->len, 0);
	}
	if (IS_ERR(req))
		return PTR_ERR(req);
	error = fim_req_send(fim_conn_of(olddir), req);
	fim_req_put(req);
	if (error == -ENOSYS && flags)
		return -EINVAL;	/* the server has no RENAME2 */
	if (error)
		return error;
	fim_inode_expire_attr(d_inode(oldent));
	if (d_really_is_positive(newent)) {
		fim_inode_expire_attr(d_inode(newent));
		if (!(flags & RENAME_EXCHANGE))
			fim_inode_drop_nlink(d_inode(newent));
	}
	fim_inode_expire_attr(olddir);
	fim_inode_expire_attr(newdir);
	return 0;
}

const struct inode_operations fim_dir_inode_ops = {
	.lookup		= fim_lookup,
	.create		= fim_create,
	.atomic_open	= fim_atomic_open,
	.tmpfile	= fim_tmpfile,
	.mknod		= fim_mknod,
	.mkdir		= fim_mkdir,
	.symlink	= fim_symlink,
	.link		= fim_link,
	.unlink		= fim_unlink,
	.rmdir		= fim_rmdir,
	.rename		= fim_rename,
	.setattr	= fim_inode_setattr,
	.permission	= fim_inode_permission,
	.listxattr	= fim_listxattr,
	.get_inode_acl	= fim_get_inode_acl,
	.get_acl	= fim_get_acl,
	.set_acl	= fim_set_acl,
	.getattr	= fim_inode_getattr,
};
