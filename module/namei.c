// SPDX-License-Identifier: GPL-2.0
/*
 * Namespace changes: MKNOD (and create through it), MKDIR, SYMLINK, LINK,
 * UNLINK, RMDIR, RENAME and RENAME2.
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
 * @type, and attach the inode to @dentry.  Consumes @req.
 */
static int fim_make_entry(struct inode *dir, struct dentry *dentry,
			  struct fim_req *req, umode_t type)
{
	struct fuse_entry_out *out = req->out;
	struct inode *inode;
	int error;

	error = fim_req_send(fim_conn_of(dir), req);
	if (error)
		goto out_put_req;
	if (!out->nodeid || (out->attr.mode & S_IFMT) != type) {
		pr_warn_ratelimited("bad entry reply to opcode %u: node %llu mode 0%o\n",
				    req->opcode, out->nodeid, out->attr.mode);
		error = -EIO;
		goto out_put_req;
	}
	inode = fim_iget(dir->i_sb, out->nodeid, &out->attr, out->attr_valid,
			 out->attr_valid_nsec);
	if (IS_ERR(inode)) {
		error = PTR_ERR(inode);
		goto out_put_req;
	}
	spin_lock(&FIM_I(inode)->lock);
	FIM_I(inode)->nlookup++;
	spin_unlock(&FIM_I(inode)->lock);
	dentry->d_fsdata = (void *)fim_timeout_to_jiffies(out->entry_valid,
							  out->entry_valid_nsec);
	d_drop(dentry);
	d_add(dentry, inode);
	fim_inode_expire_attr(dir);
out_put_req:
	fim_req_put(req);
	return error;
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
	return fim_make_entry(dir, dentry, req, mode & S_IFMT);
}

/* Regular files are made with MKNOD; the VFS then opens them. */
static int fim_create(struct mnt_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, bool excl)
{
	return fim_mknod(idmap, dir, dentry, mode, 0);
}

static int fim_mkdir_impl(struct mnt_idmap *idmap, struct inode *dir,
			  struct dentry *dentry, umode_t mode)
{
	struct fuse_mkdir_in in = { };
	struct fim_req *req;

	in.mode = mode & ~current_umask();	/* as in fim_mknod() */
	in.umask = current_umask();
	req = fim_name_req(dir, FUSE_MKDIR, &in, sizeof(in), &dentry->d_name,
			   NULL, 0, sizeof(struct fuse_entry_out));
	if (IS_ERR(req))
		return PTR_ERR(req);
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
	return fim_make_entry(dir, dentry, req, S_IFLNK);
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
	error = fim_make_entry(dir, new_dentry, req, inode->i_mode & S_IFMT);
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
	else if (inode->i_nlink)
		drop_nlink(inode);
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
		if (!(flags & RENAME_EXCHANGE) && d_inode(newent)->i_nlink)
			drop_nlink(d_inode(newent));
	}
	fim_inode_expire_attr(olddir);
	fim_inode_expire_attr(newdir);
	return 0;
}

const struct inode_operations fim_dir_inode_ops = {
	.lookup		= fim_lookup,
	.create		= fim_create,
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
