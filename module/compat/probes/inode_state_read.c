// SPDX-License-Identifier: GPL-2.0
/*
 * v6.19 (the 7.2 headers have it; 6.12 does not): inode->i_state became a
 * struct inode_state_flags, read through inode_state_read_once() and
 * friends instead of plain loads of an unsigned long.
 */
#include <linux/fs.h>

static __maybe_unused bool fim_probe(struct inode *inode)
{
	return inode_state_read_once(inode) & I_NEW;
}
