/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks applied to messages a FUSE server writes to /dev/fuse_iomap.
 *
 * Everything a server sends is untrusted input.  These helpers decide, from
 * the message alone plus a little context passed in by value, whether it
 * obeys the protocol; they have no side effects so that the KUnit suite
 * fim_proto can pin every rule down.
 */
#ifndef FIM_PROTO_H
#define FIM_PROTO_H

#include <linux/kconfig.h>
#include <linux/types.h>

#include "uapi/fuse_iomap.h"

/**
 * enum fim_out_kind - what a message written by the server is
 * @FIM_OUT_REPLY: answer to the request whose id is in the header
 * @FIM_OUT_NOTIFY: unsolicited notification; the code is in the header's
 *	error field
 */
enum fim_out_kind {
	FIM_OUT_REPLY,
	FIM_OUT_NOTIFY,
};

int fim_proto_check_out_header(const struct fuse_out_header *oh,
			       size_t nbytes, enum fim_out_kind *kind);

/**
 * enum fim_iomap_src - where a mapping came from
 * @FIM_IOMAP_SRC_BEGIN: a FUSE_IOMAP_BEGIN reply for one I/O
 * @FIM_IOMAP_SRC_UPSERT: a FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS notification
 */
enum fim_iomap_src {
	FIM_IOMAP_SRC_BEGIN,
	FIM_IOMAP_SRC_UPSERT,
};

/**
 * struct fim_iomap_check_ctx - what a mapping is checked against
 * @src: BEGIN reply or UPSERT notification
 * @write_half: the mapping is the write half of the pair
 * @has_cache: the inode has a mapping cache, so RETRY_CACHE makes sense
 * @blocksize: filesystem block size, bytes; a power of two
 * @maxbytes: largest file offset plus one (sb->s_maxbytes), bytes
 * @pos: file offset the I/O starts at, bytes; BEGIN only, the mapping must
 *	contain it
 */
struct fim_iomap_check_ctx {
	enum fim_iomap_src	src;
	bool			write_half;
	bool			has_cache;
	u32			blocksize;
	loff_t			maxbytes;
	u64			pos;
};

/**
 * enum fim_iomap_bad - which rule a mapping broke
 * @FIM_IOMAP_OK: none
 * @FIM_IOMAP_BAD_TYPE: unknown type
 * @FIM_IOMAP_BAD_TYPE_HERE: known type not allowed in this context
 *	(NOCACHE in a BEGIN reply, RETRY_CACHE in an upsert or without a
 *	cache, PURE_OVERWRITE in a read half)
 * @FIM_IOMAP_BAD_FLAGS: unknown or kernel-only flag
 * @FIM_IOMAP_BAD_LENGTH: length is 0
 * @FIM_IOMAP_BAD_ALIGN: offset or length not a multiple of the block size
 * @FIM_IOMAP_BAD_END: offset + length overflows u64
 * @FIM_IOMAP_BAD_MAXBYTES: offset beyond the largest file
 * @FIM_IOMAP_BAD_DEV: device cookie missing, or present where none belongs
 * @FIM_IOMAP_BAD_ADDR: address missing, or present where none belongs
 * @FIM_IOMAP_BAD_ADDR_END: addr + length overflows u64
 * @FIM_IOMAP_BAD_POS: mapping does not contain the I/O position
 */
enum fim_iomap_bad {
	FIM_IOMAP_OK,
	FIM_IOMAP_BAD_TYPE,
	FIM_IOMAP_BAD_TYPE_HERE,
	FIM_IOMAP_BAD_FLAGS,
	FIM_IOMAP_BAD_LENGTH,
	FIM_IOMAP_BAD_ALIGN,
	FIM_IOMAP_BAD_END,
	FIM_IOMAP_BAD_MAXBYTES,
	FIM_IOMAP_BAD_DEV,
	FIM_IOMAP_BAD_ADDR,
	FIM_IOMAP_BAD_ADDR_END,
	FIM_IOMAP_BAD_POS,
};

/* Mapping flags a server may set; the others are kernel-to-server only. */
#define FIM_IOMAP_F_SERVER_ALL	(FUSE_IOMAP_F_NEW | FUSE_IOMAP_F_DIRTY | \
				 FUSE_IOMAP_F_SHARED | FUSE_IOMAP_F_MERGED | \
				 FUSE_IOMAP_F_BOUNDARY | \
				 FUSE_IOMAP_F_ANON_WRITE | \
				 FUSE_IOMAP_F_ATOMIC_BIO | \
				 FUSE_IOMAP_F_WANT_IOMAP_END)

/*
 * Longest name a READDIR or READDIRPLUS record may carry, bytes: readdir(3)
 * hands names out in struct dirent, whose d_name holds NAME_MAX bytes.
 */
#define FIM_DIRENT_NAME_MAX	255

/**
 * struct fim_dirent_rec - one record of a READDIR or READDIRPLUS reply
 * @entry: the LOOKUP-style entry of a READDIRPLUS record, NULL for READDIR
 * @name: the name, not NUL-terminated; points into the reply
 * @namelen: bytes in @name
 * @type: DT_* file type for getdents
 * @ino: the server's inode number for getdents
 * @off: directory offset of the next record (cookie for the next request)
 * @reclen: bytes the record occupies in the reply, padding included
 * @dot: @name is "." or ".."; the server counted no lookup for it
 */
struct fim_dirent_rec {
	const struct fuse_entry_out	*entry;
	const char			*name;
	u32				namelen;
	u32				type;
	u64				ino;
	u64				off;
	size_t				reclen;
	bool				dot;
};

/**
 * enum fim_dirent_bad - which rule a directory record broke
 * @FIM_DIRENT_OK: none
 * @FIM_DIRENT_BAD_SHORT: fewer bytes left than a record header
 * @FIM_DIRENT_BAD_NAMELEN: name length 0 or above FIM_DIRENT_NAME_MAX
 * @FIM_DIRENT_BAD_OVERRUN: the name or its padding runs past the reply
 * @FIM_DIRENT_BAD_NAME: the name contains '/' or NUL
 * @FIM_DIRENT_BAD_TYPE: the DT_* type does not fit in four bits
 * @FIM_DIRENT_BAD_OFF: the next offset is negative as a file position
 * @FIM_DIRENT_BAD_MODE: a READDIRPLUS entry names a node (node id not 0,
 *	not "." or "..") whose attributes carry no valid file type
 */
enum fim_dirent_bad {
	FIM_DIRENT_OK,
	FIM_DIRENT_BAD_SHORT,
	FIM_DIRENT_BAD_NAMELEN,
	FIM_DIRENT_BAD_OVERRUN,
	FIM_DIRENT_BAD_NAME,
	FIM_DIRENT_BAD_TYPE,
	FIM_DIRENT_BAD_OFF,
	FIM_DIRENT_BAD_MODE,
};

enum fim_dirent_bad fim_dirent_next(const void *buf, size_t len, bool plus,
				    struct fim_dirent_rec *rec);

int fim_iomap_check_mapping(const struct fuse_iomap_io *map,
			    const struct fim_iomap_check_ctx *ctx);

#if IS_ENABLED(CONFIG_KUNIT)
enum fim_iomap_bad fim_iomap_mapping_rule(const struct fuse_iomap_io *map,
					  const struct fim_iomap_check_ctx *ctx);
#endif

#endif /* FIM_PROTO_H */
