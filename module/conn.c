// SPDX-License-Identifier: GPL-2.0
/*
 * Connections and the requests that travel over them.
 *
 * A requester allocates a request (its message and reply buffers come with
 * it), queues it on the connection and sleeps until the server answered or
 * the connection died.  A signal to the requester asks the server, with
 * FUSE_INTERRUPT, to finish the request early; only a fatal signal stops
 * the wait itself.  The device side (dev.c) moves requests
 * from pending to processing as the server reads them and finishes them as
 * replies arrive.  An abort finishes everything in flight with
 * -ECONNABORTED and refuses new requests with -ENOTCONN, so no requester can
 * wait for a dead server.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/jiffies.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "fim.h"
#include "req.h"

/**
 * fim_conn_alloc() - allocate a connection, not yet bound to a device fd
 * @user_ns: user namespace of the mounter; a reference is taken
 *
 * Context: process context, may sleep.
 * Return: the connection with one reference, or NULL without memory.
 */
struct fim_conn *fim_conn_alloc(struct user_namespace *user_ns)
{
	struct fim_conn *fc;

	fc = kzalloc(sizeof(*fc), GFP_KERNEL);
	if (!fc)
		return NULL;
	refcount_set(&fc->refs, 1);
	spin_lock_init(&fc->lock);
	fc->next_unique = FUSE_REQ_ID_STEP;
	INIT_LIST_HEAD(&fc->pending);
	INIT_LIST_HEAD(&fc->processing);
	INIT_LIST_HEAD(&fc->interrupts);
	INIT_LIST_HEAD(&fc->forgets);
	fc->forget_credit = FIM_FORGET_CREDIT;
	fc->connected = true;
	atomic_set(&fc->num_waiting, 0);
	init_waitqueue_head(&fc->waitq);
	init_waitqueue_head(&fc->blocked_waitq);
	fc->max_read = UINT_MAX;
	fc->max_write = 4096;
	fc->user_ns = get_user_ns(user_ns);
	init_rwsem(&fc->killsb);
	xa_init_flags(&fc->bdevs, XA_FLAGS_ALLOC1);
	return fc;
}

/**
 * fim_conn_get() - take a reference on a connection
 * @fc: the connection
 *
 * Return: @fc.
 */
struct fim_conn *fim_conn_get(struct fim_conn *fc)
{
	refcount_inc(&fc->refs);
	return fc;
}

/**
 * fim_conn_put() - drop a reference; the last one frees the connection
 * @fc: the connection, or NULL
 *
 * Context: process context.  By the time the last reference goes, every
 * request has finished: each holds a reference while in flight.
 */
void fim_conn_put(struct fim_conn *fc)
{
	if (!fc || !refcount_dec_and_test(&fc->refs))
		return;
	if (WARN_ON_ONCE(!list_empty(&fc->pending) ||
			 !list_empty(&fc->processing) ||
			 !list_empty(&fc->interrupts) ||
			 !list_empty(&fc->forgets)))
		return;	/* leak rather than free memory still in use */
	xa_destroy(&fc->bdevs);
	put_pid(fc->server_tgid);
	put_user_ns(fc->user_ns);
	kfree(fc);
}

/**
 * fim_conn_abort() - end a connection: fail everything, refuse new work
 * @fc: the connection
 *
 * Called when the server's device fd is closed (the server exited or died)
 * or at unmount.  Every queued or sent request finishes with -ECONNABORTED;
 * queued interrupts and forgets are dropped; server threads blocked in
 * read() and requesters waiting for INIT wake up.  Idempotent.
 *
 * Context: process context, takes fim_conn.lock.
 */
void fim_conn_abort(struct fim_conn *fc)
{
	struct fim_forget *forget, *fnext;
	struct fim_req *req, *next;
	LIST_HEAD(forgets);
	LIST_HEAD(dead);

	spin_lock(&fc->lock);
	fc->connected = false;
	list_splice_init(&fc->pending, &dead);
	list_splice_tail_init(&fc->processing, &dead);
	list_splice_init(&fc->forgets, &forgets);
	list_for_each_entry(req, &dead, list) {
		list_del_init(&req->intr_entry);
		req->state = FIM_REQ_REPLYING;	/* ours to finish now */
	}
	spin_unlock(&fc->lock);

	list_for_each_entry_safe(forget, fnext, &forgets, list)
		kfree(forget);
	spin_lock(&fc->lock);
	fc->nr_forgets = 0;
	spin_unlock(&fc->lock);

	list_for_each_entry_safe(req, next, &dead, list) {
		list_del_init(&req->list);
		/* Drop the queue's reference after finishing. */
		fim_req_end(fc, req, -ECONNABORTED);
		fim_req_put(req);
	}
	wake_up_all(&fc->waitq);
	wake_up_all(&fc->blocked_waitq);
}

/**
 * fim_conn_queue_forget() - give lookup references back to the server
 * @fc: the connection
 * @nodeid: the node being forgotten
 * @nlookup: lookups the kernel counted for it; not 0
 *
 * Queues a forget for the server to read, batched with others when the
 * server speaks BATCH_FORGET.  Nothing waits for it.  If the connection
 * is gone, no memory is left, or FIM_MAX_FORGETS are already queued (a
 * server that stopped reading), the forget is dropped: the server's count
 * then stays high, which costs it memory but no correctness.  The entry is
 * charged to the memory cgroup of the task that evicts.
 *
 * Context: process context (inode eviction), may sleep.
 */
void fim_conn_queue_forget(struct fim_conn *fc, u64 nodeid, u64 nlookup)
{
	struct fim_forget *forget;

	if (!nodeid || !nlookup)
		return;
	forget = kmalloc(sizeof(*forget), GFP_KERNEL_ACCOUNT);
	if (!forget)
		return;
	forget->nodeid = nodeid;
	forget->nlookup = nlookup;
	spin_lock(&fc->lock);
	if (!fc->connected || fc->nr_forgets >= FIM_MAX_FORGETS) {
		bool full = fc->connected;

		spin_unlock(&fc->lock);
		kfree(forget);
		if (full)
			pr_warn_ratelimited("server reads no forgets: %u queued, node %llu dropped\n",
					    FIM_MAX_FORGETS, nodeid);
		return;
	}
	list_add_tail(&forget->list, &fc->forgets);
	fc->nr_forgets++;
	spin_unlock(&fc->lock);
	wake_up(&fc->waitq);
}

/**
 * fim_timeout_to_jiffies() - turn a server-supplied validity into a deadline
 * @sec: seconds, as the server sent them
 * @nsec: nanoseconds, as the server sent them
 *
 * Absurd values (more than a year, nanoseconds out of range) are clamped
 * rather than trusted: a cache deadline is only an optimisation.
 *
 * Return: jiffies value after which the cached data is stale.
 */
unsigned long fim_timeout_to_jiffies(u64 sec, u32 nsec)
{
	u64 max_sec = 365ULL * 24 * 3600;

	if (!sec && !nsec)
		return jiffies - 1;
	if (nsec >= NSEC_PER_SEC)
		nsec = NSEC_PER_SEC - 1;
	if (sec > max_sec)
		sec = max_sec;
	return jiffies + nsecs_to_jiffies64(sec * NSEC_PER_SEC + nsec);
}

/**
 * fim_req_alloc() - allocate a request with room for arguments and reply
 * @fc: connection the request is for (only its user namespace is used)
 * @opcode: FUSE_* opcode
 * @nodeid: node id the request is about, 0 for none
 * @args_len: bytes of arguments after the header; zeroed
 * @out_size: size of the reply payload buffer, bytes; the reply must carry
 *	exactly this much unless the caller sets @out_var and @out_min
 *
 * The header's ids are those of the calling task, in @fc's user namespace.
 *
 * Context: process context, may sleep.
 * Return: the request with one reference, or ERR_PTR(-ENOMEM).
 */
struct fim_req *fim_req_alloc(struct fim_conn *fc, u32 opcode, u64 nodeid,
			      size_t args_len, size_t out_size)
{
	struct fuse_in_header *ih;
	struct fim_req *req;

	/* Charged to the requester's memory cgroup, as its I/O would be. */
	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!req)
		return ERR_PTR(-ENOMEM);
	req->msg_len = sizeof(*ih) + args_len;
	req->msg = kvzalloc(req->msg_len, GFP_KERNEL_ACCOUNT);
	if (!req->msg)
		goto out_free_req;
	if (out_size) {
		req->out = kvzalloc(out_size, GFP_KERNEL_ACCOUNT);
		if (!req->out)
			goto out_free_msg;
	}
	INIT_LIST_HEAD(&req->list);
	INIT_LIST_HEAD(&req->intr_entry);
	refcount_set(&req->refs, 1);
	init_completion(&req->done);
	req->opcode = opcode;
	req->out_size = out_size;
	req->out_min = out_size;

	ih = req->msg;
	ih->len = req->msg_len;
	ih->opcode = opcode;
	ih->nodeid = nodeid;
	ih->uid = from_kuid_munged(fc->user_ns, current_fsuid());
	ih->gid = from_kgid_munged(fc->user_ns, current_fsgid());
	ih->pid = task_tgid_vnr(current);
	req->fc = fim_conn_get(fc);
	atomic_inc(&fc->num_waiting);
	return req;

out_free_msg:
	kvfree(req->msg);
out_free_req:
	kfree(req);
	return ERR_PTR(-ENOMEM);
}

/**
 * fim_req_put() - drop a reference to a request
 * @req: the request
 */
void fim_req_put(struct fim_req *req)
{
	if (!refcount_dec_and_test(&req->refs))
		return;
	atomic_dec(&req->fc->num_waiting);
	fim_conn_put(req->fc);
	kvfree(req->out);
	kvfree(req->msg);
	kfree(req);
}

/**
 * fim_req_unlink_locked() - take a request off every list to finish it
 * @fc: its connection
 * @req: a request on fim_conn.pending or fim_conn.processing
 *
 * The caller becomes the one path that finishes @req, and owns the
 * queue's reference.
 *
 * Context: fim_conn.lock held.
 */
void fim_req_unlink_locked(struct fim_conn *fc, struct fim_req *req)
{
	lockdep_assert_held(&fc->lock);
	list_del_init(&req->list);
	list_del_init(&req->intr_entry);
	req->state = FIM_REQ_REPLYING;
}

/**
 * fim_req_end() - finish a request
 * @fc: its connection
 * @req: the request, taken off every list by the caller
 * @error: 0 or negative errno; replaces the reply's error if non-zero
 *
 * Wakes the requester or runs the @end callback.  The caller owns a
 * reference it drops afterwards.
 *
 * Context: process context, no locks held.
 */
void fim_req_end(struct fim_conn *fc, struct fim_req *req, int error)
{
	spin_lock(&fc->lock);
	if (error)
		req->error = error;
	req->state = FIM_REQ_DONE;
	spin_unlock(&fc->lock);
	if (req->end)
		req->end(fc, req);
	complete_all(&req->done);
}

/*
 * Give @req an id and put it on the pending list.  The queue holds its own
 * reference until the request finishes.
 */
static int fim_req_queue(struct fim_conn *fc, struct fim_req *req)
{
	struct fuse_in_header *ih = req->msg;

	spin_lock(&fc->lock);
	if (!fc->connected) {
		spin_unlock(&fc->lock);
		return -ENOTCONN;
	}
	/* Even ids only: odd ones name the interrupt of a request. */
	req->unique = fc->next_unique;
	fc->next_unique += FUSE_REQ_ID_STEP;
	if (!fc->next_unique)
		fc->next_unique = FUSE_REQ_ID_STEP;
	ih->unique = req->unique;
	req->state = FIM_REQ_PENDING;
	refcount_inc(&req->refs);
	list_add_tail(&req->list, &fc->pending);
	spin_unlock(&fc->lock);
	wake_up(&fc->waitq);
	return 0;
}

/**
 * fim_conn_initialized() - has the INIT reply been accepted?
 * @fc: the connection
 *
 * Pairs with the smp_store_release() in fim_init_end(): once this returns
 * true, every field the INIT reply set (proto_minor, max_write, ...) is
 * visible to the caller.
 *
 * Return: true once INIT completed.
 */
bool fim_conn_initialized(struct fim_conn *fc)
{
	/* Pairs with smp_store_release() in fim_init_end(). */
	return smp_load_acquire(&fc->initialized);
}

/* Wait until INIT finished (or the connection died) unless @req is forced. */
static int fim_req_wait_init(struct fim_conn *fc, struct fim_req *req)
{
	if (req->force)
		return 0;
	if (wait_event_killable(fc->blocked_waitq,
				fim_conn_initialized(fc) ||
				!READ_ONCE(fc->connected)))
		return -EINTR;
	return fim_conn_initialized(fc) ? 0 : -ENOTCONN;
}

/*
 * The requester of @req got a signal: ask the server to hurry.  A request
 * the server holds gets a FUSE_INTERRUPT queued now; one still pending
 * gets it when the server reads the request (fim_dev_next_req).
 */
static void fim_req_interrupt(struct fim_conn *fc, struct fim_req *req)
{
	bool queued = false;

	spin_lock(&fc->lock);
	req->interrupted = true;
	if (req->state == FIM_REQ_SENT && !fc->no_interrupt &&
	    list_empty(&req->intr_entry)) {
		list_add_tail(&req->intr_entry, &fc->interrupts);
		queued = true;
	}
	spin_unlock(&fc->lock);
	if (queued)
		wake_up(&fc->waitq);
}

/**
 * fim_req_send() - send a request and wait for the answer
 * @fc: the connection
 * @req: the request, with its arguments filled in
 *
 * Sleeps until the server replied or the connection was aborted.  A
 * signal sends the server a FUSE_INTERRUPT for the request (unless it is
 * forced, or the server said ENOSYS to an earlier interrupt) and the wait
 * goes on: the server decides, typically by answering EINTR.  Only a
 * fatal signal ends the wait early: a server that never answers blocks
 * nobody who gets SIGKILL.  A request killed before the server read it is
 * withdrawn; one the server already holds is abandoned, and its reply, if
 * it ever comes, lands in the request's own buffer and is dropped.
 *
 * Context: process context, may sleep; no locks of this module held.
 * Return: 0 with the reply in @req->out (@req->out_len bytes), the server's
 * negative errno, -ENOTCONN or -ECONNABORTED if the connection is gone, or
 * -EINTR if killed.
 */
int fim_req_send(struct fim_conn *fc, struct fim_req *req)
{
	int error;

	error = fim_req_wait_init(fc, req);
	if (error)
		return error;
	error = fim_req_queue(fc, req);
	if (error)
		return error;

	if (!req->force && !READ_ONCE(fc->no_interrupt)) {
		if (!wait_for_completion_interruptible(&req->done))
			return req->error;
		fim_req_interrupt(fc, req);
	}
	if (wait_for_completion_killable(&req->done)) {
		spin_lock(&fc->lock);
		if (req->state == FIM_REQ_PENDING) {
			/* Withdraw it: the server never saw it. */
			list_del_init(&req->list);
			req->state = FIM_REQ_DONE;
			spin_unlock(&fc->lock);
			fim_req_put(req);	/* the queue's reference */
			return -EINTR;
		}
		spin_unlock(&fc->lock);
		return -EINTR;
	}
	return req->error;
}

/**
 * fim_req_send_bounded() - send a forced request, wait a bounded time
 * @fc: the connection
 * @req: the request, with its arguments filled in and @req->force set
 * @timeout: jiffies to wait for the answer
 *
 * For the requests of unmount (DESTROY), which may run in a kworker that
 * no signal reaches, and under s_umount, which a server calling sync(2)
 * waits for.  If the server does not answer within @timeout, or the
 * caller is killed, the connection is aborted: a server that cannot
 * answer its own unmount is as good as dead.
 *
 * Context: process context, may sleep; no locks of this module held.
 * Return: as fim_req_send(), or -ETIMEDOUT after aborting.
 */
int fim_req_send_bounded(struct fim_conn *fc, struct fim_req *req,
			 unsigned long timeout)
{
	long left;
	int error;

	error = fim_req_queue(fc, req);
	if (error)
		return error;
	left = wait_for_completion_killable_timeout(&req->done, timeout);
	if (left > 0)
		return req->error;
	pr_warn_ratelimited("server did not answer opcode %u in %u s: aborting the connection\n",
			    req->opcode, jiffies_to_msecs(timeout) / 1000);
	/* Ends @req too, whatever state it is in. */
	fim_conn_abort(fc);
	wait_for_completion(&req->done);
	return left ? -EINTR : -ETIMEDOUT;
}

/**
 * fim_req_send_bg() - send a request nobody waits for
 * @fc: the connection
 * @req: the request; the caller's reference passes to the connection
 * @end: called when the request finished, with its result in @req
 *
 * Used for INIT, which must be queued at mount before the server starts
 * reading.  @end runs exactly once, even if the connection is aborted.
 *
 * Return: 0, or -ENOTCONN (then @end is not called and @req is freed).
 */
int fim_req_send_bg(struct fim_conn *fc, struct fim_req *req,
		    fim_req_end_fn end)
{
	int error;

	req->end = end;
	error = fim_req_queue(fc, req);
	fim_req_put(req);	/* the queue's reference keeps it alive */
	return error;
}

/**
 * fim_simple_request() - send a request with one argument and fixed reply
 * @fc: the connection
 * @opcode: FUSE_* opcode
 * @nodeid: node id, 0 for none
 * @in: argument, copied into the request
 * @in_len: bytes of @in
 * @out: where to copy the reply; the reply must be exactly @out_len bytes
 * @out_len: bytes of @out, 0 if the opcode has no reply payload
 *
 * Context: process context, may sleep.
 * Return: as fim_req_send(), or -ENOMEM.
 */
int fim_simple_request(struct fim_conn *fc, u32 opcode, u64 nodeid,
		       const void *in, size_t in_len, void *out,
		       size_t out_len)
{
	struct fim_req *req;
	int error;

	req = fim_req_alloc(fc, opcode, nodeid, in_len, out_len);
	if (IS_ERR(req))
		return PTR_ERR(req);
	if (in_len)
		memcpy(fim_req_args(req), in, in_len);
	error = fim_req_send(fc, req);
	if (!error && out_len)
		memcpy(out, req->out, out_len);
	fim_req_put(req);
	return error;
}
