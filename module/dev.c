// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/fuse_iomap character device, through which a server talks to
 * fuse_iomap.ko.
 *
 * Each open file is a server channel.  A mount binds one channel to a new
 * connection (the fd= option); from then on the server reads requests from
 * it and writes replies to it.  FUSE_DEV_IOC_CLONE binds further channels
 * to the same connection, so that each server thread can have its own:
 * any channel reads any request and answers any request read from any
 * other.  Closing the last channel (the server exited or died) aborts the
 * connection, so every waiter gets an error instead of sleeping forever.
 *
 * Everything the server writes is untrusted: a reply is accepted only if
 * its header passes fim_proto_check_out_header(), it answers a request the
 * server actually holds, and its length fits what that request expects.
 * Anything else fails the write (and, where a request is identified, that
 * request with -EIO) and logs one ratelimited line; nothing the server
 * writes can touch memory outside the request's own reply buffer.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "fim.h"
#include "proto.h"
#include "req.h"

/* Serializes binding a channel to a connection against its release. */
static DEFINE_MUTEX(fim_dev_bind_lock);

/**
 * struct fim_dev - state of one open /dev/fuse_iomap file
 * @conn: connection this channel serves; NULL until a mount or a clone
 *	binds it
 *
 * @conn is set once, under fim_dev_bind_lock, by the mount that consumes
 * the fd or by FUSE_DEV_IOC_CLONE, and is stable from then on; the channel
 * holds a reference and counts in fim_conn.channels.
 */
struct fim_dev {
	struct fim_conn		*conn;
};

static const struct file_operations fim_dev_fops;

static struct fim_conn *fim_dev_conn(struct file *file)
{
	struct fim_dev *fd = file->private_data;

	/* Pairs with smp_store_release() in fim_dev_bind(). */
	return smp_load_acquire(&fd->conn);
}

/**
 * fim_dev_bind() - bind a server channel to a new connection
 * @file: the file the mount's fd= option named
 * @fc: the connection; on success the channel takes a reference
 *
 * Context: process context (mount), may sleep.
 * Return: @fc, or ERR_PTR(-EINVAL) if @file is not a /dev/fuse_iomap
 * channel, ERR_PTR(-EBUSY) if it already serves a connection.
 */
struct fim_conn *fim_dev_bind(struct file *file, struct fim_conn *fc)
{
	struct fim_dev *fd;

	if (file->f_op != &fim_dev_fops)
		return ERR_PTR(-EINVAL);
	fd = file->private_data;
	mutex_lock(&fim_dev_bind_lock);
	if (fd->conn) {
		mutex_unlock(&fim_dev_bind_lock);
		return ERR_PTR(-EBUSY);
	}
	fc->channels++;
	smp_store_release(&fd->conn, fim_conn_get(fc));
	mutex_unlock(&fim_dev_bind_lock);
	return fc;
}

/**
 * fim_dev_open() - open a server channel
 * @inode: device inode
 * @file: the new open file
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOMEM.
 */
static int fim_dev_open(struct inode *inode, struct file *file)
{
	struct fim_dev *fd;

	fd = kzalloc(sizeof(*fd), GFP_KERNEL);
	if (!fd)
		return -ENOMEM;
	/* The misc core left its miscdevice here; we do not need it. */
	file->private_data = fd;
	return 0;
}

/**
 * fim_dev_release() - close a server channel
 * @inode: device inode
 * @file: the file being released
 *
 * If this was the connection's last channel, the server is gone: abort
 * the connection so that every request in flight fails and nothing new is
 * queued.  Then drop the channel's reference.  The mount stays until
 * unmounted; its operations fail with -ENOTCONN.  Requests the server read
 * through this channel stay where they are while other channels remain:
 * any of them may answer.
 *
 * Context: process context, may sleep.
 * Return: 0.
 */
static int fim_dev_release(struct inode *inode, struct file *file)
{
	struct fim_dev *fd = file->private_data;
	struct fim_conn *fc;
	bool last = false;

	mutex_lock(&fim_dev_bind_lock);
	fc = fd->conn;
	fd->conn = NULL;
	if (fc)
		last = !--fc->channels;
	mutex_unlock(&fim_dev_bind_lock);
	if (fc) {
		if (last)
			fim_conn_abort(fc);
		fim_conn_put(fc);
	}
	kfree(fd);
	return 0;
}

/*
 * What a read() of the channel delivers next.  Interrupts come first (a
 * requester is waiting for the server to give up on something), then
 * forgets and requests in turn: forgets need no answer and cost the
 * server little, but must not starve requests, nor requests them.
 */
enum fim_dev_item {
	FIM_DEV_REQ,
	FIM_DEV_INTR,
	FIM_DEV_FORGET,
};

/**
 * struct fim_dev_next - an item taken off the connection for one read()
 * @req: FIM_DEV_REQ: the request, with a reference for the reader
 * @unique: FIM_DEV_INTR: id of the interrupted request; FIM_DEV_FORGET:
 *	id of the forget message
 * @forgets: FIM_DEV_FORGET: the fim_forget entries taken, owned by the
 *	reader
 * @nforgets: FIM_DEV_FORGET: how many entries @forgets holds
 * @batch: FIM_DEV_FORGET: send BATCH_FORGET rather than one FORGET
 */
struct fim_dev_next {
	struct fim_req		*req;
	u64			unique;
	struct list_head	forgets;
	unsigned int		nforgets;
	bool			batch;
};

/* Size of the INTERRUPT message, and of a FORGET or BATCH_FORGET of @n. */
#define FIM_INTR_MSG_LEN	(sizeof(struct fuse_in_header) + \
				 sizeof(struct fuse_interrupt_in))
#define FIM_FORGET_MSG_LEN	(sizeof(struct fuse_in_header) + \
				 sizeof(struct fuse_forget_in))
#define FIM_BATCH_MSG_LEN(n)	(sizeof(struct fuse_in_header) + \
				 sizeof(struct fuse_batch_forget_in) + \
				 (n) * sizeof(struct fuse_forget_one))

static bool fim_dev_has_work(struct fim_conn *fc)
{
	return !list_empty(&fc->interrupts) || !list_empty(&fc->forgets) ||
	       !list_empty(&fc->pending);
}

/* Take up to what fits in @bufsize of the queued forgets; fim_conn.lock. */
static int fim_dev_take_forgets(struct fim_conn *fc, size_t bufsize,
				struct fim_dev_next *next)
{
	struct fim_forget *forget, *tmp;
	unsigned int max = 1;

	lockdep_assert_held(&fc->lock);
	next->batch = fc->proto_minor >= 16;
	if (next->batch) {
		if (bufsize < FIM_BATCH_MSG_LEN(1))
			return -EINVAL;
		max = min_t(size_t, FIM_FORGET_BATCH,
			    (bufsize - FIM_BATCH_MSG_LEN(0)) /
			    sizeof(struct fuse_forget_one));
	} else if (bufsize < FIM_FORGET_MSG_LEN) {
		return -EINVAL;
	}
	list_for_each_entry_safe(forget, tmp, &fc->forgets, list) {
		if (next->nforgets == max)
			break;
		list_move_tail(&forget->list, &next->forgets);
		next->nforgets++;
	}
	fc->nr_forgets -= next->nforgets;
	next->unique = fc->next_unique;
	fc->next_unique += FUSE_REQ_ID_STEP;
	if (!fc->next_unique)
		fc->next_unique = FUSE_REQ_ID_STEP;
	return FIM_DEV_FORGET;
}

/*
 * Take the next item the server can read into @bufsize bytes.  A request
 * moves to the processing list; requests too large for the buffer fail
 * with -EIO (the server asked for less than FUSE_MIN_READ_BUFFER, its own
 * bug).  Sleeps unless @nonblock.
 *
 * Return: enum fim_dev_item with @next filled in, or a negative errno.
 */
static int fim_dev_next_item(struct fim_conn *fc, size_t bufsize,
			     bool nonblock, struct fim_dev_next *next)
{
	struct fim_req *req;
	int error;

restart:
	spin_lock(&fc->lock);
	while (fc->connected && !fim_dev_has_work(fc)) {
		spin_unlock(&fc->lock);
		if (nonblock)
			return -EAGAIN;
		error = wait_event_interruptible_exclusive(fc->waitq,
				!READ_ONCE(fc->connected) ||
				!list_empty_careful(&fc->interrupts) ||
				!list_empty_careful(&fc->forgets) ||
				!list_empty_careful(&fc->pending));
		if (error)
			return error;
		spin_lock(&fc->lock);
	}
	if (!fc->connected) {
		spin_unlock(&fc->lock);
		return -ENODEV;
	}

	if (!list_empty(&fc->interrupts)) {
		if (bufsize < FIM_INTR_MSG_LEN) {
			spin_unlock(&fc->lock);
			return -EINVAL;
		}
		/* The request stays alive on processing; only its id is used. */
		req = list_first_entry(&fc->interrupts, struct fim_req,
				       intr_entry);
		list_del_init(&req->intr_entry);
		next->unique = req->unique;
		spin_unlock(&fc->lock);
		return FIM_DEV_INTR;
	}

	if (!list_empty(&fc->forgets) &&
	    (list_empty(&fc->pending) || fc->forget_credit)) {
		if (!list_empty(&fc->pending))
			fc->forget_credit--;
		error = fim_dev_take_forgets(fc, bufsize, next);
		spin_unlock(&fc->lock);
		return error;
	}
	fc->forget_credit = FIM_FORGET_CREDIT;

	req = list_first_entry(&fc->pending, struct fim_req, list);
	if (req->msg_len > bufsize) {
		fim_req_unlink_locked(fc, req);
		spin_unlock(&fc->lock);
		pr_warn_ratelimited("server read buffer of %zu bytes is too small for a %zu-byte request (opcode %u)\n",
				    bufsize, req->msg_len, req->opcode);
		fim_req_end(fc, req, -EIO);
		fim_req_put(req);
		goto restart;
	}
	refcount_inc(&req->refs);
	if (req->noreply) {
		fim_req_unlink_locked(fc, req);
	} else {
		list_move_tail(&req->list, &fc->processing);
		req->state = FIM_REQ_SENT;
		/* Signalled while pending: the interrupt follows the request. */
		if (req->interrupted && !fc->no_interrupt)
			list_add_tail(&req->intr_entry, &fc->interrupts);
	}
	spin_unlock(&fc->lock);
	next->req = req;
	return FIM_DEV_REQ;
}

/* Copy a FUSE_INTERRUPT for the request with id @unique to the server. */
static ssize_t fim_dev_read_intr(u64 unique, struct iov_iter *to)
{
	struct {
		struct fuse_in_header	ih;
		struct fuse_interrupt_in arg;
	} msg = {
		.ih.len		= sizeof(msg),
		.ih.opcode	= FUSE_INTERRUPT,
		.ih.unique	= unique | FUSE_INT_REQ_BIT,
		.arg.unique	= unique,
	};

	BUILD_BUG_ON(sizeof(msg) != FIM_INTR_MSG_LEN);
	if (copy_to_iter(&msg, sizeof(msg), to) != sizeof(msg))
		return -EFAULT;
	return sizeof(msg);
}

/*
 * Copy the forgets taken into one FORGET or BATCH_FORGET and free them.
 * They are gone even if the copy fails: the server lost them, as it would
 * lose any message it reads into a bad buffer.
 */
static ssize_t fim_dev_read_forgets(struct fim_dev_next *next,
				    struct iov_iter *to)
{
	struct fim_forget *forget, *tmp;
	struct fuse_in_header *ih;
	ssize_t ret;
	size_t len;
	void *msg;

	if (next->batch)
		len = FIM_BATCH_MSG_LEN(next->nforgets);
	else
		len = FIM_FORGET_MSG_LEN;
	ret = -ENOMEM;
	msg = kzalloc(len, GFP_KERNEL);
	if (!msg)
		goto out_free;
	ih = msg;
	ih->len = len;
	ih->unique = next->unique;
	if (next->batch) {
		struct fuse_batch_forget_in *arg = msg + sizeof(*ih);
		struct fuse_forget_one *one = (void *)(arg + 1);

		ih->opcode = FUSE_BATCH_FORGET;
		arg->count = next->nforgets;
		list_for_each_entry(forget, &next->forgets, list) {
			one->nodeid = forget->nodeid;
			one->nlookup = forget->nlookup;
			one++;
		}
	} else {
		struct fuse_forget_in *arg = msg + sizeof(*ih);

		forget = list_first_entry(&next->forgets, struct fim_forget,
					  list);
		ih->opcode = FUSE_FORGET;
		ih->nodeid = forget->nodeid;
		arg->nlookup = forget->nlookup;
	}
	ret = len;
	if (copy_to_iter(msg, len, to) != len)
		ret = -EFAULT;
	kfree(msg);
out_free:
	list_for_each_entry_safe(forget, tmp, &next->forgets, list)
		kfree(forget);
	return ret;
}

/* Copy request @req to the server; drops the reader's reference. */
static ssize_t fim_dev_read_req(struct fim_conn *fc, struct fim_req *req,
				struct iov_iter *to)
{
	size_t copied;

	copied = copy_to_iter(req->msg, req->msg_len, to);
	if (copied != req->msg_len) {
		/*
		 * The server's buffer is bad: fail the request it lost, unless
		 * an abort or a (bogus early) reply already took it.
		 */
		bool ours = req->noreply;

		spin_lock(&fc->lock);
		if (req->state == FIM_REQ_SENT) {
			fim_req_unlink_locked(fc, req);
			ours = true;
		}
		spin_unlock(&fc->lock);
		if (ours) {
			fim_req_end(fc, req, -EIO);
			fim_req_put(req);	/* the queue's reference */
		}
		fim_req_put(req);
		return -EFAULT;
	}
	if (req->noreply) {
		fim_req_end(fc, req, 0);
		fim_req_put(req);	/* the queue's reference */
	}
	fim_req_put(req);
	return copied;
}

/**
 * fim_dev_read_iter() - server reads the next request
 * @iocb: the read
 * @to: destination buffer; must hold the whole message
 *
 * Delivers one message: a FUSE_INTERRUPT, a FORGET or BATCH_FORGET, or a
 * request.  Sleeps until there is one unless the file is non-blocking.
 *
 * Context: process context, may sleep.
 * Return: bytes of the message copied, -EPERM if the channel serves no
 * connection, -ENODEV once the connection is aborted, -EINVAL for a
 * buffer too small for an interrupt or forget, -EAGAIN, -EINTR, -ENOMEM
 * or -EFAULT.
 */
static ssize_t fim_dev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	bool nonblock = iocb->ki_filp->f_flags & O_NONBLOCK;
	struct fim_conn *fc = fim_dev_conn(iocb->ki_filp);
	struct fim_dev_next next = { };
	int item;

	if (!fc)
		return -EPERM;
	/* The first process to read is the server, see fim_sync_fs(). */
	if (!READ_ONCE(fc->server_tgid)) {
		struct pid *tgid = get_pid(task_tgid(current));

		if (cmpxchg(&fc->server_tgid, NULL, tgid))
			put_pid(tgid);
	}
	INIT_LIST_HEAD(&next.forgets);
	item = fim_dev_next_item(fc, iov_iter_count(to), nonblock, &next);
	switch (item) {
	case FIM_DEV_REQ:
		return fim_dev_read_req(fc, next.req, to);
	case FIM_DEV_INTR:
		return fim_dev_read_intr(next.unique, to);
	case FIM_DEV_FORGET:
		return fim_dev_read_forgets(&next, to);
	default:
		return item;
	}
}

/* Find the request with id @unique that the server holds; fim_conn.lock. */
static struct fim_req *fim_dev_find(struct fim_conn *fc, u64 unique)
{
	struct fim_req *req;

	lockdep_assert_held(&fc->lock);
	list_for_each_entry(req, &fc->processing, list) {
		if (req->unique == unique)
			return req;
	}
	return NULL;
}

/*
 * Is @len bytes of payload what @req expects?  Error replies carry none
 * (checked with the header); successful ones exactly out_size, or from
 * out_min to out_size for variable-length replies.
 */
static bool fim_dev_reply_len_ok(const struct fim_req *req, size_t len,
				 int error)
{
	if (error)
		return len == 0;
	if (req->out_var)
		return len >= req->out_min && len <= req->out_size;
	return len == req->out_size;
}

/*
 * The server answered the FUSE_INTERRUPT of the request with id @unique.
 * EAGAIN asks for the interrupt again (the server had not seen the request
 * yet); ENOSYS turns interrupts off for the connection; anything else
 * acknowledges it.  The request itself is answered separately.
 */
static ssize_t fim_dev_write_intr(struct fim_conn *fc,
				  const struct fuse_out_header *oh,
				  size_t nbytes)
{
	u64 unique = oh->unique & ~FUSE_INT_REQ_BIT;
	bool requeued = false;
	struct fim_req *req;

	if (nbytes != sizeof(*oh)) {
		pr_warn_ratelimited("reply to interrupt %llu carries %zu bytes of payload\n",
				    oh->unique, nbytes - sizeof(*oh));
		return -EINVAL;
	}
	spin_lock(&fc->lock);
	req = fim_dev_find(fc, unique);
	if (!req) {
		spin_unlock(&fc->lock);
		/* The request may have been answered meanwhile: no log. */
		return -ENOENT;
	}
	if (oh->error == -ENOSYS) {
		fc->no_interrupt = true;
	} else if (oh->error == -EAGAIN && req->interrupted &&
		   list_empty(&req->intr_entry)) {
		list_add_tail(&req->intr_entry, &fc->interrupts);
		requeued = true;
	}
	spin_unlock(&fc->lock);
	if (requeued)
		wake_up(&fc->waitq);
	return nbytes;
}

/**
 * fim_dev_write_iter() - server writes a reply or a notification
 * @iocb: the write
 * @from: the message: struct fuse_out_header then the payload
 *
 * Context: process context, may sleep.
 * A reply whose id has FUSE_INT_REQ_BIT set answers the FUSE_INTERRUPT
 * of the request with that bit cleared, and must carry no payload.
 *
 * Return: bytes consumed; -EPERM without a connection, -ENODEV after an
 * abort, -EINVAL for a malformed message, -ENOENT for a reply to no
 * request the server holds, -ENOSYS for an unsupported notification,
 * -EFAULT.
 */
static ssize_t fim_dev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct fim_conn *fc = fim_dev_conn(iocb->ki_filp);
	size_t nbytes = iov_iter_count(from);
	struct fuse_out_header oh;
	enum fim_out_kind kind;
	struct fim_req *req;
	size_t len;
	int error;

	if (!fc)
		return -EPERM;
	if (!READ_ONCE(fc->connected))
		return -ENODEV;
	if (nbytes < sizeof(oh))
		return -EINVAL;
	if (!copy_from_iter_full(&oh, sizeof(oh), from))
		return -EFAULT;
	if (fim_proto_check_out_header(&oh, nbytes, &kind)) {
		pr_warn_ratelimited("malformed message from server: len %u (wrote %zu), error %d, unique %llu\n",
				    oh.len, nbytes, oh.error, oh.unique);
		return -EINVAL;
	}
	if (kind == FIM_OUT_NOTIFY) {
		error = fim_notify(fc, oh.error, from, nbytes - sizeof(oh));
		return error ? error : nbytes;
	}

	if (oh.unique & FUSE_INT_REQ_BIT)
		return fim_dev_write_intr(fc, &oh, nbytes);

	spin_lock(&fc->lock);
	req = fim_dev_find(fc, oh.unique);
	if (!req) {
		spin_unlock(&fc->lock);
		pr_warn_ratelimited("reply to unknown request %llu from server\n",
				    oh.unique);
		return -ENOENT;
	}
	fim_req_unlink_locked(fc, req);
	spin_unlock(&fc->lock);

	/* The queue's reference is ours now; the request is off all lists. */
	len = nbytes - sizeof(oh);
	if (!fim_dev_reply_len_ok(req, len, oh.error)) {
		pr_warn_ratelimited("reply of %zu bytes to opcode %u, expected %zu%s\n",
				    len, req->opcode, req->out_size,
				    req->out_var ? " at most" : "");
		fim_req_end(fc, req, -EIO);
		fim_req_put(req);
		return -EINVAL;
	}
	error = oh.error;
	if (len && !copy_from_iter_full(req->out, len, from)) {
		fim_req_end(fc, req, -EIO);
		fim_req_put(req);
		return -EFAULT;
	}
	req->out_len = len;
	req->error = error;
	fim_req_end(fc, req, 0);
	fim_req_put(req);
	return nbytes;
}

/**
 * fim_dev_poll() - wait for requests
 * @file: the channel
 * @wait: poll table
 *
 * Return: EPOLLOUT always once bound (replies can always be written),
 * EPOLLIN when a message is waiting to be read, EPOLLERR without a connection or
 * after an abort.
 */
static __poll_t fim_dev_poll(struct file *file, poll_table *wait)
{
	struct fim_conn *fc = fim_dev_conn(file);
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	if (!fc)
		return EPOLLERR;
	poll_wait(file, &fc->waitq, wait);
	spin_lock(&fc->lock);
	if (!fc->connected)
		mask = EPOLLERR;
	else if (fim_dev_has_work(fc))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&fc->lock);
	return mask;
}

static long fim_dev_ioctl_iomap_support(struct fuse_iomap_support __user *arg)
{
	/*
	 * The iomap data path is not implemented yet, so no feature can be
	 * used, whoever asks.
	 */
	struct fuse_iomap_support support = { };

	if (copy_to_user(arg, &support, sizeof(support)))
		return -EFAULT;
	return 0;
}

/*
 * FUSE_DEV_IOC_CLONE: bind @file, a fresh channel, to the connection that
 * the channel open as fd *@arg serves.
 */
static long fim_dev_ioctl_clone(struct file *file, u32 __user *arg)
{
	struct fim_dev *fd = file->private_data;
	struct fim_dev *old_fd;
	struct fim_conn *fc;
	struct file *old;
	u32 oldfd;
	long ret;

	if (get_user(oldfd, arg))
		return -EFAULT;
	old = fget(oldfd);
	if (!old)
		return -EINVAL;
	ret = -EINVAL;
	if (old->f_op != &fim_dev_fops || old == file)
		goto out_fput;
	old_fd = old->private_data;
	mutex_lock(&fim_dev_bind_lock);
	fc = old_fd->conn;
	/* Only a channel still serving a live connection can be cloned. */
	if (!fc || fd->conn || !READ_ONCE(fc->connected))
		goto out_unlock;
	fc->channels++;
	/* Pairs with smp_load_acquire() in fim_dev_conn(). */
	smp_store_release(&fd->conn, fim_conn_get(fc));
	ret = 0;
out_unlock:
	mutex_unlock(&fim_dev_bind_lock);
out_fput:
	fput(old);
	return ret;
}

/**
 * fim_dev_ioctl() - channel ioctls
 * @file: the channel
 * @cmd: FUSE_DEV_IOC_*
 * @arg: user pointer or value, per @cmd
 *
 * FUSE_DEV_IOC_CLONE and FUSE_DEV_IOC_IOMAP_SUPPORT are implemented.
 * May sleep.
 *
 * Return: 0 on success, -EFAULT for a bad pointer, -EINVAL for a clone
 * of something that is not a bound channel or onto a bound one, -ENOTTY
 * for any other command.
 */
static long fim_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case FUSE_DEV_IOC_CLONE:
		return fim_dev_ioctl_clone(file, (u32 __user *)arg);
	case FUSE_DEV_IOC_IOMAP_SUPPORT:
		return fim_dev_ioctl_iomap_support((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations fim_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= fim_dev_open,
	.release	= fim_dev_release,
	.read_iter	= fim_dev_read_iter,
	.write_iter	= fim_dev_write_iter,
	/*
	 * libfuse splices when it can; copying through read_iter/write_iter
	 * keeps one validated path for every message.
	 */
	.splice_read	= copy_splice_read,
	.splice_write	= iter_file_splice_write,
	.poll		= fim_dev_poll,
	.unlocked_ioctl	= fim_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * Root-only (mode 0600) until the protocol settles how unprivileged
 * servers get a channel; the misc default.
 */
static struct miscdevice fim_miscdev = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= FUSE_IOMAP_MISC_NAME,
	.fops		= &fim_dev_fops,
};

/**
 * fim_dev_init() - register /dev/fuse_iomap
 *
 * Return: 0 or a negative errno from misc_register().
 */
int fim_dev_init(void)
{
	return misc_register(&fim_miscdev);
}

/**
 * fim_dev_exit() - unregister /dev/fuse_iomap
 *
 * Module unload cannot race with an open channel: each open file pins the
 * module through fops->owner.
 */
void fim_dev_exit(void)
{
	misc_deregister(&fim_miscdev);
}
