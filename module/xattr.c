// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes and POSIX ACLs.
 *
 * Every xattr name goes to the server unchanged (one handler with the
 * empty prefix).  POSIX ACLs no longer travel through xattr handlers in
 * the VFS; ->get_acl/->set_acl turn them into the system.posix_acl_*
 * xattrs the server stores, so a server keeps one representation.  The
 * server enforces them (the kernel would only with FUSE_POSIX_ACL, not
 * offered yet).
 *
 * Replies are checked: a size reply must fit what was asked for, a value
 * larger than the caller's buffer fails with -ERANGE, and a name list
 * must be a sequence of NUL-terminated non-empty names.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/slab.h>
#include <linux/xattr.h>

#include "compat.h"
#include "fim.h"
#include "req.h"

/*
 * GETXATTR or LISTXATTR: with @size 0 the server answers with the size
 * needed (fuse_getxattr_out), else with the value itself, at most @size.
 */
static ssize_t fim_xattr_get_or_list(struct inode *inode, u32 opcode,
				     const char *name, void *value,
				     size_t size)
{
	struct fim_conn *fc = fim_conn_of(inode);
	size_t name_len = name ? strlen(name) + 1 : 0;
	struct fuse_getxattr_in *in;
	struct fim_req *req;
	ssize_t ret;

	if (name_len > XATTR_NAME_MAX + 1)
		return -ERANGE;
	size = min_t(size_t, size, XATTR_SIZE_MAX);
	req = fim_req_alloc(fc, opcode, FIM_I(inode)->nodeid,
			    sizeof(*in) + name_len,
			    size ? size : sizeof(struct fuse_getxattr_out));
	if (IS_ERR(req))
		return PTR_ERR(req);
	if (size) {
		req->out_var = true;
		req->out_min = 0;
	}
	in = fim_req_args(req);
	in->size = size;
	if (name)
		memcpy(in + 1, name, name_len);
	ret = fim_req_send(fc, req);
	if (ret == -ENOSYS)
		ret = -EOPNOTSUPP;
	if (!ret && !size) {
		struct fuse_getxattr_out *out = req->out;

		ret = min_t(u32, out->size, XATTR_SIZE_MAX);
	} else if (!ret) {
		memcpy(value, req->out, req->out_len);
		ret = req->out_len;
	}
	fim_req_put(req);
	return ret;
}

static int fim_xattr_set(struct inode *inode, const char *name,
			 const void *value, size_t size, int flags)
{
	struct fim_conn *fc = fim_conn_of(inode);
	size_t name_len = strlen(name) + 1;
	struct fuse_setxattr_in *in;
	struct fim_req *req;
	u32 opcode;
	int error;

	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	opcode = value ? FUSE_SETXATTR : FUSE_REMOVEXATTR;
	/*
	 * Without FUSE_SETXATTR_EXT (not negotiated) SETXATTR carries the
	 * 8-byte form of the header.
	 */
	req = fim_req_alloc(fc, opcode, FIM_I(inode)->nodeid,
			    (value ? FUSE_COMPAT_SETXATTR_IN_SIZE : 0) +
			    name_len + (value ? size : 0), 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	if (value) {
		in = fim_req_args(req);
		in->size = size;
		in->flags = flags;
		memcpy((char *)in + FUSE_COMPAT_SETXATTR_IN_SIZE, name, name_len);
		memcpy((char *)in + FUSE_COMPAT_SETXATTR_IN_SIZE + name_len,
		       value, size);
	} else {
		memcpy(fim_req_args(req), name, name_len);
	}
	error = fim_req_send(fc, req);
	fim_req_put(req);
	if (error == -ENOSYS)
		error = -EOPNOTSUPP;
	/* ctime (and for ACLs the mode) changed on the server. */
	if (!error)
		fim_inode_expire_attr(inode);
	return error;
}

static int fim_xattr_handler_get(const struct xattr_handler *handler,
				 struct dentry *dentry, struct inode *inode,
				 const char *name, void *value, size_t size)
{
	if (test_bit(FIM_I_BAD, &FIM_I(inode)->state))
		return -EIO;
	return fim_xattr_get_or_list(inode, FUSE_GETXATTR, name, value, size);
}

static int fim_xattr_handler_set(const struct xattr_handler *handler,
				 struct mnt_idmap *idmap,
				 struct dentry *dentry, struct inode *inode,
				 const char *name, const void *value,
				 size_t size, int flags)
{
	if (test_bit(FIM_I_BAD, &FIM_I(inode)->state))
		return -EIO;
	return fim_xattr_set(inode, name, value, size, flags);
}

/**
 * fim_listxattr() - inode_operations.listxattr
 * @dentry: the file
 * @list: buffer for the NUL-separated names, or NULL to ask for the size
 * @size: bytes of @list
 *
 * Return: bytes of names (or needed), -ERANGE, or another negative errno;
 * -EIO if the server's list is not a sequence of NUL-terminated names.
 */
ssize_t fim_listxattr(struct dentry *dentry, char *list, size_t size)
{
	struct inode *inode = d_inode(dentry);
	ssize_t ret, i;

	if (test_bit(FIM_I_BAD, &FIM_I(inode)->state))
		return -EIO;
	ret = fim_xattr_get_or_list(inode, FUSE_LISTXATTR, NULL, list, size);
	if (ret <= 0 || !size)
		return ret;
	for (i = 0; i < ret; i++) {
		/* Each name is non-empty and NUL-terminated. */
		if (!list[i] || !memchr(list + i, '\0', ret - i))
			goto bad;
		i += strlen(list + i);
	}
	return ret;
bad:
	pr_warn_ratelimited("malformed LISTXATTR reply\n");
	return -EIO;
}

/**
 * fim_get_inode_acl() - inode_operations.get_inode_acl
 * @inode: the inode
 * @type: ACL_TYPE_ACCESS or ACL_TYPE_DEFAULT
 * @rcu: called in RCU walk
 *
 * The kernel enforces ACLs (with default_permissions) only for servers
 * that negotiate FUSE_POSIX_ACL, which this client does not offer yet;
 * until then the server enforces them, as with stock fuse, and permission
 * checks do not ask the server for ACLs on every access.  No ACL is ever
 * cached in the inode (ACL_DONT_CACHE): one read by getfacl(1) or set by
 * setfacl(1) would otherwise be enforced by generic_permission() until
 * the inode is evicted, whatever the server changed meanwhile.
 *
 * Return: NULL.
 */
struct posix_acl *fim_get_inode_acl(struct inode *inode, int type, bool rcu)
{
	return NULL;
}

#ifdef CONFIG_FS_POSIX_ACL
/*
 * Read an ACL from the server's system.posix_acl_* xattr.
 */
static struct posix_acl *fim_read_acl(struct inode *inode, int type)
{
	const char *name = type == ACL_TYPE_ACCESS ? XATTR_NAME_POSIX_ACL_ACCESS :
						     XATTR_NAME_POSIX_ACL_DEFAULT;
	struct posix_acl *acl;
	ssize_t size;
	void *value;

	value = kmalloc(XATTR_SIZE_MAX, GFP_KERNEL);
	if (!value)
		return ERR_PTR(-ENOMEM);
	size = fim_xattr_get_or_list(inode, FUSE_GETXATTR, name, value,
				     XATTR_SIZE_MAX);
	if (size == -ENODATA || size == -EOPNOTSUPP || !size)
		acl = NULL;
	else if (size < 0)
		acl = ERR_PTR(size);
	else
		acl = posix_acl_from_xattr(fim_conn_of(inode)->user_ns, value,
					   size);
	kfree(value);
	return acl;
}

/**
 * fim_get_acl() - inode_operations.get_acl
 * @idmap: idmap of the mount
 * @dentry: the file
 * @type: ACL_TYPE_ACCESS or ACL_TYPE_DEFAULT
 *
 * Return: the ACL, NULL if there is none, or an ERR_PTR.
 */
struct posix_acl *fim_get_acl(struct mnt_idmap *idmap, struct dentry *dentry,
			      int type)
{
	return fim_read_acl(d_inode(dentry), type);
}

/**
 * fim_set_acl() - inode_operations.set_acl
 * @idmap: idmap of the mount
 * @dentry: the file
 * @acl: the new ACL, or NULL to remove it
 * @type: ACL_TYPE_ACCESS or ACL_TYPE_DEFAULT
 *
 * The server stores the ACL as its system.posix_acl_* xattr and keeps the
 * mode in step; the cached attributes are expired.
 *
 * Return: 0 or a negative errno.
 */
int fim_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		struct posix_acl *acl, int type)
{
	struct inode *inode = d_inode(dentry);
	const char *name = type == ACL_TYPE_ACCESS ? XATTR_NAME_POSIX_ACL_ACCESS :
						     XATTR_NAME_POSIX_ACL_DEFAULT;
	size_t size;
	void *value;
	int error;

	if (type == ACL_TYPE_DEFAULT && !S_ISDIR(inode->i_mode))
		return acl ? -EACCES : 0;
	if (!acl) {
		error = fim_xattr_set(inode, name, NULL, 0, 0);
		if (error == -ENODATA)
			error = 0;
		goto out;
	}
	value = fim_compat_posix_acl_to_xattr(fim_conn_of(inode)->user_ns,
					      acl, &size);
	if (IS_ERR(value))
		return PTR_ERR(value);
	error = fim_xattr_set(inode, name, value, size, 0);
	kfree(value);
out:
	/*
	 * Not cached: the inode's ACLs are ACL_DONT_CACHE (inode.c), since
	 * nothing would tell the kernel when the server's change.
	 */
	return error;
}

#else /* !CONFIG_FS_POSIX_ACL */

/* Kernels without POSIX ACLs (the KUnit UML kernel) get no ACL support. */
struct posix_acl *fim_get_acl(struct mnt_idmap *idmap, struct dentry *dentry,
			      int type)
{
	return ERR_PTR(-EOPNOTSUPP);
}

int fim_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		struct posix_acl *acl, int type)
{
	return -EOPNOTSUPP;
}
#endif /* CONFIG_FS_POSIX_ACL */

static const struct xattr_handler fim_xattr_handler = {
	.prefix	= "",
	.get	= fim_xattr_handler_get,
	.set	= fim_xattr_handler_set,
};

const struct xattr_handler * const fim_xattr_handlers[] = {
	&fim_xattr_handler,
	NULL
};
