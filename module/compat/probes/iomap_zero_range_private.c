// SPDX-License-Identifier: GPL-2.0
/*
 * v6.15: iomap_zero_range(), iomap_truncate_page() and iomap_page_mkwrite()
 * take a void *private that ends up in iomap_iter.private, as
 * iomap_file_buffered_write() already did.  (The release is our reading of
 * the history; only 6.12 and 7.2 were checked.)
 */
#include <linux/iomap.h>

static __maybe_unused vm_fault_t fim_probe(struct vm_fault *vmf,
					   const struct iomap_ops *ops)
{
	return iomap_page_mkwrite(vmf, ops, NULL);
}
