// SPDX-License-Identifier: GPL-2.0
/*
 * v7.x (the 7.2 headers have it; 6.12 does not): posix_acl_to_xattr()
 * allocates the buffer itself and returns it with its size, instead of
 * filling a caller's buffer.
 */
#include <linux/fs.h>
#include <linux/posix_acl_xattr.h>
#include <linux/slab.h>

static __maybe_unused void *fim_probe(struct user_namespace *ns,
				      const struct posix_acl *acl)
{
	size_t size;

	return posix_acl_to_xattr(ns, acl, &size, GFP_KERNEL);
}
