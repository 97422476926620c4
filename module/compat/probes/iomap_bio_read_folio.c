// SPDX-License-Identifier: GPL-2.0
/*
 * v6.19: iomap_read_folio() and iomap_readahead() take a read context
 * naming the I/O backend; block filesystems call the iomap_bio_read_folio()
 * and iomap_bio_readahead() helpers.  Before, iomap_read_folio(folio, ops)
 * and iomap_readahead(rac, ops) always used bios.  (The release is our
 * reading of the history; only 6.12 and 7.2 were checked.)
 */
#include <linux/iomap.h>

static __maybe_unused void fim_probe(struct folio *folio,
				     struct readahead_control *rac,
				     const struct iomap_ops *ops)
{
	iomap_bio_read_folio(folio, ops);
	iomap_bio_readahead(rac, ops);
}
