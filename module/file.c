// SPDX-License-Identifier: GPL-2.0
/*
 * Open files and the classic data path.
 *
 * Inodes that are not iomap inodes move their data through the server with
 * FUSE_READ and FUSE_WRITE.  This client does it direct and uncached: each
 * read(2) or write(2) becomes requests of at most max_read / max_write
 * bytes, nothing is kept in the page cache, and mmap is not offered.  That
 * is correct for any server and gives inline-data files of an iomap server
 * a path later; the page cache is the iomap path's business.
 *
 * A reply to READ may be short (end of file); a reply to WRITE must not
 * claim more bytes than were sent.
 *
 * Record locks and BSD locks go to the server when it negotiated
 * POSIX_LOCKS or FLOCK_LOCKS, and stay local to this kernel otherwise.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
/* falloc.h relies on the types fs.h brings in. */
#include <linux/falloc.h>
#include <linux/filelock.h>
#include <linux/once.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#include "fim.h"
#include "req.h"

/**
 * fim_file_open_common() - send OPEN or OPENDIR and remember the handle
 * @inode: the inode being opened
 * @file: the new file
 * @isdir: OPENDIR instead of OPEN
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno.
 */
int fim_file_open_common(struct inode *inode, struct file *file, bool isdir)
{
	struct fuse_open_in in = { };
	struct fuse_open_out out;
	struct fim_file *ff;
	int error;

	if (test_bit(FIM_I_BAD, &FIM_I(inode)->state))
		return -EIO;
	ff = kzalloc(sizeof(*ff), GFP_KERNEL);
	if (!ff)
		return -ENOMEM;
	in.flags = file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY);
	/* Without ATOMIC_O_TRUNC the VFS truncates with SETATTR after OPEN. */
	if (!fim_conn_of(inode)->atomic_o_trunc)
		in.flags &= ~O_TRUNC;
	error = fim_simple_request(fim_conn_of(inode),
				   isdir ? FUSE_OPENDIR : FUSE_OPEN,
				   FIM_I(inode)->nodeid, &in, sizeof(in),
				   &out, sizeof(out));
	if (error) {
		kfree(ff);
		return error;
	}
	ff->fh = out.fh;
	ff->open_flags = out.open_flags;
	file->private_data = ff;
	if (!isdir && (file->f_flags & O_TRUNC) &&
	    fim_conn_of(inode)->atomic_o_trunc)
		fim_inode_set_size(inode, 0, false);	/* truncated at OPEN */
	return 0;
}

/*
 * The last reference to the inode of a background RELEASE goes here, in a
 * kworker: the request may end in the server's write() (the server would
 * run eviction, and its own FORGET, inside its reply) or inside an abort.
 * The request, and with it the connection, stay referenced until the
 * waiter of unmount is woken.
 */
static void fim_file_release_work(struct work_struct *work)
{
	struct fim_req *req = container_of(work, struct fim_req, end_work);
	struct fim_conn *fc = req->fc;

	iput(req->end_inode);
	if (atomic_dec_and_test(&fc->releases))
		wake_up_all(&fc->blocked_waitq);
	fim_req_put(req);
}

/* A background RELEASE was answered: the node may be forgotten now. */
static void fim_file_release_end(struct fim_conn *fc, struct fim_req *req)
{
	refcount_inc(&req->refs);
	queue_work(fim_wq, &req->end_work);
}

/**
 * fim_file_send_release() - give a file handle back to the server
 * @fc: the connection
 * @inode: the inode the handle is for, or NULL if the kernel has none
 * @nodeid: the node the handle is for
 * @rin: the request: handle (from OPEN, OPENDIR, CREATE or TMPFILE), open
 *	flags, release flags and lock owner
 * @isdir: RELEASEDIR instead of RELEASE
 *
 * Nobody waits for the answer: a hung server must not block close(2).
 * The request holds a reference to @inode until it is answered, so that
 * the FORGET of eviction cannot overtake it: a multi-threaded server may
 * handle requests out of order, and must never see a node forgotten
 * while one of its handles is still open.  fim_file_wait_releases() lets
 * unmount wait for these references.  At most FIM_MAX_BG_RELEASES are in
 * flight: beyond, close(2) waits (killably) for the server to catch up,
 * so that a server that never answers cannot pin inodes without limit;
 * kworkers and exiting tasks do not wait.
 *
 * Context: process context, may sleep (allocation, the limit).
 */
void fim_file_send_release(struct fim_conn *fc, struct inode *inode,
			   u64 nodeid, const struct fuse_release_in *rin,
			   bool isdir)
{
	struct fim_req *req;

	req = fim_req_alloc(fc, isdir ? FUSE_RELEASEDIR : FUSE_RELEASE,
			    nodeid, sizeof(*rin), 0);
	if (IS_ERR(req))
		return;
	memcpy(fim_req_args(req), rin, sizeof(*rin));
	INIT_WORK(&req->end_work, fim_file_release_work);
	if (!inode) {
		fim_req_send_bg(fc, req, NULL);
		return;
	}
	req->end_inode = igrab(inode);
	if (!req->end_inode) {
		fim_req_send_bg(fc, req, NULL);
		return;
	}
	/*
	 * A killed closer sends anyway: the handle must not leak.  So do a
	 * kworker (delayed fput) and an exiting task, which no signal
	 * reaches: they must not wait for the server.
	 */
	if (!(current->flags & (PF_KTHREAD | PF_EXITING)))
		wait_event_killable(fc->blocked_waitq,
				    atomic_read(&fc->releases) <
					FIM_MAX_BG_RELEASES ||
				    !READ_ONCE(fc->connected));
	atomic_inc(&fc->releases);
	/* Not queued (the connection is gone): nobody calls the end. */
	if (fim_req_send_bg(fc, req, fim_file_release_end)) {
		iput(inode);
		if (atomic_dec_and_test(&fc->releases))
			wake_up_all(&fc->blocked_waitq);
	}
}

/**
 * fim_file_wait_releases() - wait until every background RELEASE ended
 * @fc: the connection of a superblock being shut down
 *
 * The inode references those requests hold must be gone before the
 * superblock evicts its inodes.  The caller holds s_umount and may be a
 * kworker no signal reaches (the last reference of a lazily unmounted
 * tree), and a server handling RELEASE that calls sync(2) waits for that
 * s_umount: so the wait is bounded (unmount_timeout), and a server that
 * does not answer by then, or a killed unmounter, aborts the connection,
 * which ends the requests.
 *
 * Context: process context, may sleep; s_umount held, no locks of this
 * module.
 */
void fim_file_wait_releases(struct fim_conn *fc)
{
	unsigned long timeout = (unsigned long)READ_ONCE(fim_unmount_timeout_secs) * HZ;

	if (wait_event_killable_timeout(fc->blocked_waitq,
					!atomic_read(&fc->releases),
					timeout) <= 0) {
		if (atomic_read(&fc->releases))
			pr_warn("server did not answer %d RELEASEs at unmount: aborting the connection\n",
				atomic_read(&fc->releases));
		fim_conn_abort(fc);
	}
	/* The ends run on fim_wq, which never waits for the server. */
	wait_event(fc->blocked_waitq, !atomic_read(&fc->releases));
}

/**
 * fim_file_release_common() - send RELEASE or RELEASEDIR
 * @inode: the inode
 * @file: the file being released
 * @isdir: RELEASEDIR instead of RELEASE
 *
 * If the file took BSD locks through the server, RELEASE asks the server
 * to drop them (FUSE_RELEASE_FLOCK_UNLOCK): the VFS never saw them.
 *
 * Context: process context, may sleep (allocation).
 */
void fim_file_release_common(struct inode *inode, struct file *file,
			     bool isdir)
{
	struct fim_file *ff = file->private_data;
	struct fuse_release_in rin = { };

	if (!ff)
		return;
	rin.fh = ff->fh;
	rin.flags = file->f_flags;
	if (READ_ONCE(ff->flock)) {
		rin.release_flags = FUSE_RELEASE_FLOCK_UNLOCK;
		rin.lock_owner = fim_lock_owner_id(file);
	}
	fim_file_send_release(fim_conn_of(inode), inode, FIM_I(inode)->nodeid,
			      &rin, isdir);
	kfree(ff);
}

/**
 * fim_file_allow_odirect() - accept O_DIRECT on a regular file
 * @file: the file being opened
 *
 * Every read and write of a file on the classic data path already goes
 * straight to the server, uncached, so O_DIRECT asks for nothing more:
 * without this flag the VFS would refuse O_DIRECT opens with EINVAL.
 */
void fim_file_allow_odirect(struct file *file)
{
	file->f_mode |= FMODE_CAN_ODIRECT;
}

static int fim_file_open(struct inode *inode, struct file *file)
{
	int error;

	error = generic_file_open(inode, file);
	if (error)
		return error;
	fim_file_allow_odirect(file);
	return fim_file_open_common(inode, file, false);
}

static int fim_file_release(struct inode *inode, struct file *file)
{
	fim_file_release_common(inode, file, false);
	return 0;
}

static ssize_t fim_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct fim_file *ff = file->private_data;
	struct fim_conn *fc = fim_conn_of(inode);
	ssize_t done = 0;
	int error = 0;

	while (iov_iter_count(to)) {
		size_t count = min_t(size_t, iov_iter_count(to), fc->max_read);
		struct fuse_read_in *in;
		struct fim_req *req;
		size_t got;

		req = fim_req_alloc(fc, FUSE_READ, FIM_I(inode)->nodeid,
				    sizeof(*in), count);
		if (IS_ERR(req)) {
			error = PTR_ERR(req);
			break;
		}
		req->out_var = true;
		req->out_min = 0;
		in = fim_req_args(req);
		in->fh = ff->fh;
		in->offset = iocb->ki_pos;
		in->size = count;
		in->flags = file->f_flags;
		error = fim_req_send(fc, req);
		if (error) {
			fim_req_put(req);
			break;
		}
		got = copy_to_iter(req->out, req->out_len, to);
		fim_req_put(req);
		iocb->ki_pos += got;
		done += got;
		if (got < count)
			break;	/* end of file, or a fault in the buffer */
	}
	file_accessed(file);
	return done ? done : error;
}

static ssize_t fim_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct fim_file *ff = file->private_data;
	struct fim_conn *fc = fim_conn_of(inode);
	ssize_t done = 0;
	ssize_t ret;
	int error = 0;

	inode_lock(inode);
	/* O_APPEND needs the server's idea of the size. */
	if (iocb->ki_flags & IOCB_APPEND) {
		error = fim_inode_refresh(inode, true);
		if (error)
			goto out_unlock;
	}
	ret = generic_write_checks(iocb, from);
	if (ret <= 0) {
		error = ret;
		goto out_unlock;
	}
	while (iov_iter_count(from)) {
		size_t count = min_t(size_t, iov_iter_count(from),
				     fc->max_write);
		struct fuse_write_out *out;
		struct fuse_write_in *in;
		struct fim_req *req;
		u32 written = 0;

		req = fim_req_alloc(fc, FUSE_WRITE, FIM_I(inode)->nodeid,
				    sizeof(*in) + count, sizeof(*out));
		if (IS_ERR(req)) {
			error = PTR_ERR(req);
			break;
		}
		in = fim_req_args(req);
		in->fh = ff->fh;
		in->offset = iocb->ki_pos;
		in->size = count;
		in->flags = file->f_flags;
		if (!copy_from_iter_full(in + 1, count, from)) {
			fim_req_put(req);
			error = -EFAULT;
			break;
		}
		error = fim_req_send(fc, req);
		out = req->out;
		if (!error && out->size > count) {
			pr_warn_ratelimited("WRITE reply claims %u bytes of %zu\n",
					    out->size, count);
			error = -EIO;
		}
		if (!error) {
			written = out->size;
			iocb->ki_pos += written;
			done += written;
			fim_inode_set_size(inode, iocb->ki_pos, true);
			if (written < count)
				iov_iter_revert(from, count - written);
		}
		fim_req_put(req);
		if (error || !written)
			break;
	}
	/* Cached times and blocks are stale now. */
	fim_inode_expire_attr(inode);
out_unlock:
	inode_unlock(inode);
	return done ? done : error;
}

static int fim_file_fsync(struct file *file, loff_t start, loff_t end,
			  int datasync)
{
	struct inode *inode = file_inode(file);
	struct fim_file *ff = file->private_data;
	struct fuse_fsync_in in = { };
	int error;

	in.fh = ff->fh;
	in.fsync_flags = datasync ? FUSE_FSYNC_FDATASYNC : 0;
	error = fim_simple_request(fim_conn_of(inode), FUSE_FSYNC,
				   FIM_I(inode)->nodeid, &in, sizeof(in),
				   NULL, 0);
	return error == -ENOSYS ? 0 : error;
}

/*
 * close(2) of a descriptor: the server may write back or report a
 * deferred error, and drops the POSIX locks of the closing owner (@id).
 */
static int fim_file_flush(struct file *file, fl_owner_t id)
{
	struct inode *inode = file_inode(file);
	struct fim_conn *fc = fim_conn_of(inode);
	struct fim_file *ff = file->private_data;
	struct fuse_flush_in in = { };
	int error;

	if (READ_ONCE(fc->no_flush))
		return 0;
	in.fh = ff->fh;
	in.lock_owner = fim_lock_owner_id(id);
	error = fim_simple_request(fc, FUSE_FLUSH, FIM_I(inode)->nodeid, &in,
				   sizeof(in), NULL, 0);
	if (error == -ENOSYS) {
		WRITE_ONCE(fc->no_flush, true);
		error = 0;
	}
	return error;
}

static long fim_file_fallocate(struct file *file, int mode, loff_t offset,
			       loff_t length)
{
	struct inode *inode = file_inode(file);
	struct fim_conn *fc = fim_conn_of(inode);
	struct fim_file *ff = file->private_data;
	struct fuse_fallocate_in in = { };
	int error;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
		     FALLOC_FL_ZERO_RANGE))
		return -EOPNOTSUPP;
	if (READ_ONCE(fc->no_fallocate))
		return -EOPNOTSUPP;
	in.fh = ff->fh;
	in.offset = offset;
	in.length = length;
	in.mode = mode;
	inode_lock(inode);
	error = fim_simple_request(fc, FUSE_FALLOCATE, FIM_I(inode)->nodeid,
				   &in, sizeof(in), NULL, 0);
	if (error == -ENOSYS) {
		WRITE_ONCE(fc->no_fallocate, true);
		error = -EOPNOTSUPP;
	}
	if (!error && !(mode & FALLOC_FL_KEEP_SIZE))
		fim_inode_set_size(inode, offset + length, true);
	/* Blocks and times changed on the server. */
	fim_inode_expire_attr(inode);
	inode_unlock(inode);
	return error;
}

/*
 * SEEK_DATA and SEEK_HOLE ask the server, which knows the holes; a server
 * without LSEEK gets the generic answer (all data up to the size).  The
 * other whences need the server's idea of the size for SEEK_END.
 */
static loff_t fim_file_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	struct fim_conn *fc = fim_conn_of(inode);
	struct fim_file *ff = file->private_data;
	struct fuse_lseek_in in = { };
	struct fuse_lseek_out out;
	int error;

	if (whence != SEEK_DATA && whence != SEEK_HOLE) {
		if (whence == SEEK_END) {
			error = fim_inode_refresh(inode, true);
			if (error)
				return error;
		}
		return generic_file_llseek(file, offset, whence);
	}
	if (READ_ONCE(fc->no_lseek))
		goto fallback;
	in.fh = ff->fh;
	in.offset = offset;
	in.whence = whence;
	error = fim_simple_request(fc, FUSE_LSEEK, FIM_I(inode)->nodeid, &in,
				   sizeof(in), &out, sizeof(out));
	if (error == -ENOSYS) {
		WRITE_ONCE(fc->no_lseek, true);
		goto fallback;
	}
	if (error)
		return error;
	if (out.offset > MAX_LFS_FILESIZE || (loff_t)out.offset < offset) {
		pr_warn_ratelimited("LSEEK reply %llu is before %lld or too large\n",
				    out.offset, offset);
		return -EIO;
	}
	return vfs_setpos(file, out.offset, inode->i_sb->s_maxbytes);

fallback:
	error = fim_inode_refresh(inode, false);
	if (error)
		return error;
	return generic_file_llseek(file, offset, whence);
}

/**
 * fim_lock_owner_id() - the id a lock owner has on the wire
 * @owner: the VFS lock owner (files_struct for POSIX locks, the file for
 *	OFD and BSD locks)
 *
 * A keyed hash, so that no kernel address reaches the server; the key is
 * made once per boot.
 *
 * Return: the id for fuse_lk_in.owner, FLUSH and RELEASE.
 */
u64 fim_lock_owner_id(fl_owner_t owner)
{
	static siphash_key_t key;

	get_random_once(&key, sizeof(key));
	return siphash_1u64((unsigned long)owner, &key);
}

static void fim_lk_fill(struct fuse_lk_in *in, struct file *file,
			struct file_lock *fl, bool flock)
{
	struct fim_file *ff = file->private_data;

	in->fh = ff->fh;
	in->owner = fim_lock_owner_id(fl->c.flc_owner);
	in->lk.start = fl->fl_start;
	in->lk.end = fl->fl_end;
	in->lk.type = fl->c.flc_type;
	in->lk.pid = lock_is_unlock(fl) ? 0 : task_tgid_vnr(current);
	if (flock)
		in->lk_flags |= FUSE_LK_FLOCK;
}

/* F_GETLK: the server says which lock, if any, is in the way. */
static int fim_getlk(struct file *file, struct file_lock *fl)
{
	struct inode *inode = file_inode(file);
	struct fuse_lk_in in = { };
	struct fuse_lk_out out;
	int error;

	fim_lk_fill(&in, file, fl, false);
	error = fim_simple_request(fim_conn_of(inode), FUSE_GETLK,
				   FIM_I(inode)->nodeid, &in, sizeof(in),
				   &out, sizeof(out));
	if (error)
		return error;
	if (out.lk.type == F_UNLCK) {
		fl->c.flc_type = F_UNLCK;
		return 0;
	}
	if ((out.lk.type != F_RDLCK && out.lk.type != F_WRLCK) ||
	    out.lk.start > out.lk.end || out.lk.end > OFFSET_MAX) {
		pr_warn_ratelimited("bad GETLK reply: type %u range %llu-%llu\n",
				    out.lk.type, out.lk.start, out.lk.end);
		return -EIO;
	}
	fl->fl_start = out.lk.start;
	fl->fl_end = out.lk.end;
	fl->c.flc_type = out.lk.type;
	fl->c.flc_pid = out.lk.pid;
	return 0;
}

/*
 * F_SETLK(W) and flock(2) through the server.  A blocking request waits
 * like every request: a signal sends the server a FUSE_INTERRUPT and the
 * server decides, SIGKILL ends the wait.
 */
static int fim_setlk(struct file *file, struct file_lock *fl, bool flock)
{
	struct inode *inode = file_inode(file);
	struct fuse_lk_in in = { };
	u32 opcode;

	/* lockd's asynchronous grants need a callback we do not have. */
	if (fl->fl_lmops && fl->fl_lmops->lm_grant)
		return -ENOLCK;
	/* POSIX locks die at close with the FLUSH that names their owner. */
	if ((fl->c.flc_flags & FL_CLOSE_POSIX) == FL_CLOSE_POSIX)
		return 0;
	opcode = (fl->c.flc_flags & FL_SLEEP) ? FUSE_SETLKW : FUSE_SETLK;
	fim_lk_fill(&in, file, fl, flock);
	return fim_simple_request(fim_conn_of(inode), opcode,
				  FIM_I(inode)->nodeid, &in, sizeof(in),
				  NULL, 0);
}

/*
 * fcntl(2) record locks (POSIX and OFD).  Servers that negotiated
 * POSIX_LOCKS own them; for the others they are local to this kernel.
 */
static int fim_file_lock(struct file *file, int cmd, struct file_lock *fl)
{
	struct fim_conn *fc = fim_conn_of(file_inode(file));

	if (cmd == F_CANCELLK)
		return 0;
	if (!fc->posix_locks) {
		if (cmd == F_GETLK) {
			posix_test_lock(file, fl);
			return 0;
		}
		/* FILE_LOCK_DEFERRED makes the VFS wait for the holder. */
		return posix_lock_file(file, fl, NULL);
	}
	if (cmd == F_GETLK)
		return fim_getlk(file, fl);
	return fim_setlk(file, fl, false);
}

/*
 * flock(2).  Servers that negotiated FLOCK_LOCKS own BSD locks (sent as
 * whole-file SETLK(W) with FUSE_LK_FLOCK, dropped by RELEASE); for the
 * others they are local.
 */
static int fim_file_flock(struct file *file, int cmd, struct file_lock *fl)
{
	struct fim_conn *fc = fim_conn_of(file_inode(file));
	struct fim_file *ff = file->private_data;

	if (!fc->flock_locks)
		return locks_lock_file_wait(file, fl);
	WRITE_ONCE(ff->flock, true);
	return fim_setlk(file, fl, true);
}

const struct file_operations fim_file_ops = {
	.llseek		= fim_file_llseek,
	.read_iter	= fim_file_read_iter,
	.write_iter	= fim_file_write_iter,
	/* splice and copy_file_range's fallback go through read/write_iter. */
	.splice_read	= copy_splice_read,
	.splice_write	= iter_file_splice_write,
	.open		= fim_file_open,
	.release	= fim_file_release,
	.flush		= fim_file_flush,
	.fsync		= fim_file_fsync,
	.fallocate	= fim_file_fallocate,
	.lock		= fim_file_lock,
	.flock		= fim_file_flock,
};
