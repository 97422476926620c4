/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One interface over the kernel APIs that differ between the kernels we
 * build for (6.12 up to the CI ceiling).
 *
 * compat_autoconf.h, generated from module/compat/probes/ by
 * gen-compat.sh, says which API the target kernel has.  Only this header
 * looks at its HAVE_* macros; the rest of the module calls the fim_compat_*
 * wrappers below, which take the newest kernel's arguments and drop or
 * translate what an older kernel cannot take.
 */
#ifndef FIM_COMPAT_H
#define FIM_COMPAT_H

#include <linux/bio.h>
#include <linux/dcache.h>
#include <linux/iomap.h>
#include <linux/module.h>
#include <linux/posix_acl_xattr.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "compat_autoconf.h"

/*
 * Inode state
 * -----------
 */

/**
 * fim_compat_inode_is_new() - is @inode still being set up (I_NEW)?
 * @inode: an inode returned by iget5_locked()
 *
 * inode->i_state is a struct read through inode_state_read_once() in newer
 * kernels and a plain unsigned long before.
 *
 * Return: true if the caller must fill in @inode and unlock_new_inode() it.
 */
static inline bool fim_compat_inode_is_new(struct inode *inode)
{
#ifdef HAVE_INODE_STATE_READ
	return inode_state_read_once(inode) & I_NEW;
#else
	return inode->i_state & I_NEW;
#endif
}

/**
 * FIM_COMPAT_DEFINE_MKDIR() - define inode_operations.mkdir @name
 * @name: the function to define, for the ops table
 * @impl: struct dentry *(*)(struct mnt_idmap *, struct inode *,
 *	struct dentry *, umode_t) doing the work; returns NULL if it
 *	instantiated the dentry it was given, the directory's existing alias
 *	(referenced) if d_splice_alias() found one, or an ERR_PTR
 *
 * Since v6.15 ->mkdir returns that dentry and the VFS uses it; before, an
 * int, and the alias is only dropped (the new name stays negative and is
 * looked up when next used).
 */
#ifdef HAVE_MKDIR_RETURNS_DENTRY
#define FIM_COMPAT_DEFINE_MKDIR(name, impl)				\
static struct dentry *name(struct mnt_idmap *idmap, struct inode *dir,	\
			   struct dentry *dentry, umode_t mode)		\
{									\
	return impl(idmap, dir, dentry, mode);				\
}
#else
#define FIM_COMPAT_DEFINE_MKDIR(name, impl)				\
static int name(struct mnt_idmap *idmap, struct inode *dir,		\
		struct dentry *dentry, umode_t mode)			\
{									\
	struct dentry *alias = impl(idmap, dir, dentry, mode);		\
									\
	if (IS_ERR(alias))						\
		return PTR_ERR(alias);					\
	dput(alias);							\
	return 0;							\
}
#endif

/*
 * Dentry operations
 * -----------------
 */

/**
 * FIM_COMPAT_DEFINE_D_REVALIDATE() - define dentry_operations.d_revalidate
 * @fn: the function to define, for the ops table
 * @impl: int (*)(struct inode *dir, const struct qstr *name,
 *	struct dentry *, unsigned int flags), returning 1 if the dentry is
 *	still valid, 0 if not, or a negative errno; in RCU walk (LOOKUP_RCU)
 *	@dir and @name may be NULL, and it must return -ECHILD when it would
 *	need them or need to sleep
 *
 * Since v6.14 ->d_revalidate gets the parent and a name that stays stable
 * for the call, even against a concurrent rename.  Before, the name is
 * the dentry's own, which a rename may change (and free) at any time: the
 * shim hands @impl a snapshot of it (take_dentry_name_snapshot()) and the
 * parent, referenced, outside RCU walk.
 */
#ifdef HAVE_D_REVALIDATE_DIR_NAME
#define FIM_COMPAT_DEFINE_D_REVALIDATE(fn, impl)			\
static int fn(struct inode *dir, const struct qstr *qname,		\
		struct dentry *dentry, unsigned int flags)		\
{									\
	return impl(dir, qname, dentry, flags);				\
}
#else
#define FIM_COMPAT_DEFINE_D_REVALIDATE(fn, impl)			\
static int fn(struct dentry *dentry, unsigned int flags)		\
{									\
	struct dentry *parent = NULL;					\
	struct name_snapshot snap;					\
	int ret;							\
									\
	if (!(flags & LOOKUP_RCU)) {					\
		parent = dget_parent(dentry);				\
		take_dentry_name_snapshot(&snap, dentry);		\
	}								\
	ret = impl(parent ? d_inode(parent) : NULL,			\
		   parent ? &snap.name : NULL, dentry, flags);		\
	if (parent) {							\
		release_dentry_name_snapshot(&snap);			\
		dput(parent);						\
	}								\
	return ret;							\
}
#endif

/**
 * fim_compat_set_default_d_op() - dentry operations for every new dentry
 * @sb: the superblock being set up
 * @ops: the operations
 *
 * super_block.s_d_op gave way to set_default_d_op().
 */
static inline void fim_compat_set_default_d_op(struct super_block *sb,
					       const struct dentry_operations *ops)
{
#ifdef HAVE_SET_DEFAULT_D_OP
	set_default_d_op(sb, ops);
#else
	sb->s_d_op = ops;
#endif
}

/**
 * fim_compat_d_alloc_parallel() - find or make an in-lookup dentry
 * @parent: the directory's dentry
 * @name: the name, hashed
 * @wq: wait queue for other lookups of the name; must live until
 *	d_lookup_done(); unused where the dcache provides its own
 *
 * The wait queue argument went away in v7.1.
 *
 * Return: as d_alloc_parallel().
 */
static inline struct dentry *
fim_compat_d_alloc_parallel(struct dentry *parent, const struct qstr *name,
			    wait_queue_head_t *wq)
{
#ifdef HAVE_D_ALLOC_PARALLEL_NO_WQ
	return d_alloc_parallel(parent, name);
#else
	return d_alloc_parallel(parent, name, wq);
#endif
}

/*
 * POSIX ACLs
 * ----------
 */

/**
 * fim_compat_posix_acl_to_xattr() - encode an ACL as its xattr value
 * @ns: user namespace the ids are mapped into
 * @acl: the ACL
 * @size: set to the value's size, bytes
 *
 * Newer kernels allocate the value in posix_acl_to_xattr(); older ones
 * fill a buffer the caller sized with posix_acl_xattr_size().
 *
 * Return: a kmalloc'd value the caller kfree()s, or an ERR_PTR.
 */
static inline void *fim_compat_posix_acl_to_xattr(struct user_namespace *ns,
						  const struct posix_acl *acl,
						  size_t *size)
{
#ifdef HAVE_POSIX_ACL_TO_XATTR_ALLOC
	void *value = posix_acl_to_xattr(ns, acl, size, GFP_KERNEL);

	return value ? value : ERR_PTR(-ENOMEM);
#else
	size_t len = posix_acl_xattr_size(acl->a_count);
	void *value = kmalloc(len, GFP_KERNEL);
	int ret;

	if (!value)
		return ERR_PTR(-ENOMEM);
	ret = posix_acl_to_xattr(ns, acl, value, len);
	if (ret < 0) {
		kfree(value);
		return ERR_PTR(ret);
	}
	*size = ret;
	return value;
#endif
}

/*
 * Module namespaces
 * -----------------
 */

/**
 * FIM_COMPAT_IMPORT_KUNIT_NS() - import the namespace of symbols exported
 *	with EXPORT_SYMBOL_IF_KUNIT()
 *
 * For the KUnit test module.  MODULE_IMPORT_NS() took a bare identifier
 * before v6.13 and takes a string literal since.
 */
#ifdef HAVE_MODULE_IMPORT_NS_STRING
#define FIM_COMPAT_IMPORT_KUNIT_NS() \
	MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define FIM_COMPAT_IMPORT_KUNIT_NS() \
	MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

/*
 * Buffered write hooks
 * --------------------
 * Since v6.17 the per-folio write hooks (get_folio, put_folio, iomap_valid)
 * are a struct iomap_write_ops passed to each buffered write call; before,
 * the same hooks were a struct iomap_folio_ops hung off every mapping that
 * ->iomap_begin returned.  Define the hooks once as
 *
 *	static const struct fim_compat_write_ops fim_write_ops = { ... };
 *
 * using only those three members, attach them in ->iomap_begin with
 * fim_compat_iomap_set_write_ops() and pass them to the fim_compat_*
 * buffered calls below; each kernel then sees them where it looks.
 */
#ifdef HAVE_IOMAP_WRITE_OPS
#define fim_compat_write_ops	iomap_write_ops
#else
#define fim_compat_write_ops	iomap_folio_ops
#endif

/**
 * fim_compat_iomap_set_write_ops() - attach buffered write hooks to a mapping
 * @iomap: mapping being returned from ->iomap_begin
 * @wops: the hooks, or NULL
 *
 * Call for every mapping a buffered write, zeroing or unshare may use.  A
 * no-op on kernels that take the hooks per call instead.
 */
static inline void
fim_compat_iomap_set_write_ops(struct iomap *iomap,
			       const struct fim_compat_write_ops *wops)
{
#ifndef HAVE_IOMAP_WRITE_OPS
	iomap->folio_ops = wops;
#endif
}

/**
 * fim_compat_file_buffered_write() - iomap_file_buffered_write()
 * @iocb: the write
 * @from: data to write
 * @ops: mapping operations
 * @wops: buffered write hooks, or NULL
 * @private: stored in iomap_iter.private for the hooks
 *
 * Return: bytes written, or a negative errno.
 */
static inline ssize_t
fim_compat_file_buffered_write(struct kiocb *iocb, struct iov_iter *from,
			       const struct iomap_ops *ops,
			       const struct fim_compat_write_ops *wops,
			       void *private)
{
#ifdef HAVE_IOMAP_WRITE_OPS
	return iomap_file_buffered_write(iocb, from, ops, wops, private);
#else
	return iomap_file_buffered_write(iocb, from, ops, private);
#endif
}

/**
 * fim_compat_zero_range() - iomap_zero_range()
 * @inode: file to zero
 * @pos: start, bytes
 * @len: length, bytes
 * @did_zero: set to true if any byte was zeroed; may be NULL
 * @ops: mapping operations
 * @wops: buffered write hooks, or NULL
 *
 * Return: 0 or a negative errno.
 */
static inline int
fim_compat_zero_range(struct inode *inode, loff_t pos, loff_t len,
		      bool *did_zero, const struct iomap_ops *ops,
		      const struct fim_compat_write_ops *wops)
{
#if defined(HAVE_IOMAP_WRITE_OPS)
	return iomap_zero_range(inode, pos, len, did_zero, ops, wops, NULL);
#elif defined(HAVE_IOMAP_ZERO_RANGE_PRIVATE)
	return iomap_zero_range(inode, pos, len, did_zero, ops, NULL);
#else
	return iomap_zero_range(inode, pos, len, did_zero, ops);
#endif
}

/**
 * fim_compat_truncate_page() - iomap_truncate_page()
 * @inode: file being truncated
 * @pos: new size, bytes; the rest of its block is zeroed
 * @did_zero: set to true if any byte was zeroed; may be NULL
 * @ops: mapping operations
 * @wops: buffered write hooks, or NULL
 *
 * Return: 0 or a negative errno.
 */
static inline int
fim_compat_truncate_page(struct inode *inode, loff_t pos, bool *did_zero,
			 const struct iomap_ops *ops,
			 const struct fim_compat_write_ops *wops)
{
#if defined(HAVE_IOMAP_WRITE_OPS)
	return iomap_truncate_page(inode, pos, did_zero, ops, wops, NULL);
#elif defined(HAVE_IOMAP_ZERO_RANGE_PRIVATE)
	return iomap_truncate_page(inode, pos, did_zero, ops, NULL);
#else
	return iomap_truncate_page(inode, pos, did_zero, ops);
#endif
}

/**
 * fim_compat_file_unshare() - iomap_file_unshare()
 * @inode: file to unshare
 * @pos: start, bytes
 * @len: length, bytes
 * @ops: mapping operations
 * @wops: buffered write hooks, or NULL
 *
 * Return: 0 or a negative errno.
 */
static inline int
fim_compat_file_unshare(struct inode *inode, loff_t pos, loff_t len,
			const struct iomap_ops *ops,
			const struct fim_compat_write_ops *wops)
{
#ifdef HAVE_IOMAP_WRITE_OPS
	return iomap_file_unshare(inode, pos, len, ops, wops);
#else
	return iomap_file_unshare(inode, pos, len, ops);
#endif
}

/**
 * fim_compat_page_mkwrite() - iomap_page_mkwrite()
 * @vmf: the write fault
 * @ops: mapping operations
 *
 * Return: VM_FAULT_* status.
 */
static inline vm_fault_t
fim_compat_page_mkwrite(struct vm_fault *vmf, const struct iomap_ops *ops)
{
#ifdef HAVE_IOMAP_ZERO_RANGE_PRIVATE
	return iomap_page_mkwrite(vmf, ops, NULL);
#else
	return iomap_page_mkwrite(vmf, ops);
#endif
}

/*
 * Buffered reads
 * --------------
 * Since v6.19 the read path takes a context naming its I/O backend and
 * block filesystems use the iomap_bio_* helpers; before, bios were the
 * only backend.
 */

/**
 * fim_compat_read_folio() - read one folio through iomap, with bios
 * @folio: locked folio to fill
 * @ops: mapping operations
 *
 * For ->read_folio.  The folio is unlocked when the read completes.
 *
 * Return: 0 (errors are recorded in the folio).
 */
static inline int fim_compat_read_folio(struct folio *folio,
					const struct iomap_ops *ops)
{
#ifdef HAVE_IOMAP_BIO_READ_FOLIO
	iomap_bio_read_folio(folio, ops);
	return 0;
#else
	return iomap_read_folio(folio, ops);
#endif
}

/**
 * fim_compat_readahead() - read ahead through iomap, with bios
 * @rac: readahead request
 * @ops: mapping operations
 *
 * For ->readahead.
 */
static inline void fim_compat_readahead(struct readahead_control *rac,
					const struct iomap_ops *ops)
{
#ifdef HAVE_IOMAP_BIO_READ_FOLIO
	iomap_bio_readahead(rac, ops);
#else
	iomap_readahead(rac, ops);
#endif
}

/*
 * Writeback
 * ---------
 * The writeback ops changed twice since v6.12:
 *
 * - v6.12: ->map_blocks makes wpc->iomap cover a range, the core builds
 *   and submits the ioends, and the optional ->prepare_ioend(ioend, error)
 *   may hook bio completion first.
 * - v6.13: ->submit_ioend(wpc, error) replaces ->prepare_ioend and must
 *   submit the bio itself.
 * - v6.17: ->writeback_range maps a range and adds it to an ioend itself
 *   (iomap_add_to_ioend()), ->writeback_submit is mandatory, and
 *   iomap_writepages() finds the inode and writeback_control in the
 *   context.
 *
 * The common ground is the oldest split, so the module supplies:
 *
 *	int map_fn(struct iomap_writepage_ctx *wpc, struct inode *inode,
 *		   loff_t pos, unsigned int len);
 *		Make wpc->iomap cover @pos (reusing it while still valid).
 *		Returns 0 or a negative errno.
 *
 *	void prep_fn(struct iomap_ioend *ioend, int error);
 *		Called once for each ioend before it is submitted, or failed
 *		with @error; may set ioend->io_bio.bi_end_io to take over
 *		completion.  Must not submit the bio.
 *
 * and FIM_COMPAT_DEFINE_WRITEBACK_OPS() builds the ops table each kernel
 * wants around them.
 */

/**
 * FIM_COMPAT_DEFINE_WRITEBACK_OPS() - define a struct iomap_writeback_ops
 * @name: name of the static const ops table to define
 * @map_fn: mapping function, see the Writeback comment in compat.h
 * @prep_fn: ioend preparation function, see the same comment
 */
#if defined(HAVE_IOMAP_WRITEBACK_RANGE)
#define FIM_COMPAT_DEFINE_WRITEBACK_OPS(name, map_fn, prep_fn)		\
static ssize_t name##_range(struct iomap_writepage_ctx *wpc,		\
			    struct folio *folio, u64 pos,		\
			    unsigned int len, u64 end_pos)		\
{									\
	int error = map_fn(wpc, wpc->inode, pos, len);			\
									\
	if (error)							\
		return error;						\
	return iomap_add_to_ioend(wpc, folio, pos, end_pos, len);	\
}									\
static int name##_submit(struct iomap_writepage_ctx *wpc, int error)	\
{									\
	prep_fn(wpc->wb_ctx, error);					\
	return iomap_ioend_writeback_submit(wpc, error);		\
}									\
static const struct iomap_writeback_ops name = {			\
	.writeback_range	= name##_range,				\
	.writeback_submit	= name##_submit,			\
}
#elif defined(HAVE_IOMAP_SUBMIT_IOEND)
#define FIM_COMPAT_DEFINE_WRITEBACK_OPS(name, map_fn, prep_fn)		\
static int name##_submit(struct iomap_writepage_ctx *wpc, int error)	\
{									\
	prep_fn(wpc->ioend, error);					\
	/* On error the core fails the ioend through its end_io. */	\
	if (!error)							\
		submit_bio(&wpc->ioend->io_bio);			\
	return error;							\
}									\
static const struct iomap_writeback_ops name = {			\
	.map_blocks		= map_fn,				\
	.submit_ioend		= name##_submit,			\
}
#else
#define FIM_COMPAT_DEFINE_WRITEBACK_OPS(name, map_fn, prep_fn)		\
static int name##_prepare(struct iomap_ioend *ioend, int error)		\
{									\
	prep_fn(ioend, error);						\
	return error;							\
}									\
static const struct iomap_writeback_ops name = {			\
	.map_blocks		= map_fn,				\
	.prepare_ioend		= name##_prepare,			\
}
#endif

/**
 * fim_compat_writepages() - iomap_writepages()
 * @wpc: zeroed writeback context, owned by the caller
 * @mapping: mapping to write back
 * @wbc: writeback control from ->writepages
 * @ops: table from FIM_COMPAT_DEFINE_WRITEBACK_OPS()
 *
 * For ->writepages.
 *
 * Return: 0 or a negative errno.
 */
static inline int fim_compat_writepages(struct iomap_writepage_ctx *wpc,
					struct address_space *mapping,
					struct writeback_control *wbc,
					const struct iomap_writeback_ops *ops)
{
#ifdef HAVE_IOMAP_WRITEBACK_RANGE
	wpc->inode = mapping->host;
	wpc->wbc = wbc;
	wpc->ops = ops;
	return iomap_writepages(wpc);
#else
	return iomap_writepages(mapping, wbc, wpc, ops);
#endif
}

#endif /* FIM_COMPAT_H */
