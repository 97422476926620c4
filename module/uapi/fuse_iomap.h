/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * Wire protocol spoken over /dev/fuse_iomap.
 *
 * This is the project's single source of truth for the FUSE messages that
 * fuse_iomap.ko exchanges with a userspace server: the upstream FUSE 7.45
 * protocol plus the experimental iomap extension (minor version 99).  Every
 * identifier, number and layout here is ABI shared with the out-of-tree
 * fuse-iomap kernel series and its libfuse patches, so that one server runs
 * on either client.  The libfuse side of this project is generated from this
 * file; change it only together with a protocol change.
 *
 * Conventions: all structures are in host byte order, naturally aligned and
 * free of implicit padding, so they have the same layout on every 64-bit and
 * 32-bit ABI.  Sizes in the comments are part of the ABI and are checked by
 * the fim_proto KUnit suite.  "bytes" means a byte count or byte offset,
 * "ns" nanoseconds, "s" seconds since the Unix epoch.
 *
 * The header builds in the kernel and in userspace (it needs only the
 * <linux/types.h> and <linux/ioctl.h> UAPI headers).
 */
#ifndef _UAPI_LINUX_FUSE_IOMAP_H
#define _UAPI_LINUX_FUSE_IOMAP_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Protocol version offered in FUSE_INIT. */
#define FUSE_KERNEL_VERSION		7
/*
 * 99 is deliberately not the next upstream minor: it marks the iomap
 * extension as experimental and keeps it from being mistaken for 7.46.
 */
#define FUSE_KERNEL_MINOR_VERSION	99

/* Node id of the root directory unless the mount says otherwise. */
#define FUSE_ROOT_ID			1

/* Smallest read buffer a server may pass to read(2) on the device, bytes. */
#define FUSE_MIN_READ_BUFFER		8192

/* Names under which fuse_iomap.ko registers itself. */
#define FUSE_IOMAP_MISC_NAME		"fuse_iomap"
#define FUSE_IOMAP_DEV_PATH		"/dev/fuse_iomap"
/* Filesystem type for servers without a block device source (like "fuse"). */
#define FUSE_IOMAP_FS_NAME		"fuse_iomap"
/* Filesystem type whose mount source is a block device (like "fuseblk"). */
#define FUSE_IOMAP_BLKFS_NAME		"fuse_iomapblk"

/*
 * Message headers
 * ---------------
 * Every request starts with fuse_in_header; every reply and every
 * notification the server writes starts with fuse_out_header.
 */

/* 40 bytes; precedes every request read from the device. */
struct fuse_in_header {
	__u32	len;		/* whole request incl. this header, bytes */
	__u32	opcode;		/* enum fuse_opcode */
	__u64	unique;		/* request id, echoed in the reply; never 0 */
	__u64	nodeid;		/* target node id (0 if none) */
	__u32	uid;		/* caller's fsuid in the server's user ns */
	__u32	gid;		/* caller's fsgid in the server's user ns */
	__u32	pid;		/* caller's tgid in the server's pid ns, or 0 */
	__u16	total_extlen;	/* request extensions after the args, 8-byte units */
	__u16	padding;	/* must be 0 */
};

/*
 * Request ids: the kernel hands out even ids only.  FUSE_INTERRUPT for the
 * request with id U carries U | FUSE_INT_REQ_BIT in its own header (and U
 * in fuse_interrupt_in), so the server's answer to the interrupt is told
 * apart from the answer to the request itself.
 */
#define FUSE_INT_REQ_BIT		(1ULL << 0)
#define FUSE_REQ_ID_STEP		(1ULL << 1)

/* 16 bytes; precedes every reply and notification written to the device. */
struct fuse_out_header {
	__u32	len;		/* whole message incl. this header, bytes */
	__s32	error;		/* reply: 0 or -errno; notification: fuse_notify_code */
	__u64	unique;		/* id of the answered request; 0 for a notification */
};

/*
 * Opcodes
 * -------
 * Upstream numbers, then the iomap extension at the top of the range just
 * below CUSE_INIT so it cannot collide with future upstream opcodes.
 */
enum fuse_opcode {
	FUSE_LOOKUP		= 1,
	FUSE_FORGET		= 2,	/* no reply */
	FUSE_GETATTR		= 3,
	FUSE_SETATTR		= 4,
	FUSE_READLINK		= 5,
	FUSE_SYMLINK		= 6,
	FUSE_MKNOD		= 8,
	FUSE_MKDIR		= 9,
	FUSE_UNLINK		= 10,
	FUSE_RMDIR		= 11,
	FUSE_RENAME		= 12,
	FUSE_LINK		= 13,
	FUSE_OPEN		= 14,
	FUSE_READ		= 15,
	FUSE_WRITE		= 16,
	FUSE_STATFS		= 17,
	FUSE_RELEASE		= 18,
	FUSE_FSYNC		= 20,
	FUSE_SETXATTR		= 21,
	FUSE_GETXATTR		= 22,
	FUSE_LISTXATTR		= 23,
	FUSE_REMOVEXATTR	= 24,
	FUSE_FLUSH		= 25,
	FUSE_INIT		= 26,
	FUSE_OPENDIR		= 27,
	FUSE_READDIR		= 28,
	FUSE_RELEASEDIR		= 29,
	FUSE_FSYNCDIR		= 30,
	FUSE_GETLK		= 31,
	FUSE_SETLK		= 32,
	FUSE_SETLKW		= 33,
	FUSE_ACCESS		= 34,
	FUSE_CREATE		= 35,
	FUSE_INTERRUPT		= 36,
	FUSE_BMAP		= 37,
	FUSE_DESTROY		= 38,
	FUSE_IOCTL		= 39,
	FUSE_POLL		= 40,
	FUSE_NOTIFY_REPLY	= 41,
	FUSE_BATCH_FORGET	= 42,
	FUSE_FALLOCATE		= 43,
	FUSE_READDIRPLUS	= 44,
	FUSE_RENAME2		= 45,
	FUSE_LSEEK		= 46,
	FUSE_COPY_FILE_RANGE	= 47,
	FUSE_SETUPMAPPING	= 48,
	FUSE_REMOVEMAPPING	= 49,
	FUSE_SYNCFS		= 50,
	FUSE_TMPFILE		= 51,
	FUSE_STATX		= 52,
	FUSE_COPY_FILE_RANGE_64	= 53,

	/* iomap extension; nodeid and payloads as noted */
	FUSE_FREEZE_FS		= 4089,	/* root; fuse_freezefs_in; no payload back */
	FUSE_UNFREEZE_FS	= 4090,	/* root; no args; no payload back */
	FUSE_SHUTDOWN_FS	= 4091,	/* root; fuse_shutdownfs_in; no payload back */
	FUSE_IOMAP_CONFIG	= 4092,	/* nodeid 0; config_in -> config_out */
	FUSE_IOMAP_IOEND	= 4093,	/* ioend_in -> ioend_out */
	FUSE_IOMAP_BEGIN	= 4094,	/* begin_in -> begin_out */
	FUSE_IOMAP_END		= 4095,	/* end_in; no payload back */

	CUSE_INIT		= 4096,

	/* Byte-swapped INIT opcodes, reserved so they are never reused. */
	CUSE_INIT_BSWAP_RESERVED	= 1048576,	/* CUSE_INIT << 8 */
	FUSE_INIT_BSWAP_RESERVED	= 436207616,	/* FUSE_INIT << 24 */
};

/*
 * Notification codes, carried in fuse_out_header.error of a message whose
 * unique is 0.  The iomap codes start at 99, well above upstream's range.
 */
enum fuse_notify_code {
	FUSE_NOTIFY_POLL			= 1,
	FUSE_NOTIFY_INVAL_INODE			= 2,
	FUSE_NOTIFY_INVAL_ENTRY			= 3,
	FUSE_NOTIFY_STORE			= 4,
	FUSE_NOTIFY_RETRIEVE			= 5,
	FUSE_NOTIFY_DELETE			= 6,
	FUSE_NOTIFY_RESEND			= 7,
	FUSE_NOTIFY_INC_EPOCH			= 8,
	FUSE_NOTIFY_PRUNE			= 9,

	FUSE_NOTIFY_IOMAP_DEV_INVAL		= 99,	/* fuse_iomap_dev_inval_out */
	FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS	= 100,	/* fuse_iomap_upsert_mappings_out */
	FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS	= 101,	/* fuse_iomap_inval_mappings_out */
	FUSE_NOTIFY_CODE_MAX,
};

/*
 * INIT
 * ----
 * Capability bits.  Bits 0-31 travel in fuse_init_{in,out}.flags, bits
 * 32-63 in .flags2 (shifted down by 32), the latter only if both sides set
 * FUSE_INIT_EXT.
 */
#define FUSE_ASYNC_READ			(1ULL << 0)
#define FUSE_POSIX_LOCKS		(1ULL << 1)
#define FUSE_FILE_OPS			(1ULL << 2)
#define FUSE_ATOMIC_O_TRUNC		(1ULL << 3)
#define FUSE_EXPORT_SUPPORT		(1ULL << 4)
#define FUSE_BIG_WRITES			(1ULL << 5)
#define FUSE_DONT_MASK			(1ULL << 6)
#define FUSE_SPLICE_WRITE		(1ULL << 7)
#define FUSE_SPLICE_MOVE		(1ULL << 8)
#define FUSE_SPLICE_READ		(1ULL << 9)
#define FUSE_FLOCK_LOCKS		(1ULL << 10)
#define FUSE_HAS_IOCTL_DIR		(1ULL << 11)
#define FUSE_AUTO_INVAL_DATA		(1ULL << 12)
#define FUSE_DO_READDIRPLUS		(1ULL << 13)
#define FUSE_READDIRPLUS_AUTO		(1ULL << 14)
#define FUSE_ASYNC_DIO			(1ULL << 15)
#define FUSE_WRITEBACK_CACHE		(1ULL << 16)
#define FUSE_NO_OPEN_SUPPORT		(1ULL << 17)
#define FUSE_PARALLEL_DIROPS		(1ULL << 18)
#define FUSE_HANDLE_KILLPRIV		(1ULL << 19)
#define FUSE_POSIX_ACL			(1ULL << 20)
#define FUSE_ABORT_ERROR		(1ULL << 21)
#define FUSE_MAX_PAGES			(1ULL << 22)
#define FUSE_CACHE_SYMLINKS		(1ULL << 23)
#define FUSE_NO_OPENDIR_SUPPORT		(1ULL << 24)
#define FUSE_EXPLICIT_INVAL_DATA	(1ULL << 25)
#define FUSE_MAP_ALIGNMENT		(1ULL << 26)
#define FUSE_SUBMOUNTS			(1ULL << 27)
#define FUSE_HANDLE_KILLPRIV_V2		(1ULL << 28)
#define FUSE_SETXATTR_EXT		(1ULL << 29)
#define FUSE_INIT_EXT			(1ULL << 30)
#define FUSE_INIT_RESERVED		(1ULL << 31)
#define FUSE_SECURITY_CTX		(1ULL << 32)
#define FUSE_HAS_INODE_DAX		(1ULL << 33)
#define FUSE_CREATE_SUPP_GROUP		(1ULL << 34)
#define FUSE_HAS_EXPIRE_ONLY		(1ULL << 35)
#define FUSE_DIRECT_IO_ALLOW_MMAP	(1ULL << 36)
#define FUSE_PASSTHROUGH		(1ULL << 37)
#define FUSE_NO_EXPORT_SUPPORT		(1ULL << 38)
#define FUSE_HAS_RESEND			(1ULL << 39)
#define FUSE_ALLOW_IDMAP		(1ULL << 40)
#define FUSE_OVER_IO_URING		(1ULL << 41)
#define FUSE_REQUEST_TIMEOUT		(1ULL << 42)
/* Server maps regular file I/O through FUSE_IOMAP_* (flags2 bit 11). */
#define FUSE_IOMAP			(1ULL << 43)

/* Older name of FUSE_DIRECT_IO_ALLOW_MMAP. */
#define FUSE_DIRECT_IO_RELAX		FUSE_DIRECT_IO_ALLOW_MMAP

/* 64 bytes; FUSE_INIT request body. */
struct fuse_init_in {
	__u32	major;		/* FUSE_KERNEL_VERSION */
	__u32	minor;		/* FUSE_KERNEL_MINOR_VERSION */
	__u32	max_readahead;	/* bytes */
	__u32	flags;		/* capability bits 0-31 offered */
	__u32	flags2;		/* capability bits 32-63 offered (FUSE_INIT_EXT) */
	__u32	unused[11];	/* must be 0 */
};

/* 64 bytes; FUSE_INIT reply body. */
struct fuse_init_out {
	__u32	major;			/* server's major version */
	__u32	minor;			/* server's minor version */
	__u32	max_readahead;		/* bytes */
	__u32	flags;			/* capability bits 0-31 accepted */
	__u16	max_background;		/* background requests, count */
	__u16	congestion_threshold;	/* background requests, count */
	__u32	max_write;		/* largest WRITE payload, bytes */
	__u32	time_gran;		/* timestamp granularity, ns */
	__u16	max_pages;		/* largest request, pages (FUSE_MAX_PAGES) */
	__u16	map_alignment;		/* DAX mapping alignment, log2 bytes */
	__u32	flags2;			/* capability bits 32-63 accepted */
	__u32	max_stack_depth;	/* stacking depth for passthrough, count */
	__u16	request_timeout;	/* seconds, 0 = none (FUSE_REQUEST_TIMEOUT) */
	__u16	unused[11];		/* must be 0 */
};

/* Reply sizes for servers that speak minor < 5 and < 23, bytes. */
#define FUSE_COMPAT_INIT_OUT_SIZE	8
#define FUSE_COMPAT_22_INIT_OUT_SIZE	24

/*
 * CUSE (character devices in userspace) shares the transport; its INIT
 * carries a device description instead of filesystem capabilities.
 */
#define CUSE_UNRESTRICTED_IOCTL		(1 << 0)	/* ioctls with any argument */
#define CUSE_INIT_INFO_MAX		4096		/* device info string, bytes */

/* 16 bytes; CUSE_INIT request body. */
struct cuse_init_in {
	__u32	major;		/* FUSE_KERNEL_VERSION */
	__u32	minor;		/* FUSE_KERNEL_MINOR_VERSION */
	__u32	unused;		/* must be 0 */
	__u32	flags;		/* CUSE_* offered */
};

/* 72 bytes; CUSE_INIT reply body, followed by the device info string. */
struct cuse_init_out {
	__u32	major;		/* server's major version */
	__u32	minor;		/* server's minor version */
	__u32	unused;		/* must be 0 */
	__u32	flags;		/* CUSE_* accepted */
	__u32	max_read;	/* largest READ, bytes */
	__u32	max_write;	/* largest WRITE, bytes */
	__u32	dev_major;	/* char device major number */
	__u32	dev_minor;	/* char device minor number */
	__u32	spare[10];	/* must be 0 */
};

/*
 * Attributes
 * ----------
 */

/* fuse_attr.flags: per-inode behaviour chosen by the server. */
#define FUSE_ATTR_SUBMOUNT	(1 << 0)	/* directory is a submount root */
#define FUSE_ATTR_DAX		(1 << 1)	/* enable DAX for this file */
/*
 * Only this mount modifies the inode, so the kernel may trust its cached
 * attributes like a local filesystem does.  Required for FUSE_ATTR_IOMAP.
 */
#define FUSE_ATTR_EXCLUSIVE	(1 << 2)
/* Route this regular file's data I/O through FUSE_IOMAP_*; needs EXCLUSIVE. */
#define FUSE_ATTR_IOMAP		(1 << 3)
#define FUSE_ATTR_ATOMIC	(1 << 4)	/* untorn writes allowed */
#define FUSE_ATTR_SYNC		(1 << 5)	/* S_SYNC */
#define FUSE_ATTR_IMMUTABLE	(1 << 6)	/* S_IMMUTABLE */
#define FUSE_ATTR_APPEND	(1 << 7)	/* S_APPEND */

/* 88 bytes. */
struct fuse_attr {
	__u64	ino;		/* server's inode number (not the node id) */
	__u64	size;		/* bytes */
	__u64	blocks;		/* 512-byte units */
	__u64	atime;		/* s */
	__u64	mtime;		/* s */
	__u64	ctime;		/* s */
	__u32	atimensec;	/* ns part of atime */
	__u32	mtimensec;	/* ns part of mtime */
	__u32	ctimensec;	/* ns part of ctime */
	__u32	mode;		/* S_IF* | permission bits */
	__u32	nlink;		/* count */
	__u32	uid;		/* owner, server's user ns */
	__u32	gid;		/* group, server's user ns */
	__u32	rdev;		/* device number of a device node, new_encode_dev */
	__u32	blksize;	/* preferred I/O size, bytes */
	__u32	flags;		/* FUSE_ATTR_* */
};

/* 16 bytes; one timestamp in fuse_statx. */
struct fuse_sx_time {
	__s64	tv_sec;		/* s */
	__u32	tv_nsec;	/* ns */
	__s32	__reserved;	/* must be 0 */
};

/* 256 bytes; statx(2)-style attributes (FUSE_STATX). */
struct fuse_statx {
	__u32	mask;		/* STATX_* fields that are valid */
	__u32	blksize;	/* preferred I/O size, bytes */
	__u64	attributes;	/* STATX_ATTR_* */
	__u32	nlink;		/* count */
	__u32	uid;		/* owner */
	__u32	gid;		/* group */
	__u16	mode;		/* S_IF* | permission bits */
	__u16	__spare0[1];	/* must be 0 */
	__u64	ino;		/* server's inode number */
	__u64	size;		/* bytes */
	__u64	blocks;		/* 512-byte units */
	__u64	attributes_mask; /* STATX_ATTR_* the server supports */
	struct fuse_sx_time atime;
	struct fuse_sx_time btime;
	struct fuse_sx_time ctime;
	struct fuse_sx_time mtime;
	__u32	rdev_major;	/* device node's major number */
	__u32	rdev_minor;	/* device node's minor number */
	__u32	dev_major;	/* containing device's major number */
	__u32	dev_minor;	/* containing device's minor number */
	__u64	__spare2[14];	/* must be 0 */
};

/* 80 bytes; statfs(2) result. */
struct fuse_kstatfs {
	__u64	blocks;		/* total, bsize units */
	__u64	bfree;		/* free, bsize units */
	__u64	bavail;		/* free for unprivileged users, bsize units */
	__u64	files;		/* inodes, count */
	__u64	ffree;		/* free inodes, count */
	__u32	bsize;		/* block size, bytes */
	__u32	namelen;	/* longest name, bytes */
	__u32	frsize;		/* fragment size, bytes */
	__u32	padding;	/* must be 0 */
	__u32	spare[6];	/* must be 0 */
};

/* 24 bytes; a POSIX record lock. */
struct fuse_file_lock {
	__u64	start;		/* first byte, bytes */
	__u64	end;		/* last byte (inclusive), bytes */
	__u32	type;		/* F_RDLCK, F_WRLCK or F_UNLCK */
	__u32	pid;		/* owner's tgid */
};

/* 128 bytes; reply to LOOKUP, MKNOD, MKDIR, SYMLINK, LINK (and in CREATE). */
struct fuse_entry_out {
	__u64	nodeid;		/* node id for later requests; 0 = negative entry */
	__u64	generation;	/* nodeid + generation unique for the fs lifetime */
	__u64	entry_valid;	/* name cache timeout, s */
	__u64	attr_valid;	/* attribute cache timeout, s */
	__u32	entry_valid_nsec; /* ns part of entry_valid */
	__u32	attr_valid_nsec;  /* ns part of attr_valid */
	struct fuse_attr attr;
};

/* 104 bytes; reply to GETATTR and SETATTR. */
struct fuse_attr_out {
	__u64	attr_valid;	/* attribute cache timeout, s */
	__u32	attr_valid_nsec; /* ns part of attr_valid */
	__u32	dummy;		/* must be 0 */
	struct fuse_attr attr;
};

/*
 * Requests and replies of the classic operations
 * ----------------------------------------------
 * Each *_in structure follows fuse_in_header in a request (some are
 * followed by names or data); each *_out follows fuse_out_header in a
 * reply.  A FUSE_COMPAT_* size is what servers of an older minor send or
 * expect; the server copes with both.
 */

/* fuse_setattr_in.valid: which fields to change. */
#define FATTR_MODE		(1 << 0)
#define FATTR_UID		(1 << 1)
#define FATTR_GID		(1 << 2)
#define FATTR_SIZE		(1 << 3)
#define FATTR_ATIME		(1 << 4)
#define FATTR_MTIME		(1 << 5)
#define FATTR_FH		(1 << 6)	/* fh is valid */
#define FATTR_ATIME_NOW		(1 << 7)	/* use the current time */
#define FATTR_MTIME_NOW		(1 << 8)	/* use the current time */
#define FATTR_LOCKOWNER		(1 << 9)	/* lock_owner is valid */
#define FATTR_CTIME		(1 << 10)
#define FATTR_KILL_SUIDGID	(1 << 11)	/* clear suid/sgid too */

/* fuse_open_out.open_flags: how the kernel treats the open file. */
#define FOPEN_DIRECT_IO			(1 << 0)	/* bypass the page cache */
#define FOPEN_KEEP_CACHE		(1 << 1)	/* keep cached data */
#define FOPEN_NONSEEKABLE		(1 << 2)	/* no lseek */
#define FOPEN_CACHE_DIR			(1 << 3)	/* cache readdir results */
#define FOPEN_STREAM			(1 << 4)	/* no file position at all */
#define FOPEN_NOFLUSH			(1 << 5)	/* no FLUSH on close */
#define FOPEN_PARALLEL_DIRECT_WRITES	(1 << 6)	/* shared i_rwsem for DIO */
#define FOPEN_PASSTHROUGH		(1 << 7)	/* I/O goes to backing_id */

/* fuse_release_in.release_flags. */
#define FUSE_RELEASE_FLUSH		(1 << 0)	/* flush before release */
#define FUSE_RELEASE_FLOCK_UNLOCK	(1 << 1)	/* drop flock locks */

/* fuse_getattr_in.getattr_flags. */
#define FUSE_GETATTR_FH			(1 << 0)	/* fh is valid */

/* fuse_lk_in.lk_flags. */
#define FUSE_LK_FLOCK			(1 << 0)	/* BSD flock, not POSIX */

/* fuse_write_in.write_flags. */
#define FUSE_WRITE_CACHE		(1 << 0)	/* delayed page cache write */
#define FUSE_WRITE_LOCKOWNER		(1 << 1)	/* lock_owner is valid */
#define FUSE_WRITE_KILL_SUIDGID		(1 << 2)	/* clear suid/sgid */
/* Older name: it only ever meant suid/sgid. */
#define FUSE_WRITE_KILL_PRIV		FUSE_WRITE_KILL_SUIDGID

/* fuse_read_in.read_flags. */
#define FUSE_READ_LOCKOWNER		(1 << 1)	/* lock_owner is valid */

/* fuse_ioctl_in.flags and fuse_ioctl_out.flags. */
#define FUSE_IOCTL_COMPAT		(1 << 0)	/* 32-bit compat ioctl */
#define FUSE_IOCTL_UNRESTRICTED		(1 << 1)	/* not a well-formed ioctl */
#define FUSE_IOCTL_RETRY		(1 << 2)	/* retry with new iovecs */
#define FUSE_IOCTL_32BIT		(1 << 3)	/* 32-bit caller */
#define FUSE_IOCTL_DIR			(1 << 4)	/* on a directory */
#define FUSE_IOCTL_COMPAT_X32		(1 << 5)	/* x32 caller */
#define FUSE_IOCTL_MAX_IOV		256		/* iovecs per retry, count */

/* fuse_poll_in.flags. */
#define FUSE_POLL_SCHEDULE_NOTIFY	(1 << 0)	/* send FUSE_NOTIFY_POLL */

/* fuse_fsync_in.fsync_flags. */
#define FUSE_FSYNC_FDATASYNC		(1 << 0)	/* data only */

/* fuse_open_in.open_flags and fuse_create_in.open_flags. */
#define FUSE_OPEN_KILL_SUIDGID		(1 << 0)	/* O_TRUNC by non-owner */

/* fuse_setxattr_in.setxattr_flags. */
#define FUSE_SETXATTR_ACL_KILL_SGID	(1 << 0)	/* clear sgid on ACL set */

/* fuse_notify_inval_entry_out.flags. */
#define FUSE_EXPIRE_ONLY		(1 << 0)	/* expire, do not drop */

/* Set in fuse_in_header.unique of a request the kernel sends again. */
#define FUSE_UNIQUE_RESEND		(1ULL << 63)

/* 8 bytes; FUSE_FORGET. */
struct fuse_forget_in {
	__u64	nlookup;	/* lookups to forget, count */
};

/* 16 bytes; one entry of FUSE_BATCH_FORGET. */
struct fuse_forget_one {
	__u64	nodeid;
	__u64	nlookup;	/* lookups to forget, count */
};

/* 8 bytes; FUSE_BATCH_FORGET, followed by count fuse_forget_one. */
struct fuse_batch_forget_in {
	__u32	count;		/* entries that follow */
	__u32	dummy;		/* must be 0 */
};

/* 16 bytes; FUSE_GETATTR. */
struct fuse_getattr_in {
	__u32	getattr_flags;	/* FUSE_GETATTR_* */
	__u32	dummy;		/* must be 0 */
	__u64	fh;		/* open file handle, if FUSE_GETATTR_FH */
};

/* fuse_attr_out and fuse_entry_out sizes before minor 9, bytes. */
#define FUSE_COMPAT_ATTR_OUT_SIZE	96
#define FUSE_COMPAT_ENTRY_OUT_SIZE	120

/* 24 bytes; FUSE_STATX. */
struct fuse_statx_in {
	__u32	getattr_flags;	/* FUSE_GETATTR_* */
	__u32	reserved;	/* must be 0 */
	__u64	fh;		/* open file handle, if FUSE_GETATTR_FH */
	__u32	sx_flags;	/* AT_STATX_* sync flags */
	__u32	sx_mask;	/* STATX_* fields wanted */
};

/* 288 bytes; FUSE_STATX reply. */
struct fuse_statx_out {
	__u64	attr_valid;	/* attribute cache timeout, s */
	__u32	attr_valid_nsec; /* ns part of attr_valid */
	__u32	flags;		/* none defined, 0 */
	__u64	spare[2];	/* must be 0 */
	struct fuse_statx stat;
};

/* fuse_mknod_in size before minor 12, bytes. */
#define FUSE_COMPAT_MKNOD_IN_SIZE	8

/* 16 bytes; FUSE_MKNOD, followed by the name. */
struct fuse_mknod_in {
	__u32	mode;		/* S_IF* | permission bits */
	__u32	rdev;		/* device number, new_encode_dev */
	__u32	umask;		/* caller's umask */
	__u32	padding;	/* must be 0 */
};

/* 8 bytes; FUSE_MKDIR, followed by the name. */
struct fuse_mkdir_in {
	__u32	mode;		/* permission bits */
	__u32	umask;		/* caller's umask */
};

/* 8 bytes; FUSE_RENAME, followed by the old and new names. */
struct fuse_rename_in {
	__u64	newdir;		/* node id of the new parent */
};

/* 16 bytes; FUSE_RENAME2, followed by the old and new names. */
struct fuse_rename2_in {
	__u64	newdir;		/* node id of the new parent */
	__u32	flags;		/* RENAME_* */
	__u32	padding;	/* must be 0 */
};

/* 8 bytes; FUSE_LINK, followed by the new name. */
struct fuse_link_in {
	__u64	oldnodeid;	/* node id of the existing file */
};

/* 88 bytes; FUSE_SETATTR. */
struct fuse_setattr_in {
	__u32	valid;		/* FATTR_* */
	__u32	padding;	/* must be 0 */
	__u64	fh;		/* open file handle, if FATTR_FH */
	__u64	size;		/* bytes */
	__u64	lock_owner;	/* if FATTR_LOCKOWNER */
	__u64	atime;		/* s */
	__u64	mtime;		/* s */
	__u64	ctime;		/* s */
	__u32	atimensec;	/* ns part of atime */
	__u32	mtimensec;	/* ns part of mtime */
	__u32	ctimensec;	/* ns part of ctime */
	__u32	mode;		/* permission bits */
	__u32	unused4;	/* must be 0 */
	__u32	uid;		/* new owner */
	__u32	gid;		/* new group */
	__u32	unused5;	/* must be 0 */
};

/* 8 bytes; FUSE_OPEN and FUSE_OPENDIR. */
struct fuse_open_in {
	__u32	flags;		/* open(2) flags */
	__u32	open_flags;	/* FUSE_OPEN_* */
};

/* 16 bytes; FUSE_CREATE, followed by the name. */
struct fuse_create_in {
	__u32	flags;		/* open(2) flags */
	__u32	mode;		/* permission bits */
	__u32	umask;		/* caller's umask */
	__u32	open_flags;	/* FUSE_OPEN_* */
};

/* 16 bytes; reply to OPEN, OPENDIR (and in CREATE). */
struct fuse_open_out {
	__u64	fh;		/* server's file handle */
	__u32	open_flags;	/* FOPEN_* */
	__s32	backing_id;	/* with FOPEN_PASSTHROUGH: backing file id */
};

/* 24 bytes; FUSE_RELEASE and FUSE_RELEASEDIR. */
struct fuse_release_in {
	__u64	fh;		/* file handle from OPEN */
	__u32	flags;		/* open(2) flags of the file */
	__u32	release_flags;	/* FUSE_RELEASE_* */
	__u64	lock_owner;	/* if FUSE_RELEASE_FLOCK_UNLOCK */
};

/* 24 bytes; FUSE_FLUSH. */
struct fuse_flush_in {
	__u64	fh;		/* file handle from OPEN */
	__u32	unused;		/* must be 0 */
	__u32	padding;	/* must be 0 */
	__u64	lock_owner;	/* owner of POSIX locks to drop */
};

/* 40 bytes; FUSE_READ and FUSE_READDIR(PLUS). */
struct fuse_read_in {
	__u64	fh;		/* file handle from OPEN */
	__u64	offset;		/* file offset, bytes */
	__u32	size;		/* bytes */
	__u32	read_flags;	/* FUSE_READ_* */
	__u64	lock_owner;	/* if FUSE_READ_LOCKOWNER */
	__u32	flags;		/* open(2) flags of the file */
	__u32	padding;	/* must be 0 */
};

/* fuse_write_in size before minor 9, bytes. */
#define FUSE_COMPAT_WRITE_IN_SIZE	24

/* 40 bytes; FUSE_WRITE, followed by the data. */
struct fuse_write_in {
	__u64	fh;		/* file handle from OPEN */
	__u64	offset;		/* file offset, bytes */
	__u32	size;		/* bytes of data that follow */
	__u32	write_flags;	/* FUSE_WRITE_* */
	__u64	lock_owner;	/* if FUSE_WRITE_LOCKOWNER */
	__u32	flags;		/* open(2) flags of the file */
	__u32	padding;	/* must be 0 */
};

/* 8 bytes; FUSE_WRITE reply. */
struct fuse_write_out {
	__u32	size;		/* bytes written */
	__u32	padding;	/* must be 0 */
};

/* fuse_statfs_out size before minor 4, bytes. */
#define FUSE_COMPAT_STATFS_SIZE		48

/* 80 bytes; FUSE_STATFS reply. */
struct fuse_statfs_out {
	struct fuse_kstatfs st;
};

/* 16 bytes; FUSE_FSYNC and FUSE_FSYNCDIR. */
struct fuse_fsync_in {
	__u64	fh;		/* file handle from OPEN */
	__u32	fsync_flags;	/* FUSE_FSYNC_* */
	__u32	padding;	/* must be 0 */
};

/* fuse_setxattr_in size without FUSE_SETXATTR_EXT, bytes. */
#define FUSE_COMPAT_SETXATTR_IN_SIZE	8

/* 16 bytes; FUSE_SETXATTR, followed by the name and the value. */
struct fuse_setxattr_in {
	__u32	size;		/* value, bytes */
	__u32	flags;		/* XATTR_CREATE / XATTR_REPLACE */
	__u32	setxattr_flags;	/* FUSE_SETXATTR_* (FUSE_SETXATTR_EXT) */
	__u32	padding;	/* must be 0 */
};

/* 8 bytes; FUSE_GETXATTR and FUSE_LISTXATTR, followed by the name. */
struct fuse_getxattr_in {
	__u32	size;		/* caller's buffer, bytes; 0 = ask for size */
	__u32	padding;	/* must be 0 */
};

/* 8 bytes; GETXATTR/LISTXATTR reply when size was 0. */
struct fuse_getxattr_out {
	__u32	size;		/* bytes needed */
	__u32	padding;	/* must be 0 */
};

/* 48 bytes; FUSE_GETLK, FUSE_SETLK and FUSE_SETLKW. */
struct fuse_lk_in {
	__u64	fh;		/* file handle from OPEN */
	__u64	owner;		/* lock owner */
	struct fuse_file_lock lk;
	__u32	lk_flags;	/* FUSE_LK_* */
	__u32	padding;	/* must be 0 */
};

/* 24 bytes; FUSE_GETLK reply. */
struct fuse_lk_out {
	struct fuse_file_lock lk;
};

/* 8 bytes; FUSE_ACCESS. */
struct fuse_access_in {
	__u32	mask;		/* R_OK, W_OK, X_OK */
	__u32	padding;	/* must be 0 */
};

/* 8 bytes; FUSE_INTERRUPT. */
struct fuse_interrupt_in {
	__u64	unique;		/* the request to interrupt */
};

/* 16 bytes; FUSE_BMAP. */
struct fuse_bmap_in {
	__u64	block;		/* file block, blocksize units */
	__u32	blocksize;	/* bytes */
	__u32	padding;	/* must be 0 */
};

/* 8 bytes; FUSE_BMAP reply. */
struct fuse_bmap_out {
	__u64	block;		/* device block, blocksize units */
};

/* 32 bytes; FUSE_IOCTL, followed by in_size bytes of input. */
struct fuse_ioctl_in {
	__u64	fh;		/* file handle from OPEN */
	__u32	flags;		/* FUSE_IOCTL_* */
	__u32	cmd;		/* ioctl number */
	__u64	arg;		/* ioctl argument (a user address or value) */
	__u32	in_size;	/* bytes of input that follow */
	__u32	out_size;	/* bytes of output wanted */
};

/* 16 bytes; an iovec in the caller's address space. */
struct fuse_ioctl_iovec {
	__u64	base;		/* user address */
	__u64	len;		/* bytes */
};

/* 16 bytes; FUSE_IOCTL reply, followed by iovecs or output. */
struct fuse_ioctl_out {
	__s32	result;		/* ioctl return value */
	__u32	flags;		/* FUSE_IOCTL_* */
	__u32	in_iovs;	/* with FUSE_IOCTL_RETRY: input iovecs, count */
	__u32	out_iovs;	/* with FUSE_IOCTL_RETRY: output iovecs, count */
};

/* 24 bytes; FUSE_POLL. */
struct fuse_poll_in {
	__u64	fh;		/* file handle from OPEN */
	__u64	kh;		/* kernel handle for FUSE_NOTIFY_POLL */
	__u32	flags;		/* FUSE_POLL_* */
	__u32	events;		/* POLL* wanted */
};

/* 8 bytes; FUSE_POLL reply. */
struct fuse_poll_out {
	__u32	revents;	/* POLL* ready */
	__u32	padding;	/* must be 0 */
};

/* 32 bytes; FUSE_FALLOCATE. */
struct fuse_fallocate_in {
	__u64	fh;		/* file handle from OPEN */
	__u64	offset;		/* bytes */
	__u64	length;		/* bytes */
	__u32	mode;		/* FALLOC_FL_* */
	__u32	padding;	/* must be 0 */
};

/* 24 bytes; FUSE_LSEEK. */
struct fuse_lseek_in {
	__u64	fh;		/* file handle from OPEN */
	__u64	offset;		/* bytes */
	__u32	whence;		/* SEEK_DATA or SEEK_HOLE */
	__u32	padding;	/* must be 0 */
};

/* 8 bytes; FUSE_LSEEK reply. */
struct fuse_lseek_out {
	__u64	offset;		/* bytes */
};

/* 56 bytes; FUSE_COPY_FILE_RANGE and FUSE_COPY_FILE_RANGE_64. */
struct fuse_copy_file_range_in {
	__u64	fh_in;		/* source file handle */
	__u64	off_in;		/* source offset, bytes */
	__u64	nodeid_out;	/* destination node id */
	__u64	fh_out;		/* destination file handle */
	__u64	off_out;	/* destination offset, bytes */
	__u64	len;		/* bytes */
	__u64	flags;		/* copy_file_range(2) flags, 0 */
};

/* 8 bytes; FUSE_COPY_FILE_RANGE_64 reply (the older op uses write_out). */
struct fuse_copy_file_range_out {
	__u64	bytes_copied;	/* bytes */
};

/* fuse_setupmapping_in.flags (virtiofs DAX). */
#define FUSE_SETUPMAPPING_FLAG_WRITE	(1ULL << 0)
#define FUSE_SETUPMAPPING_FLAG_READ	(1ULL << 1)

/* 40 bytes; FUSE_SETUPMAPPING (virtiofs DAX window). */
struct fuse_setupmapping_in {
	__u64	fh;		/* file handle from OPEN */
	__u64	foffset;	/* file offset, bytes */
	__u64	len;		/* bytes */
	__u64	flags;		/* FUSE_SETUPMAPPING_FLAG_* */
	__u64	moffset;	/* offset in the DAX window, bytes */
};

/* 4 bytes; FUSE_REMOVEMAPPING, followed by count fuse_removemapping_one. */
struct fuse_removemapping_in {
	__u32	count;		/* entries that follow */
};

/* 16 bytes; one range of FUSE_REMOVEMAPPING. */
struct fuse_removemapping_one {
	__u64	moffset;	/* offset in the DAX window, bytes */
	__u64	len;		/* bytes */
};

/* 8 bytes; FUSE_SYNCFS. */
struct fuse_syncfs_in {
	__u64	padding;	/* must be 0 */
};

/*
 * Request extensions
 * ------------------
 * fuse_in_header.total_extlen 8-byte units of extensions may follow a
 * request's arguments, each starting with fuse_ext_header.
 */
enum fuse_ext_type {
	/* Types 0-31 are taken by fuse_secctx_header (its nr_secctx). */
	FUSE_MAX_NR_SECCTX	= 31,
	FUSE_EXT_GROUPS		= 32,	/* fuse_supp_groups */
};

/* 8 bytes; precedes each extension. */
struct fuse_ext_header {
	__u32	size;		/* extension incl. this header, bytes (8-aligned) */
	__u32	type;		/* enum fuse_ext_type */
};

/* 8 bytes; precedes the security contexts (FUSE_SECURITY_CTX). */
struct fuse_secctx_header {
	__u32	size;		/* all contexts incl. this header, bytes */
	__u32	nr_secctx;	/* contexts that follow, count */
};

/* 8 bytes; one security context, followed by its name and value. */
struct fuse_secctx {
	__u32	size;		/* value, bytes */
	__u32	padding;	/* must be 0 */
};

/* 4 bytes + groups; FUSE_EXT_GROUPS (FUSE_CREATE_SUPP_GROUP). */
struct fuse_supp_groups {
	__u32	nr_groups;	/* count */
	__u32	groups[];	/* gids */
};

/*
 * Directory entries
 * -----------------
 * READDIR returns packed fuse_dirent records, READDIRPLUS fuse_direntplus;
 * each record is padded to 8 bytes.
 */

/* 24 bytes + name. */
struct fuse_dirent {
	__u64	ino;		/* server's inode number */
	__u64	off;		/* offset of the next entry (cookie) */
	__u32	namelen;	/* bytes, no NUL */
	__u32	type;		/* DT_* */
	char	name[];
};

/* 152 bytes + name. */
struct fuse_direntplus {
	struct fuse_entry_out entry_out;
	struct fuse_dirent dirent;
};

/* Record sizes, bytes (offsetof needs <stddef.h> in userspace). */
#define FUSE_REC_ALIGN(x) \
	(((x) + sizeof(__u64) - 1) & ~(sizeof(__u64) - 1))
#define FUSE_NAME_OFFSET		offsetof(struct fuse_dirent, name)
#define FUSE_DIRENT_ALIGN(x)		FUSE_REC_ALIGN(x)
#define FUSE_DIRENT_SIZE(d) \
	FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + (d)->namelen)
#define FUSE_NAME_OFFSET_DIRENTPLUS \
	offsetof(struct fuse_direntplus, dirent.name)
#define FUSE_DIRENTPLUS_SIZE(d) \
	FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + (d)->dirent.namelen)

/*
 * Classic notifications
 * ---------------------
 * Written by the server with fuse_out_header.unique 0 and .error set to
 * the fuse_notify_code.
 */

/* 8 bytes; FUSE_NOTIFY_POLL. */
struct fuse_notify_poll_wakeup_out {
	__u64	kh;		/* kernel handle from fuse_poll_in */
};

/* 24 bytes; FUSE_NOTIFY_INVAL_INODE. */
struct fuse_notify_inval_inode_out {
	__u64	ino;		/* node id */
	__s64	off;		/* first byte to drop, bytes; < 0: attrs only */
	__s64	len;		/* bytes; <= 0: to the end */
};

/* 16 bytes; FUSE_NOTIFY_INVAL_ENTRY, followed by the name. */
struct fuse_notify_inval_entry_out {
	__u64	parent;		/* node id of the directory */
	__u32	namelen;	/* bytes, no NUL */
	__u32	flags;		/* FUSE_EXPIRE_ONLY */
};

/* 24 bytes; FUSE_NOTIFY_DELETE, followed by the name. */
struct fuse_notify_delete_out {
	__u64	parent;		/* node id of the directory */
	__u64	child;		/* node id of the deleted entry */
	__u32	namelen;	/* bytes, no NUL */
	__u32	padding;	/* must be 0 */
};

/* 24 bytes; FUSE_NOTIFY_STORE, followed by the data. */
struct fuse_notify_store_out {
	__u64	nodeid;
	__u64	offset;		/* file offset, bytes */
	__u32	size;		/* bytes of data that follow */
	__u32	padding;	/* must be 0 */
};

/* 32 bytes; FUSE_NOTIFY_RETRIEVE. */
struct fuse_notify_retrieve_out {
	__u64	notify_unique;	/* echoed in the NOTIFY_REPLY request */
	__u64	nodeid;
	__u64	offset;		/* file offset, bytes */
	__u32	size;		/* bytes */
	__u32	padding;	/* must be 0 */
};

/* 40 bytes (as fuse_write_in); FUSE_NOTIFY_REPLY request, then the data. */
struct fuse_notify_retrieve_in {
	__u64	dummy1;		/* 0 */
	__u64	offset;		/* file offset, bytes */
	__u32	size;		/* bytes of data that follow */
	__u32	dummy2;		/* 0 */
	__u64	dummy3;		/* 0 */
	__u64	dummy4;		/* 0 */
};

/* 16 bytes; FUSE_NOTIFY_PRUNE, followed by count node ids (__u64). */
struct fuse_notify_prune_out {
	__u32	count;		/* node ids that follow */
	__u32	padding;	/* must be 0 */
	__u64	spare;		/* must be 0 */
};

/*
 * iomap extension
 * ---------------
 * The server describes where file data lives on its block devices; the
 * kernel then does the data I/O itself.  A device is named by a cookie the
 * server obtained from FUSE_DEV_IOC_BACKING_OPEN.
 */

/* fuse_iomap_io.type.  0-4 equal the kernel's IOMAP_* types. */
#define FUSE_IOMAP_TYPE_HOLE		0	/* no storage; reads as zeroes */
#define FUSE_IOMAP_TYPE_DELALLOC	1	/* space reserved, not yet placed */
#define FUSE_IOMAP_TYPE_MAPPED		2	/* data at addr on dev */
#define FUSE_IOMAP_TYPE_UNWRITTEN	3	/* allocated at addr on dev, reads as zeroes */
#define FUSE_IOMAP_TYPE_INLINE		4	/* data travels via FUSE_READ/FUSE_WRITE */
/* Upsert only: leave this half out of the kernel's mapping cache. */
#define FUSE_IOMAP_TYPE_NOCACHE		253
/* Begin reply only: the server upserted the answer; look in the cache again. */
#define FUSE_IOMAP_TYPE_RETRY_CACHE	254
/* Write half only: the write goes where the read half says. */
#define FUSE_IOMAP_TYPE_PURE_OVERWRITE	255

/*
 * fuse_iomap_io.flags.  Not the kernel's IOMAP_F_* values: the client
 * translates bit by bit, because the kernel's bits move between releases.
 */
#define FUSE_IOMAP_F_NEW		(1U << 0)	/* freshly allocated */
#define FUSE_IOMAP_F_DIRTY		(1U << 1)	/* metadata needs fdatasync */
#define FUSE_IOMAP_F_SHARED		(1U << 2)	/* blocks shared, unshare on write */
#define FUSE_IOMAP_F_MERGED		(1U << 3)	/* merge of several extents */
#define FUSE_IOMAP_F_BOUNDARY		(1U << 4)	/* do not merge I/O across start */
#define FUSE_IOMAP_F_ANON_WRITE		(1U << 5)	/* placement decided at submit */
#define FUSE_IOMAP_F_ATOMIC_BIO		(1U << 6)	/* one untorn bio */
#define FUSE_IOMAP_F_WANT_IOMAP_END	(1U << 7)	/* send FUSE_IOMAP_END */
/* Kernel to server only (FUSE_IOMAP_END): */
#define FUSE_IOMAP_F_SIZE_CHANGED	(1U << 8)	/* the write grew i_size */
#define FUSE_IOMAP_F_STALE		(1U << 9)	/* mapping went stale mid-op */

/* fuse_iomap_*_in.opflags: why the kernel asks. */
#define FUSE_IOMAP_OP_WRITE		(1U << 0)	/* write; allocate */
#define FUSE_IOMAP_OP_ZERO		(1U << 1)	/* zeroing; holes may stay */
#define FUSE_IOMAP_OP_REPORT		(1U << 2)	/* FIEMAP, SEEK_DATA/HOLE, bmap */
#define FUSE_IOMAP_OP_FAULT		(1U << 3)	/* page fault */
#define FUSE_IOMAP_OP_DIRECT		(1U << 4)	/* direct I/O */
#define FUSE_IOMAP_OP_NOWAIT		(1U << 5)	/* must not block */
#define FUSE_IOMAP_OP_OVERWRITE_ONLY	(1U << 6)	/* no allocation allowed */
#define FUSE_IOMAP_OP_UNSHARE		(1U << 7)	/* unshare shared blocks */
#define FUSE_IOMAP_OP_DAX		(1U << 8)	/* DAX access */
#define FUSE_IOMAP_OP_ATOMIC		(1U << 9)	/* untorn write */
#define FUSE_IOMAP_OP_DONTCACHE		(1U << 10)	/* uncached buffered I/O */
#define FUSE_IOMAP_OP_SWAPFILE		(1U << 30)	/* swapon; never cached */
/* Pagecache writeback; sent without FUSE_IOMAP_OP_WRITE. */
#define FUSE_IOMAP_OP_WRITEBACK		(1U << 31)

/* fuse_iomap_io.addr when there is no device address. */
#define FUSE_IOMAP_NULL_ADDR		(~0ULL)
/* fuse_iomap_io.dev when there is no device. */
#define FUSE_IOMAP_DEV_NULL		0U

/* 32 bytes; one mapping of a file range. */
struct fuse_iomap_io {
	__u64	offset;		/* file offset, bytes */
	__u64	length;		/* bytes */
	__u64	addr;		/* device offset, bytes, or FUSE_IOMAP_NULL_ADDR */
	__u16	type;		/* FUSE_IOMAP_TYPE_* */
	__u16	flags;		/* FUSE_IOMAP_F_* */
	__u32	dev;		/* backing id, or FUSE_IOMAP_DEV_NULL */
};

/* 32 bytes; FUSE_IOMAP_BEGIN request body. */
struct fuse_iomap_begin_in {
	__u32	opflags;	/* FUSE_IOMAP_OP_* */
	__u32	reserved;	/* 0 */
	__u64	attr_ino;	/* fuse_attr.ino of the file */
	__u64	pos;		/* file offset, bytes */
	__u64	count;		/* bytes */
};

/*
 * 64 bytes; FUSE_IOMAP_BEGIN reply.  Both halves must cover begin_in.pos.
 * A write-type request uses .write as the destination and .read as the
 * source of unchanged data, unless .write is PURE_OVERWRITE.
 */
struct fuse_iomap_begin_out {
	struct fuse_iomap_io	read;	/* where the data is read from */
	struct fuse_iomap_io	write;	/* where new data is written to */
};

/* 72 bytes; FUSE_IOMAP_END request body. */
struct fuse_iomap_end_in {
	__u32	opflags;	/* FUSE_IOMAP_OP_* */
	__u32	reserved;	/* 0 */
	__u64	attr_ino;	/* fuse_attr.ino of the file */
	__u64	pos;		/* file offset of the operation, bytes */
	__u64	count;		/* bytes asked for */
	__s64	written;	/* bytes done, may be 0 */
	struct fuse_iomap_io map; /* the mapping that was used */
};

/* fuse_iomap_ioend_in.flags. */
#define FUSE_IOMAP_IOEND_SHARED		(1U << 0)	/* out-of-place write */
#define FUSE_IOMAP_IOEND_UNWRITTEN	(1U << 1)	/* wrote unwritten extents */
#define FUSE_IOMAP_IOEND_BOUNDARY	(1U << 2)	/* merge boundary */
#define FUSE_IOMAP_IOEND_DIRECT		(1U << 3)	/* direct I/O */
#define FUSE_IOMAP_IOEND_APPEND		(1U << 4)	/* wrote past on-disk size */
#define FUSE_IOMAP_IOEND_WRITEBACK	(1U << 5)	/* pagecache writeback */
#define FUSE_IOMAP_IOEND_SWAPOFF	(1U << 6)	/* swapfile released */

/* 48 bytes; FUSE_IOMAP_IOEND request body. */
struct fuse_iomap_ioend_in {
	__u32	flags;		/* FUSE_IOMAP_IOEND_* */
	__s32	error;		/* 0 or -errno of the I/O */
	__u64	attr_ino;	/* fuse_attr.ino of the file */
	__u64	pos;		/* file offset, bytes */
	__u64	new_addr;	/* device offset written, bytes, or NULL_ADDR */
	__u64	written;	/* bytes */
	__u32	dev;		/* backing id written to, or FUSE_IOMAP_DEV_NULL */
	__u32	pad;		/* 0 */
};

/* 8 bytes; FUSE_IOMAP_IOEND reply. */
struct fuse_iomap_ioend_out {
	__u64	newsize;	/* on-disk file size after the I/O, bytes */
};

/* fuse_iomap_config_{in,out}.flags: which config_out fields are set. */
#define FUSE_IOMAP_CONFIG_SID		(1ULL << 0)	/* s_id */
#define FUSE_IOMAP_CONFIG_UUID		(1ULL << 1)	/* s_uuid, s_uuid_len */
#define FUSE_IOMAP_CONFIG_BLOCKSIZE	(1ULL << 2)	/* s_blocksize */
#define FUSE_IOMAP_CONFIG_MAX_LINKS	(1ULL << 3)	/* s_max_links */
#define FUSE_IOMAP_CONFIG_TIME		(1ULL << 4)	/* s_time_gran/min/max */
#define FUSE_IOMAP_CONFIG_MAXBYTES	(1ULL << 5)	/* s_maxbytes */
#define FUSE_IOMAP_CONFIG_CACHE_MAXBYTES (1ULL << 6)	/* cache_maxbytes */

/* 64 bytes; FUSE_IOMAP_CONFIG request body. */
struct fuse_iomap_config_in {
	__u64	flags;		/* FUSE_IOMAP_CONFIG_* the kernel understands */
	__s64	maxbytes;	/* largest file the kernel supports, bytes */
	__u32	cache_maxbytes;	/* default per-inode mapping cache cap, bytes */
	__u32	zero;		/* 0 */
	__u64	padding[5];	/* 0 */
};

/*
 * 104 bytes; FUSE_IOMAP_CONFIG reply.  A shorter reply from an older server
 * is accepted; absent fields are unset.  The tail padding is spelled out so
 * that the size is also 104 on ABIs that align __s64 to 4 bytes (i386).
 */
struct fuse_iomap_config_out {
	__u64	flags;		/* FUSE_IOMAP_CONFIG_* fields set below */
	char	s_id[32];	/* name shown in logs, NUL-padded */
	char	s_uuid[16];	/* filesystem UUID, raw bytes */
	__u8	s_uuid_len;	/* bytes of s_uuid in use */
	__u8	s_pad[3];	/* 0 */
	__u32	s_blocksize;	/* bytes, power of two */
	__u32	s_max_links;	/* hard links per inode, count */
	__u32	s_time_gran;	/* timestamp granularity, ns */
	__s64	s_time_min;	/* earliest timestamp, s */
	__s64	s_time_max;	/* latest timestamp, s */
	__s64	s_maxbytes;	/* largest file, bytes */
	__u32	cache_maxbytes;	/* per-inode mapping cache cap, bytes */
	__u32	reserved;	/* 0 */
};

/* 16 bytes; a byte range. */
struct fuse_range {
	__u64	offset;		/* bytes */
	__u64	length;		/* bytes */
};

/* fuse_range.length meaning "to the end" in mapping invalidations. */
#define FUSE_IOMAP_INVAL_TO_EOF		(~0ULL)

/* 24 bytes; FUSE_NOTIFY_IOMAP_DEV_INVAL: drop a device's pagecache. */
struct fuse_iomap_dev_inval_out {
	__u32	dev;		/* backing id */
	__u32	reserved;	/* 0 */
	struct fuse_range range; /* device offsets, bytes */
};

/*
 * 48 bytes; FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS: forget cached mappings.  A
 * range of length 0 leaves that fork alone.
 */
struct fuse_iomap_inval_mappings_out {
	__u64	nodeid;		/* node id of the file */
	__u64	attr_ino;	/* fuse_attr.ino of the file */
	struct fuse_range read;	 /* file range of the read fork, bytes */
	struct fuse_range write; /* file range of the write fork, bytes */
};

/* 80 bytes; FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS: add mappings to the cache. */
struct fuse_iomap_upsert_mappings_out {
	__u64	nodeid;		/* node id of the file */
	__u64	attr_ino;	/* fuse_attr.ino of the file */
	struct fuse_iomap_io read;  /* read fork mapping, or NOCACHE */
	struct fuse_iomap_io write; /* write fork mapping, or NOCACHE */
};

/* 8 bytes; FUSE_FREEZE_FS request body. */
struct fuse_freezefs_in {
	__u64	unlinked;	/* open but unlinked inodes, count */
};

/* 8 bytes; FUSE_SHUTDOWN_FS request body. */
struct fuse_shutdownfs_in {
	__u64	flags;		/* none defined yet, 0 */
};

/*
 * Device ioctls
 * -------------
 */

/* fuse_backing_map.flags: the low byte selects what is being registered. */
#define FUSE_BACKING_TYPE_MASK		0xFFU
#define FUSE_BACKING_TYPE_PASSTHROUGH	0U	/* a file for passthrough I/O */
#define FUSE_BACKING_TYPE_IOMAP		1U	/* a block device for iomap */

/* 16 bytes; FUSE_DEV_IOC_BACKING_OPEN argument. */
struct fuse_backing_map {
	__s32	fd;		/* open file or block device */
	__u32	flags;		/* FUSE_BACKING_TYPE_*; other bits 0 */
	__u64	padding;	/* 0 */
};

/* fuse_iomap_support.flags. */
#define FUSE_IOMAP_SUPPORT_FILEIO	(1ULL << 0)	/* iomap file I/O usable */
#define FUSE_IOMAP_SUPPORT_ATOMIC	(1ULL << 1)	/* untorn writes usable */

/* 16 bytes; FUSE_DEV_IOC_IOMAP_SUPPORT result. */
struct fuse_iomap_support {
	__u64	flags;		/* FUSE_IOMAP_SUPPORT_* */
	__u64	padding;	/* 0 */
};

#define FUSE_DEV_IOC_MAGIC		229
#define FUSE_DEV_IOC_CLONE		_IOR(FUSE_DEV_IOC_MAGIC, 0, __u32)
/* Returns the backing id (> 0), which is the device cookie for iomap. */
#define FUSE_DEV_IOC_BACKING_OPEN	_IOW(FUSE_DEV_IOC_MAGIC, 1, \
					     struct fuse_backing_map)
#define FUSE_DEV_IOC_BACKING_CLOSE	_IOW(FUSE_DEV_IOC_MAGIC, 2, __u32)
#define FUSE_DEV_IOC_SYNC_INIT		_IO(FUSE_DEV_IOC_MAGIC, 3)
#define FUSE_DEV_IOC_IOMAP_SUPPORT	_IOR(FUSE_DEV_IOC_MAGIC, 99, \
					     struct fuse_iomap_support)
/* Argument 1 or 0: set or clear NOFS allocation for the calling thread. */
#define FUSE_DEV_IOC_SET_NOFS		_IOW(FUSE_DEV_IOC_MAGIC, 100, __u32)
/* Privileged helper pre-approves iomap for the server holding this fd. */
#define FUSE_DEV_IOC_ADD_IOMAP		_IO(FUSE_DEV_IOC_MAGIC, 101)

#endif /* _UAPI_LINUX_FUSE_IOMAP_H */
