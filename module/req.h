/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Requests to the server: allocation, sending, waiting.
 *
 * A request is self-contained: its message (header and arguments) is built
 * in a buffer it owns, and the server's reply lands in a second buffer it
 * owns.  The requester copies results out after the request finished.  A
 * requester killed while the server holds the request therefore leaves no
 * dangling pointer behind: a late reply fills the request's own buffer and
 * is dropped with the last reference.
 */
#ifndef FIM_REQ_H
#define FIM_REQ_H

#include <linux/completion.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "fim.h"

/* Lifecycle of a request; changes under fim_conn.lock. */
enum fim_req_state {
	FIM_REQ_NEW,		/* not queued yet */
	FIM_REQ_PENDING,	/* on fim_conn.pending */
	FIM_REQ_SENT,		/* read by the server, on fim_conn.processing */
	FIM_REQ_REPLYING,	/* the server's reply is being copied in */
	FIM_REQ_DONE,		/* finished; @error and the reply are final */
};

struct fim_req;
typedef void (*fim_req_end_fn)(struct fim_conn *fc, struct fim_req *req);

/**
 * struct fim_req - one request to the server
 * @fc: the connection; a reference is held for the request's lifetime
 * @list: link in fim_conn.pending or fim_conn.processing; fim_conn.lock
 * @refs: the requester's reference, plus one while queued or being copied
 * @state: enum fim_req_state; fim_conn.lock
 * @opcode: FUSE_* opcode, also in the message header
 * @unique: request id, also in the message header; set when queued
 * @noreply: the server never answers this opcode; finished once the
 *	server has read it
 * @interrupted: the requester got a signal while waiting; fim_conn.lock
 * @intr_entry: link in fim_conn.interrupts while the FUSE_INTERRUPT for
 *	this request waits to be read; fim_conn.lock.  Only a request in
 *	state SENT is linked, and whoever moves it out of SENT unlinks it
 * @force: send even before INIT completed (INIT itself, DESTROY)
 * @msg: the message: struct fuse_in_header followed by the arguments
 * @msg_len: bytes in @msg
 * @out: buffer for the reply's payload
 * @out_size: bytes the reply must carry exactly, or at most with @out_var
 * @out_min: with @out_var, the fewest bytes a successful reply may carry
 * @out_var: the reply's length may vary from @out_min to @out_size
 * @out_len: bytes the reply carried; final once @state is DONE
 * @error: 0 or negative errno from the server or the connection
 * @end: called once finished, for requests nobody waits for (INIT); the
 *	callback runs without locks and may sleep
 * @end_inode: an inode reference dropped once the request ended
 *	(background RELEASE), or NULL
 * @end_work: drops @end_inode on fim_wq: the end may run in the server's
 *	write() or in an abort, where a final iput() must not happen
 * @done: completed when @state becomes DONE
 */
struct fim_req {
	struct fim_conn		*fc;
	struct list_head	list;
	refcount_t		refs;
	enum fim_req_state	state;
	u32			opcode;
	u64			unique;
	bool			noreply;
	bool			force;
	bool			interrupted;
	struct list_head	intr_entry;
	void			*msg;
	size_t			msg_len;
	void			*out;
	size_t			out_size;
	size_t			out_min;
	bool			out_var;
	size_t			out_len;
	int			error;
	fim_req_end_fn		end;
	struct inode		*end_inode;
	struct work_struct	end_work;
	struct completion	done;
};

/**
 * struct fim_forget - lookup references to return to the server
 * @list: link in fim_conn.forgets; fim_conn.lock
 * @nodeid: the node
 * @nlookup: how many lookups the server counted for it
 *
 * Not a request: nobody waits and the server never answers, so forgets
 * queue separately and are read as FORGET or, when the server's minor is
 * 16 or later, batched into BATCH_FORGET.
 */
struct fim_forget {
	struct list_head	list;
	u64			nodeid;
	u64			nlookup;
};

/* Most node ids in one BATCH_FORGET; fits FUSE_MIN_READ_BUFFER. */
#define FIM_FORGET_BATCH	256
/* Forget messages the server may read in a row while requests wait. */
#define FIM_FORGET_CREDIT	16
/*
 * Forgets queued at most; beyond, a forget is dropped (the server keeps
 * the node a little longer).  Eviction must not wait for the server.
 */
#define FIM_MAX_FORGETS		65536
/* Background RELEASEs in flight at most; close(2) waits beyond. */
#define FIM_MAX_BG_RELEASES	4096

void fim_req_unlink_locked(struct fim_conn *fc, struct fim_req *req);

struct fim_req *fim_req_alloc(struct fim_conn *fc, u32 opcode, u64 nodeid,
			      size_t args_len, size_t out_size);
void fim_req_put(struct fim_req *req);
int fim_req_send(struct fim_conn *fc, struct fim_req *req);
int fim_req_send_bounded(struct fim_conn *fc, struct fim_req *req,
			 unsigned long timeout);
int fim_req_send_bg(struct fim_conn *fc, struct fim_req *req,
		    fim_req_end_fn end);
void fim_req_end(struct fim_conn *fc, struct fim_req *req, int error);

/* The request's arguments, right after its header. */
static inline void *fim_req_args(struct fim_req *req)
{
	return req->msg + sizeof(struct fuse_in_header);
}

int fim_simple_request(struct fim_conn *fc, u32 opcode, u64 nodeid,
		       const void *in, size_t in_len, void *out,
		       size_t out_len);

#endif /* FIM_REQ_H */
