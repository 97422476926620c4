// SPDX-License-Identifier: GPL-2.0
/*
 * Filesystem types, mount options, superblock setup, INIT and unmount.
 *
 * Two types, like fuse and fuseblk: "fuse_iomap" for servers without a
 * block device and "fuse_iomapblk" whose source is a block device the
 * kernel claims for the mount.  Both show the server's subtype in
 * /proc/mounts ("fuse_iomap.<subtype>").
 *
 * A mount binds the server channel named by fd= to a new connection and
 * queues INIT; the server starts answering after mount(2) returns (it is
 * usually the same process), so every other request waits until the INIT
 * reply was accepted.  Unmount sends DESTROY synchronously, so the server
 * has written back and closed its devices when umount(2) returns, then
 * aborts the connection.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/string.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>

#include "compat.h"
#include "fim.h"
#include "options.h"
#include "req.h"

/* Our own magic, so that nobody mistakes a fuse_iomap mount for fuse. */
#define FIM_SUPER_MAGIC		0x46494d21	/* "FIM!" */

/* Oldest protocol minor a server may answer INIT with (struct layouts). */
#define FIM_MIN_MINOR		12
/* Largest READ/WRITE payload per request, bytes. */
#define FIM_MAX_IO		(1U << 20)

/**
 * struct fim_fs_context - mount options being parsed
 * @opts: the options as given (options.c)
 * @user_id: @opts.user_id mapped in the mounter's user namespace
 * @group_id: @opts.group_id likewise
 */
struct fim_fs_context {
	struct fim_opts	opts;
	kuid_t		user_id;
	kgid_t		group_id;
};

static int fim_fs_parse_param(struct fs_context *fsc,
			      struct fs_parameter *param)
{
	struct fim_fs_context *ctx = fsc->fs_private;
	bool blkdev = fsc->fs_type->fs_flags & FS_REQUIRES_DEV;
	const char *value = NULL;
	const char *why;
	int error;

	if (param->type == fs_value_is_string)
		value = param->string;
	/* Unknown keys (-ENOPARAM) go back to the VFS: it takes "source". */
	error = fim_opts_parse(&ctx->opts, param->key, value, blkdev, &why);
	if (error == -EINVAL)
		return invalfc(fsc, "%s: %s", param->key, why);
	if (error)
		return error;

	if (!strcmp(param->key, "user_id")) {
		ctx->user_id = make_kuid(fsc->user_ns, ctx->opts.user_id);
		if (!uid_valid(ctx->user_id))
			return invalfc(fsc, "user_id %u is not mapped",
				       ctx->opts.user_id);
	} else if (!strcmp(param->key, "group_id")) {
		ctx->group_id = make_kgid(fsc->user_ns, ctx->opts.group_id);
		if (!gid_valid(ctx->group_id))
			return invalfc(fsc, "group_id %u is not mapped",
				       ctx->opts.group_id);
	}
	return 0;
}

static void fim_fs_free(struct fs_context *fsc)
{
	struct fim_fs_context *ctx = fsc->fs_private;

	if (ctx) {
		fim_opts_free(&ctx->opts);
		kfree(ctx);
	}
}

/* Turn a negotiated INIT reply into connection settings, or refuse it. */
static int fim_init_apply(struct fim_conn *fc, const struct fuse_init_out *out,
			  size_t len)
{
	u32 max_pages = 32;

	if (len < FUSE_COMPAT_22_INIT_OUT_SIZE) {
		pr_warn("server INIT reply too short (%zu bytes)\n", len);
		return -EPROTO;
	}
	if (out->major != FUSE_KERNEL_VERSION || out->minor < FIM_MIN_MINOR) {
		pr_warn("server speaks protocol %u.%u; %u.%u to %u.%u supported\n",
			out->major, out->minor, FUSE_KERNEL_VERSION,
			FIM_MIN_MINOR, FUSE_KERNEL_VERSION,
			FUSE_KERNEL_MINOR_VERSION);
		return -EPROTO;
	}
	fc->proto_minor = out->minor;
	fc->atomic_o_trunc = out->flags & FUSE_ATOMIC_O_TRUNC;
	/* READDIRPLUS_AUTO is honoured as always-plus; see fim_conn. */
	fc->readdirplus = out->flags & FUSE_DO_READDIRPLUS;
	fc->posix_locks = out->flags & FUSE_POSIX_LOCKS;
	fc->flock_locks = out->flags & FUSE_FLOCK_LOCKS;
	if ((out->flags & FUSE_MAX_PAGES) && out->max_pages)
		max_pages = min_t(u32, out->max_pages, FIM_MAX_IO >> PAGE_SHIFT);
	fc->max_write = clamp_t(u32, out->max_write, 4096,
				max_pages << PAGE_SHIFT);
	fc->max_read = min_t(u32, fc->max_read, max_pages << PAGE_SHIFT);
	fc->time_gran = 1;
	if (out->time_gran && out->time_gran <= NSEC_PER_SEC)
		fc->time_gran = out->time_gran;
	/* The iomap data path is not offered yet, so it cannot be accepted. */
	fc->iomap = false;
	return 0;
}

static void fim_init_end(struct fim_conn *fc, struct fim_req *req)
{
	int error = req->error;

	if (!error)
		error = fim_init_apply(fc, req->out, req->out_len);
	else
		pr_warn("server failed INIT: %d\n", error);
	if (error) {
		fim_conn_abort(fc);
		return;
	}
	/*
	 * Publish the settings above: a reader that sees @initialized set
	 * (fim_conn_initialized()) sees them too.
	 */
	spin_lock(&fc->lock);
	/* Pairs with smp_load_acquire() in fim_conn_initialized(). */
	smp_store_release(&fc->initialized, true);
	spin_unlock(&fc->lock);
	wake_up_all(&fc->blocked_waitq);
}

/* Queue INIT; the server answers it once it starts reading. */
static int fim_send_init(struct fim_conn *fc)
{
	struct fuse_init_in *in;
	struct fim_req *req;
	u64 flags;

	req = fim_req_alloc(fc, FUSE_INIT, 0, sizeof(*in),
			    sizeof(struct fuse_init_out));
	if (IS_ERR(req))
		return PTR_ERR(req);
	req->force = true;
	req->out_var = true;
	req->out_min = FUSE_COMPAT_22_INIT_OUT_SIZE;
	in = fim_req_args(req);
	in->major = FUSE_KERNEL_VERSION;
	in->minor = FUSE_KERNEL_MINOR_VERSION;
	in->max_readahead = 0;
	/*
	 * What this stage of the client implements: large writes, atomic
	 * O_TRUNC at open, the max_pages field, READDIRPLUS, POSIX and BSD
	 * locks held by the server; INIT_EXT announces flags2 (empty until
	 * the iomap path exists).
	 */
	flags = FUSE_BIG_WRITES | FUSE_ATOMIC_O_TRUNC | FUSE_MAX_PAGES |
		FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO |
		FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS | FUSE_INIT_EXT;
	in->flags = lower_32_bits(flags);
	in->flags2 = upper_32_bits(flags);
	return fim_req_send_bg(fc, req, fim_init_end);
}

static int fim_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct super_block *sb = dentry->d_sb;
	struct fim_mount *fm = FIM_SB(sb);
	struct fuse_statfs_out out;
	int error;

	error = fim_simple_request(fm->conn, FUSE_STATFS, fm->root_nodeid,
				   NULL, 0, &out, sizeof(out));
	if (error)
		return error;
	buf->f_type = FIM_SUPER_MAGIC;
	buf->f_bsize = out.st.bsize;
	buf->f_frsize = out.st.frsize;
	buf->f_blocks = out.st.blocks;
	buf->f_bfree = out.st.bfree;
	buf->f_bavail = out.st.bavail;
	buf->f_files = out.st.files;
	buf->f_ffree = out.st.ffree;
	buf->f_namelen = out.st.namelen;
	return 0;
}

static int fim_show_options(struct seq_file *m, struct dentry *root)
{
	struct super_block *sb = root->d_sb;
	struct fim_mount *fm = FIM_SB(sb);
	struct fim_conn *fc = fm->conn;

	seq_printf(m, ",user_id=%u",
		   from_kuid_munged(fc->user_ns, fm->user_id));
	seq_printf(m, ",group_id=%u",
		   from_kgid_munged(fc->user_ns, fm->group_id));
	if (fm->default_permissions)
		seq_puts(m, ",default_permissions");
	if (fm->allow_other)
		seq_puts(m, ",allow_other");
	if (fm->max_read)
		seq_printf(m, ",max_read=%u", fm->max_read);
	if (sb->s_bdev && sb->s_blocksize != FIM_DEFAULT_BLKSIZE)
		seq_printf(m, ",blksize=%lu", sb->s_blocksize);
	if (fm->root_nodeid != FUSE_ROOT_ID)
		seq_printf(m, ",root_nodeid=%llu", fm->root_nodeid);
	return 0;
}

/*
 * sync(2) and syncfs(2): ask the server to write everything back.  Only
 * servers of protocol 7.34 and later know SYNCFS.
 *
 * Not at unmount: generic_shutdown_super() syncs with s_umount held for
 * writing (and shrink_dcache_for_umount() has cleared s_root by then).  A
 * server that called sync(2) while handling that SYNCFS would wait for
 * s_umount, uninterruptibly, and unmount for the server: DESTROY asks the
 * server to write everything back instead, after s_umount is released.
 *
 * Not for the server's own sync(2) either: a server calling sync(2) while
 * it handles a request would wait for a SYNCFS only it can answer.
 */
static int fim_sync_fs(struct super_block *sb, int wait)
{
	struct fim_mount *fm = FIM_SB(sb);
	struct fim_conn *fc = fm->conn;
	struct fuse_syncfs_in in = { };
	int error;

	if (!wait || !sb->s_root || READ_ONCE(fc->no_syncfs) ||
	    !fim_conn_initialized(fc) || fc->proto_minor < 34 ||
	    task_tgid(current) == READ_ONCE(fc->server_tgid))
		return 0;
	error = fim_simple_request(fc, FUSE_SYNCFS, fm->root_nodeid, &in,
				   sizeof(in), NULL, 0);
	if (error == -ENOSYS) {
		WRITE_ONCE(fc->no_syncfs, true);
		error = 0;
	}
	/* A dead connection has nothing left to write back. */
	if (error == -ENOTCONN || error == -ECONNABORTED)
		error = 0;
	return error;
}

static const struct super_operations fim_super_ops = {
	.alloc_inode	= fim_alloc_inode,
	.free_inode	= fim_free_inode,
	.evict_inode	= fim_evict_inode,
	.statfs		= fim_statfs,
	.sync_fs	= fim_sync_fs,
	.show_options	= fim_show_options,
};

static int fim_fill_super(struct super_block *sb, struct fs_context *fsc)
{
	struct fim_fs_context *ctx = fsc->fs_private;
	struct fuse_attr root_attr = { };
	struct fim_conn *fc, *bound;
	struct inode *root;
	struct fim_mount *fm;
	struct file *file;
	int error;

	file = fget(ctx->opts.fd);
	if (!file)
		return invalfc(fsc, "fd %u is not open", ctx->opts.fd);
	/* The channel must come from the mounter's user namespace. */
	if (file->f_cred->user_ns != fsc->user_ns) {
		error = invalfc(fsc, "fd was opened in another user namespace");
		goto out_fput;
	}

	error = -ENOMEM;
	fm = kzalloc(sizeof(*fm), GFP_KERNEL);
	if (!fm)
		goto out_fput;
	fc = fim_conn_alloc(fsc->user_ns);
	if (!fc)
		goto out_free_fm;
	if (ctx->opts.max_read)
		fc->max_read = max_t(u32, ctx->opts.max_read, 4096);
	fm->max_read = ctx->opts.max_read;
	fm->conn = fc;
	fm->root_nodeid = ctx->opts.root_nodeid;
	fm->rootmode = ctx->opts.rootmode;
	fm->user_id = ctx->user_id;
	fm->group_id = ctx->group_id;
	fm->default_permissions = ctx->opts.default_permissions;
	fm->allow_other = ctx->opts.allow_other;
	sb->s_fs_info = fm;

	bound = fim_dev_bind(file, fc);
	if (IS_ERR(bound)) {
		error = PTR_ERR(bound);
		/* mount(2) callers get no fs_context log: say it in dmesg. */
		pr_warn_ratelimited("mount: fd %u is not an unused /dev/%s channel\n",
				    ctx->opts.fd, FUSE_IOMAP_MISC_NAME);
		errorfc(fsc, "fd %u is not an unused /dev/%s channel", ctx->opts.fd,
			FUSE_IOMAP_MISC_NAME);
		goto out_put_conn;
	}

	sb->s_magic = FIM_SUPER_MAGIC;
	sb->s_op = &fim_super_ops;
	fim_compat_set_default_d_op(sb, &fim_dentry_ops);
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_xattr = fim_xattr_handlers;
	/* ACLs are the server's to enforce; never apply the umask for it. */
	sb->s_flags |= SB_POSIXACL;
	sb->s_time_gran = 1;
	sb->s_iflags |= SB_I_IMA_UNVERIFIABLE_SIGNATURE;
	if (sb->s_bdev) {
		error = -EINVAL;
		if (!sb_set_blocksize(sb, ctx->opts.blksize))
			goto out_abort;
	} else {
		sb->s_blocksize = PAGE_SIZE;
		sb->s_blocksize_bits = PAGE_SHIFT;
	}
	if (ctx->opts.subtype) {
		sb->s_subtype = ctx->opts.subtype;
		ctx->opts.subtype = NULL;
	}

	root_attr.ino = ctx->opts.root_nodeid;
	root_attr.mode = ctx->opts.rootmode;
	root_attr.nlink = 2;
	root = fim_iget(sb, ctx->opts.root_nodeid, &root_attr, 0, 0, 0);
	if (IS_ERR(root)) {
		error = PTR_ERR(root);
		goto out_abort;
	}
	sb->s_root = d_make_root(root);
	error = -ENOMEM;
	if (!sb->s_root)
		goto out_abort;

	error = fim_send_init(fc);
	if (error)
		goto out_abort;
	/* From now on notifications may act on the superblock. */
	down_write(&fc->killsb);
	fc->sb = sb;
	up_write(&fc->killsb);
	fim_debugfs_add(sb);
	fput(file);
	return 0;

	/*
	 * generic_shutdown_super() (through fim_kill_sb) releases whatever
	 * part of the superblock was set up; the connection goes there too.
	 */
out_abort:
	fim_conn_abort(fc);
	fput(file);
	return error;
out_put_conn:
	fim_conn_put(fc);
	sb->s_fs_info = NULL;
out_free_fm:
	kfree(fm);
out_fput:
	fput(file);
	return error;
}

static int fim_fs_get_tree(struct fs_context *fsc)
{
	struct fim_fs_context *ctx = fsc->fs_private;
	const char *why;

	if (fim_opts_check(&ctx->opts, &why))
		return invalfc(fsc, "%s", why);
	if (fsc->fs_type->fs_flags & FS_REQUIRES_DEV) {
		if (!fsc->source)
			return invalfc(fsc, "a block device source is required");
		return get_tree_bdev(fsc, fim_fill_super);
	}
	return get_tree_nodev(fsc, fim_fill_super);
}

static const struct fs_context_operations fim_context_ops = {
	.free		= fim_fs_free,
	.parse_param	= fim_fs_parse_param,
	.get_tree	= fim_fs_get_tree,
};

static int fim_init_fs_context(struct fs_context *fsc)
{
	struct fim_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	fim_opts_init(&ctx->opts);
	fsc->fs_private = ctx;
	fsc->ops = &fim_context_ops;
	return 0;
}

/*
 * Tell the server the filesystem is going away and wait for its answer,
 * so that it has written everything back when umount(2) returns.  Only
 * for a live, initialized connection; a dead server answers nothing.  The
 * wait is bounded (unmount_timeout): unmount may run in a kworker that no
 * signal reaches.
 */
static void fim_send_destroy(struct fim_mount *fm)
{
	struct fim_conn *fc = fm->conn;
	struct fim_req *req;

	if (!fim_conn_initialized(fc) || !READ_ONCE(fc->connected))
		return;
	req = fim_req_alloc(fc, FUSE_DESTROY, 0, 0, 0);
	if (IS_ERR(req))
		return;
	req->force = true;
	fim_req_send_bounded(fc, req,
			     (unsigned long)READ_ONCE(fim_unmount_timeout_secs) * HZ);
	fim_req_put(req);
	fm->destroy_sent = true;
}

static void fim_kill_sb(struct super_block *sb)
{
	struct fim_mount *fm = FIM_SB(sb);

	if (fm) {
		fim_debugfs_remove(sb);
		/* RELEASEs in flight hold inodes that must be evicted now. */
		fim_file_wait_releases(fm->conn);
		/* Wait for notifications working on @sb; no new ones start. */
		down_write(&fm->conn->killsb);
		fm->conn->sb = NULL;
		up_write(&fm->conn->killsb);
	}
	/* Evicting the inodes queues their FORGETs before DESTROY. */
	if (sb->s_bdev)
		kill_block_super(sb);
	else
		kill_anon_super(sb);
	if (!fm)
		return;
	fim_send_destroy(fm);
	fim_conn_abort(fm->conn);
	fim_conn_put(fm->conn);
	kfree(fm);
}

static struct file_system_type fim_fs_type = {
	.owner			= THIS_MODULE,
	.name			= FUSE_IOMAP_FS_NAME,
	.fs_flags		= FS_HAS_SUBTYPE,
	.init_fs_context	= fim_init_fs_context,
	.kill_sb		= fim_kill_sb,
};
MODULE_ALIAS_FS(FUSE_IOMAP_FS_NAME);

static struct file_system_type fim_blk_fs_type = {
	.owner			= THIS_MODULE,
	.name			= FUSE_IOMAP_BLKFS_NAME,
	.fs_flags		= FS_REQUIRES_DEV | FS_HAS_SUBTYPE,
	.init_fs_context	= fim_init_fs_context,
	.kill_sb		= fim_kill_sb,
};
MODULE_ALIAS_FS(FUSE_IOMAP_BLKFS_NAME);

/**
 * fim_super_init() - register the fuse_iomap and fuse_iomapblk types
 *
 * Return: 0 or a negative errno from register_filesystem().
 */
int fim_super_init(void)
{
	int error;

	error = register_filesystem(&fim_fs_type);
	if (error)
		return error;

	error = register_filesystem(&fim_blk_fs_type);
	if (error)
		goto out_unregister_fs;
	return 0;

out_unregister_fs:
	unregister_filesystem(&fim_fs_type);
	return error;
}

/**
 * fim_super_exit() - unregister both filesystem types
 */
void fim_super_exit(void)
{
	unregister_filesystem(&fim_blk_fs_type);
	unregister_filesystem(&fim_fs_type);
}
