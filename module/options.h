/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mount options of fuse_iomap and fuse_iomapblk, parsed without any VFS
 * state so that the KUnit suite fim_options can pin every rule down.
 */
#ifndef FIM_OPTIONS_H
#define FIM_OPTIONS_H

#include <linux/kconfig.h>
#include <linux/types.h>

/* fuse_iomapblk block size unless blksize= says otherwise, bytes. */
#define FIM_DEFAULT_BLKSIZE	512

/**
 * struct fim_opts - mount options as given
 * @fd: server channel fd (fd=)
 * @rootmode: root's file type and mode (rootmode=, octal)
 * @user_id: mount owner (user_id=), in the mounter's user namespace
 * @group_id: mount group (group_id=), likewise
 * @max_read: cap on READ sizes, bytes (max_read=); 0 if not given
 * @blksize: block size for fuse_iomapblk (blksize=)
 * @root_nodeid: node id of the root (root_nodeid=), default FUSE_ROOT_ID
 * @subtype: server subtype (subtype=), kmalloc'ed, or NULL
 * @default_permissions: check permissions in the kernel
 * @allow_other: let other users in
 * @seen: bit per FIM_OPT_* already given
 */
struct fim_opts {
	u32		fd;
	u32		rootmode;
	u32		user_id;
	u32		group_id;
	u32		max_read;
	u32		blksize;
	u64		root_nodeid;
	char		*subtype;
	bool		default_permissions;
	bool		allow_other;
	unsigned long	seen;
};

/* Options, as bit numbers in fim_opts.seen. */
enum fim_opt {
	FIM_OPT_FD,
	FIM_OPT_ROOTMODE,
	FIM_OPT_USER_ID,
	FIM_OPT_GROUP_ID,
	FIM_OPT_DEFAULT_PERMISSIONS,
	FIM_OPT_ALLOW_OTHER,
	FIM_OPT_MAX_READ,
	FIM_OPT_BLKSIZE,
	FIM_OPT_SUBTYPE,
	FIM_OPT_ROOT_NODEID,
};

void fim_opts_init(struct fim_opts *opts);
int fim_opts_parse(struct fim_opts *opts, const char *key, const char *value,
		   bool blkdev, const char **why);
int fim_opts_check(const struct fim_opts *opts, const char **why);
void fim_opts_free(struct fim_opts *opts);

#endif /* FIM_OPTIONS_H */
