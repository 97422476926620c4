// SPDX-License-Identifier: GPL-2.0
/*
 * v6.17: iomap writeback ops are ->writeback_range, which maps and adds the
 * range to an ioend itself via iomap_add_to_ioend(), and ->writeback_submit;
 * iomap_writepages() takes only the context, which now carries the inode
 * and the writeback_control.  Before, ->map_blocks only filled wpc->iomap.
 */
#include <linux/iomap.h>

static ssize_t fim_probe_range(struct iomap_writepage_ctx *wpc,
			       struct folio *folio, u64 pos, unsigned int len,
			       u64 end_pos)
{
	return iomap_add_to_ioend(wpc, folio, pos, end_pos, len);
}

static const struct iomap_writeback_ops fim_probe_ops = {
	.writeback_range	= fim_probe_range,
	.writeback_submit	= iomap_ioend_writeback_submit,
};

static __maybe_unused int fim_probe(struct iomap_writepage_ctx *wpc)
{
	wpc->ops = &fim_probe_ops;
	return iomap_writepages(wpc);
}
