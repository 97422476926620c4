// SPDX-License-Identifier: GPL-2.0
/*
 * v7.1: d_alloc_parallel() no longer takes a wait queue from the caller;
 * the dcache provides the one in-lookup dentries are waited on with.
 */
#include <linux/dcache.h>

struct dentry *fim_probe_alloc(struct dentry *parent, const struct qstr *name);

struct dentry *fim_probe_alloc(struct dentry *parent, const struct qstr *name)
{
	return d_alloc_parallel(parent, name);
}
