// SPDX-License-Identifier: GPL-2.0
/*
 * v6.13: iomap writeback's optional ->prepare_ioend(ioend, status) hook
 * became ->submit_ioend(wpc, status), which submits the bio itself; v6.17
 * replaced it with ->writeback_submit (see iomap_writeback_range.c).  (The
 * release is our reading of the history; only 6.12 and 7.2 were checked.)
 */
#include <linux/iomap.h>

static int fim_probe_submit(struct iomap_writepage_ctx *wpc, int status)
{
	return status;
}

static const struct iomap_writeback_ops fim_probe_ops __maybe_unused = {
	.submit_ioend	= fim_probe_submit,
};
