// SPDX-License-Identifier: GPL-2.0
/*
 * v6.17: struct iomap_write_ops replaces iomap->folio_ops, and
 * iomap_file_buffered_write(), iomap_zero_range(), iomap_truncate_page()
 * and iomap_file_unshare() take it as an argument.
 */
#include <linux/iomap.h>

static const struct iomap_write_ops fim_probe_write_ops;

static __maybe_unused ssize_t fim_probe(struct kiocb *iocb, struct iov_iter *from,
		  const struct iomap_ops *ops)
{
	return iomap_file_buffered_write(iocb, from, ops, &fim_probe_write_ops,
					 NULL);
}
