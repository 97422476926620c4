// SPDX-License-Identifier: GPL-2.0
#include "fuse/session.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/xattr.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ext2/dir.h"
#include "ext2/error.h"
#include "fuse/nodeid.h"
#include "fuse/request.h"
#include "ops/ops.h"
#include "util/log.h"
#include "util/unmount_helper.h"

namespace f4::fuse {

namespace {

ops::Caller caller(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  return {ctx->uid, ctx->gid, ctx->umask};
}

fuse_entry_param to_param(const Server& s, const ops::Entry& e) {
  fuse_entry_param p{};
  p.ino = s.opts().node_ids.to_nodeid(e.ino);
  p.generation = e.generation;
  p.attr = e.attr;
  p.attr_timeout = s.opts().attr_timeout_s;
  p.entry_timeout = s.opts().entry_timeout_s;
  return p;
}

// Run @fn for a request; an escaping exception (a bug, or bad_alloc)
// becomes EIO rather than crossing into libfuse.
template <class Fn>
void serve(fuse_req_t req, const char* op, Fn&& fn) noexcept {
  Request r(req, op);
  try {
    fn(r);
  } catch (const std::bad_alloc&) {
    r.reply_err(ENOMEM);
  } catch (const std::exception& e) {
    F4_ERROR("%s: unexpected exception: %s", op, e.what());
    r.reply_err(EIO);
  } catch (...) {
    F4_ERROR("%s: unexpected exception", op);
    r.reply_err(EIO);
  }
}

// Call an ops/ function under the Guard; the Guard is dropped on return,
// before the reply.  Once the image is closed (DESTROY, or the session
// ending) a request still in flight on another thread, or one after a
// second INIT, finds no filesystem: it fails with EIO.
template <class Fn>
auto locked(Request& r, Fn&& fn) -> decltype(fn(std::declval<ext2::Guard&>())) {
  auto g = r.server().fs().lock();
  if (g.closed()) {
    F4_WARN("%s after the filesystem was closed: EIO", r.op());
    return util::fail_errno(EIO);
  }
  return fn(g);
}

InodeNum ino_of(Request& r, fuse_ino_t node) {
  return r.server().opts().node_ids.to_ino(node);
}

// The kernel counts a lookup only for an entry it received: when the
// reply cannot be delivered (the request was interrupted, the connection
// is gone) the reference taken for it is dropped again, or the inode
// would stay referenced (and, if unlinked, allocated) forever.
void undo_lookups(Request& r, std::span<const InodeNum> inos) {
  if (inos.empty())
    return;
  auto res = locked(r, [&](auto& g) -> util::Result<void> {
    for (InodeNum ino : inos)
      ops::forget(g, ino, 1);
    return {};
  });
  (void)res;  // closed: the references are gone with the table
}

void reply_entry_or_fail(Request& r, const util::Result<ops::Entry>& e, InodeNum blame) {
  if (!e.ok())
    return r.fail(e.error(), blame);
  if (!r.reply_entry(to_param(r.server(), *e)))
    undo_lookups(r, std::span(&e->ino, 1));
}

}  // namespace

extern "C" {

static void f4_init(void* userdata, fuse_conn_info* conn) noexcept {
  (void)userdata;
  // Asynchronous reads are fine: every read takes the Guard anyway.
  fuse_set_feature_flag(conn, FUSE_CAP_ASYNC_READ);
  fuse_unset_feature_flag(conn, FUSE_CAP_ATOMIC_O_TRUNC);
  // The kernel enforces POSIX ACLs (with default_permissions) only when
  // asked to; the server keeps the mode and ACLs in step and does the
  // inheritance (ops/acl.h), applying the umask itself, since a default
  // ACL replaces it.  fuse_iomap.ko does not offer FUSE_POSIX_ACL yet:
  // there ACLs are stored and inherited, but not enforced.
  if (fuse_set_feature_flag(conn, FUSE_CAP_POSIX_ACL))
    fuse_set_feature_flag(conn, FUSE_CAP_DONT_MASK);
}

static void f4_destroy(void* userdata) noexcept {
  auto* s = static_cast<Server*>(userdata);
  try {
    auto r = s->fs().close();
    if (!r.ok()) {
      F4_ERROR("closing the filesystem failed: %s", ext2::describe(r.error()));
      s->close_failed = true;
    }
  } catch (const std::exception& e) {
    F4_ERROR("closing the filesystem failed: %s", e.what());
    s->close_failed = true;
  }
}

static void f4_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
  serve(req, "lookup", [&](Request& r) {
    auto e = locked(r, [&](auto& g) { return ops::lookup(g, ino_of(r, parent), name); });
    if (!e.ok() && e.error().raw == ENOENT) {
      // A negative entry: the kernel may cache the absence, nothing but
      // this server changes the filesystem.
      fuse_entry_param p{};
      p.entry_timeout = r.server().opts().entry_timeout_s;
      (void)r.reply_entry(p);  // no reference taken
      return;
    }
    reply_entry_or_fail(r, e, ino_of(r, parent));
  });
}

static void f4_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) noexcept {
  serve(req, "forget", [&](Request& r) {
    auto res = locked(r, [&](auto& g) -> util::Result<void> {
      ops::forget(g, ino_of(r, ino), nlookup);
      return {};
    });
    (void)res;  // nothing to forget once closed
    r.reply_none();
  });
}

static void f4_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* list) noexcept {
  serve(req, "forget_multi", [&](Request& r) {
    auto res = locked(r, [&](auto& g) -> util::Result<void> {
      for (size_t i = 0; i < count; i++)
        ops::forget(g, ino_of(r, list[i].ino), list[i].nlookup);
      return {};
    });
    (void)res;  // nothing to forget once closed
    r.reply_none();
  });
}

static void f4_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) noexcept {
  serve(req, "getattr", [&](Request& r) {
    auto st = locked(r, [&](auto& g) { return ops::getattr(g, ino_of(r, ino)); });
    if (!st.ok())
      return r.fail(st.error(), ino_of(r, ino));
    r.reply_attr(*st, r.server().opts().attr_timeout_s);
  });
}

static void f4_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                       fuse_file_info*) noexcept {
  serve(req, "setattr", [&](Request& r) {
    ops::SetAttr sa;
    ext2::Timespec now = ext2::now();
    auto ts = [](const timespec& t) {
      return ext2::Timespec{t.tv_sec, static_cast<uint32_t>(t.tv_nsec)};
    };
    if (to_set & FUSE_SET_ATTR_MODE)
      sa.mode = attr->st_mode;
    if (to_set & FUSE_SET_ATTR_UID)
      sa.uid = attr->st_uid;
    if (to_set & FUSE_SET_ATTR_GID)
      sa.gid = attr->st_gid;
    if (to_set & FUSE_SET_ATTR_SIZE) {
      if (attr->st_size < 0)
        return r.reply_err(EINVAL);
      sa.size = static_cast<uint64_t>(attr->st_size);
    }
    if (to_set & FUSE_SET_ATTR_ATIME_NOW)
      sa.atime = now;
    else if (to_set & FUSE_SET_ATTR_ATIME)
      sa.atime = ts(attr->st_atim);
    if (to_set & FUSE_SET_ATTR_MTIME_NOW)
      sa.mtime = now;
    else if (to_set & FUSE_SET_ATTR_MTIME)
      sa.mtime = ts(attr->st_mtim);
    if (to_set & FUSE_SET_ATTR_CTIME)
      sa.ctime = ts(attr->st_ctim);
    auto st = locked(r, [&](auto& g) { return ops::setattr(g, ino_of(r, ino), sa); });
    if (!st.ok())
      return r.fail(st.error(), ino_of(r, ino));
    r.reply_attr(*st, r.server().opts().attr_timeout_s);
  });
}

static void f4_readlink(fuse_req_t req, fuse_ino_t ino) noexcept {
  serve(req, "readlink", [&](Request& r) {
    auto t = locked(r, [&](auto& g) { return ops::readlink(g, ino_of(r, ino)); });
    if (!t.ok())
      return r.fail(t.error(), ino_of(r, ino));
    r.reply_readlink(t->c_str());
  });
}

static void f4_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                     dev_t rdev) noexcept {
  serve(req, "mknod", [&](Request& r) {
    auto e = locked(r, [&](auto& g) {
      return ops::mknod(g, caller(req), ino_of(r, parent), name, mode, rdev);
    });
    reply_entry_or_fail(r, e, ino_of(r, parent));
  });
}

static void f4_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) noexcept {
  serve(req, "mkdir", [&](Request& r) {
    auto e = locked(
        r, [&](auto& g) { return ops::mkdir(g, caller(req), ino_of(r, parent), name, mode); });
    reply_entry_or_fail(r, e, ino_of(r, parent));
  });
}

static void f4_symlink(fuse_req_t req, const char* target, fuse_ino_t parent,
                       const char* name) noexcept {
  serve(req, "symlink", [&](Request& r) {
    auto e = locked(
        r, [&](auto& g) { return ops::symlink(g, caller(req), ino_of(r, parent), name, target); });
    reply_entry_or_fail(r, e, ino_of(r, parent));
  });
}

static void f4_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
                    const char* newname) noexcept {
  serve(req, "link", [&](Request& r) {
    auto e = locked(
        r, [&](auto& g) { return ops::link(g, ino_of(r, ino), ino_of(r, newparent), newname); });
    reply_entry_or_fail(r, e, ino_of(r, ino));
  });
}

static void f4_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
  serve(req, "unlink", [&](Request& r) {
    auto res = locked(r, [&](auto& g) { return ops::unlink(g, ino_of(r, parent), name); });
    if (!res.ok())
      return r.fail(res.error(), ino_of(r, parent));
    r.reply_err(0);
  });
}

static void f4_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
  serve(req, "rmdir", [&](Request& r) {
    auto res = locked(r, [&](auto& g) { return ops::rmdir(g, ino_of(r, parent), name); });
    if (!res.ok())
      return r.fail(res.error(), ino_of(r, parent));
    r.reply_err(0);
  });
}

static void f4_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
                      const char* newname, unsigned int flags) noexcept {
  serve(req, "rename", [&](Request& r) {
    auto res = locked(r, [&](auto& g) {
      return ops::rename(g, ino_of(r, parent), name, ino_of(r, newparent), newname, flags);
    });
    if (!res.ok())
      return r.fail(res.error(), ino_of(r, parent));
    r.reply_err(0);
  });
}

static void f4_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
  serve(req, "open", [&](Request& r) {
    auto res = locked(r, [&](auto& g) { return ops::check_open(g, ino_of(r, ino), fi->flags); });
    if (!res.ok())
      return r.fail(res.error(), ino_of(r, ino));
    // Only this server changes the file: cached pages stay valid.
    fi->keep_cache = 1;
    r.reply_open(fi);
  });
}

static void f4_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                      fuse_file_info* fi) noexcept {
  serve(req, "create", [&](Request& r) {
    auto e = locked(r, [&](auto& g) {
      return ops::mknod(g, caller(req), ino_of(r, parent), name, S_IFREG | (mode & 07777), 0);
    });
    if (!e.ok())
      return r.fail(e.error(), ino_of(r, parent));
    fi->keep_cache = 1;
    auto p = to_param(r.server(), *e);
    if (!r.reply_create(p, fi))
      undo_lookups(r, std::span(&e->ino, 1));
  });
}

static void f4_tmpfile(fuse_req_t req, fuse_ino_t parent, mode_t mode,
                       fuse_file_info* fi) noexcept {
  serve(req, "tmpfile", [&](Request& r) {
    auto e = locked(r, [&](auto& g) {
      return ops::tmpfile(g, caller(req), ino_of(r, parent), S_IFREG | (mode & 07777));
    });
    if (!e.ok())
      return r.fail(e.error(), ino_of(r, parent));
    fi->keep_cache = 1;
    auto p = to_param(r.server(), *e);
    r.reply_create(p, fi);
  });
}

static void f4_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    fuse_file_info*) noexcept {
  serve(req, "read", [&](Request& r) {
    if (off < 0)
      return r.reply_err(EINVAL);
    std::string buf(size, '\0');
    auto n = locked(r, [&](auto& g) {
      return ops::read(g, ino_of(r, ino), ByteOffset(static_cast<uint64_t>(off)), buf);
    });
    if (!n.ok())
      return r.fail(n.error(), ino_of(r, ino));
    (void)r.reply_buf(std::string_view(buf.data(), *n));
  });
}

static void f4_write(fuse_req_t req, fuse_ino_t ino, const char* data, size_t size, off_t off,
                     fuse_file_info*) noexcept {
  serve(req, "write", [&](Request& r) {
    if (off < 0)
      return r.reply_err(EINVAL);
    auto n = locked(r, [&](auto& g) {
      return ops::write(g, ino_of(r, ino), ByteOffset(static_cast<uint64_t>(off)),
                        std::span<const char>(data, size));
    });
    if (!n.ok())
      return r.fail(n.error(), ino_of(r, ino));
    r.reply_write(*n);
  });
}

static void f4_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
                         fuse_file_info*) noexcept {
  serve(req, "fallocate", [&](Request& r) {
    if (off < 0 || len <= 0)
      return r.reply_err(EINVAL);
    auto res = locked(r, [&](auto& g) {
      return ops::fallocate(g, ino_of(r, ino), mode, ByteOffset(static_cast<uint64_t>(off)),
                            ByteLen(static_cast<uint64_t>(len)));
    });
    if (!res.ok())
      return r.fail(res.error(), ino_of(r, ino));
    r.reply_err(0);
  });
}

// Only SEEK_DATA and SEEK_HOLE reach the server; the kernel does the rest.
static void f4_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
                     fuse_file_info*) noexcept {
  serve(req, "lseek", [&](Request& r) {
    if (off < 0)
      return r.reply_err(ENXIO);
    auto pos = locked(r, [&](auto& g) {
      return ops::seek_data_hole(g, ino_of(r, ino), ByteOffset(static_cast<uint64_t>(off)), whence);
    });
    if (!pos.ok())
      return r.fail(pos.error(), ino_of(r, ino));
    r.reply_lseek(static_cast<off_t>(*pos));
  });
}

static void f4_flush(fuse_req_t req, fuse_ino_t, fuse_file_info*) noexcept {
  serve(req, "flush", [&](Request& r) { r.reply_err(0); });
}

static void f4_release(fuse_req_t req, fuse_ino_t, fuse_file_info*) noexcept {
  serve(req, "release", [&](Request& r) { r.reply_err(0); });
}

static void f4_fsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info*) noexcept {
  serve(req, "fsync", [&](Request& r) {
    auto res = locked(r, [&](auto& g) { return ops::fsync(g); });
    if (!res.ok())
      return r.fail(res.error(), ino_of(r, ino));
    r.reply_err(0);
  });
}

// The size of a readdirplus entry with a one-byte name: fuse_entry_out
// (128 bytes) and fuse_dirent (24 bytes, the name padded to 8).
constexpr size_t kMinDirentPlus = 128 + 24 + 8;

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
  serve(req, plus ? "readdirplus" : "readdir", [&](Request& r) {
    if (off < 0)
      return r.reply_err(EINVAL);
    std::string buf(size, '\0');
    size_t used = 0;
    std::vector<InodeNum> sent;  // readdirplus: the references in buf
    if (plus)
      sent.reserve(size / kMinDirentPlus + 1);
    auto res = locked(r, [&](auto& g) {
      return ops::readdir(
          g, ino_of(r, ino), static_cast<uint64_t>(off), [&](const ops::DirItem& it) {
            std::string name(it.name);
            size_t room = size - used;
            size_t need;
            if (!plus) {
              struct stat st {};
              st.st_ino = it.ino.get();
              st.st_mode = it.type << 12;
              need = fuse_add_direntry(req, buf.data() + used, room, name.c_str(), &st,
                                       static_cast<off_t>(it.cookie));
            } else {
              // "." and ".." take no lookup reference (the kernel skips them).
              bool dot = it.name == "." || it.name == "..";
              bool referenced = false;
              fuse_entry_param p{};
              if (dot) {
                auto st = ops::getattr(g, it.ino);
                if (st.ok())
                  p.attr = *st;
                p.attr.st_ino = it.ino.get();
              } else {
                // An entry that cannot be served (a reserved inode, a free
                // one) is listed as plain readdir lists it, without
                // attributes (node id 0: the kernel makes no inode); a
                // lookup of the name then fails with EUCLEAN.
                auto checked = ext2::check_entry(g, ino_of(r, ino), it.name, it.ino);
                auto e = checked.ok() ? ops::make_entry(g, it.ino)
                                      : util::Result<ops::Entry>(util::fail(checked.error()));
                if (e.ok()) {
                  p = to_param(r.server(), *e);
                  referenced = true;
                } else {
                  F4_WARN("readdirplus: entry %s without attributes: %s", name.c_str(),
                          ext2::describe(e.error()));
                  p.attr.st_ino = it.ino.get();
                  p.attr.st_mode = it.type << 12;
                }
              }
              need = fuse_add_direntry_plus(req, buf.data() + used, room, name.c_str(), &p,
                                            static_cast<off_t>(it.cookie));
              if (need > room && referenced)
                (void)g.refs().put(it.ino, 1);  // not sent: give the reference back
            }
            if (need > room)
              return false;
            if (plus && it.name != "." && it.name != "..")
              sent.push_back(it.ino);
            used += need;
            return true;
          });
    });
    if (!res.ok()) {
      undo_lookups(r, sent);
      return r.fail(res.error(), ino_of(r, ino));
    }
    if (!r.reply_buf(std::string_view(buf.data(), used)))
      undo_lookups(r, sent);
  });
}

static void f4_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       fuse_file_info*) noexcept {
  do_readdir(req, ino, size, off, false);
}

static void f4_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                           fuse_file_info*) noexcept {
  do_readdir(req, ino, size, off, true);
}

static void f4_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) noexcept {
  f4_fsync(req, ino, datasync, fi);
}

static void f4_statfs(fuse_req_t req, fuse_ino_t) noexcept {
  serve(req, "statfs", [&](Request& r) {
    auto sv = locked(r, [&](auto& g) { return ops::statfs(g); });
    if (!sv.ok())
      return r.fail(sv.error(), InodeNum(EXT2_ROOT_INO));
    r.reply_statfs(*sv);
  });
}

static void reply_sized(Request& r, const std::string& data, size_t size) {
  if (size == 0)
    return r.reply_xattr(data.size());
  if (data.size() > size)
    return r.reply_err(ERANGE);
  (void)r.reply_buf(data);
}

static void f4_setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                        size_t size, int flags) noexcept {
  serve(req, "setxattr", [&](Request& r) {
    auto res = locked(r, [&](auto& g) {
      return ops::setxattr(g, ino_of(r, ino), name, std::string_view(value, size), flags);
    });
    if (!res.ok())
      return r.fail(res.error(), ino_of(r, ino));
    r.reply_err(0);
  });
}

static void f4_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) noexcept {
  serve(req, "getxattr", [&](Request& r) {
    auto v = locked(r, [&](auto& g) { return ops::getxattr(g, ino_of(r, ino), name); });
    if (!v.ok())
      return r.fail(v.error(), ino_of(r, ino));
    reply_sized(r, *v, size);
  });
}

static void f4_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) noexcept {
  serve(req, "listxattr", [&](Request& r) {
    auto v = locked(r, [&](auto& g) { return ops::listxattr(g, ino_of(r, ino)); });
    if (!v.ok())
      return r.fail(v.error(), ino_of(r, ino));
    reply_sized(r, *v, size);
  });
}

static void f4_removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) noexcept {
  serve(req, "removexattr", [&](Request& r) {
    auto res = locked(r, [&](auto& g) { return ops::removexattr(g, ino_of(r, ino), name); });
    if (!res.ok())
      return r.fail(res.error(), ino_of(r, ino));
    r.reply_err(0);
  });
}

static void f4_panic(void* arg) {
  fuse_session_exit(static_cast<fuse_session*>(arg));
}

}  // extern "C"

const fuse_lowlevel_ops& lowlevel_ops() {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.init = f4_init;
    o.destroy = f4_destroy;
    o.lookup = f4_lookup;
    o.forget = f4_forget;
    o.forget_multi = f4_forget_multi;
    o.getattr = f4_getattr;
    o.setattr = f4_setattr;
    o.readlink = f4_readlink;
    o.mknod = f4_mknod;
    o.mkdir = f4_mkdir;
    o.symlink = f4_symlink;
    o.link = f4_link;
    o.unlink = f4_unlink;
    o.rmdir = f4_rmdir;
    o.rename = f4_rename;
    o.open = f4_open;
    o.create = f4_create;
    o.tmpfile = f4_tmpfile;
    o.read = f4_read;
    o.write = f4_write;
    o.flush = f4_flush;
    o.release = f4_release;
    o.fsync = f4_fsync;
    o.fallocate = f4_fallocate;
    o.lseek = f4_lseek;
    o.readdir = f4_readdir;
    o.readdirplus = f4_readdirplus;
    o.fsyncdir = f4_fsyncdir;
    o.statfs = f4_statfs;
    o.setxattr = f4_setxattr;
    o.getxattr = f4_getxattr;
    o.listxattr = f4_listxattr;
    o.removexattr = f4_removexattr;
    return o;
  }();
  return ops;
}

int run(Server& server) {
  const SessionOptions& so = server.opts();
  std::vector<char*> argv;
  argv.reserve(so.fuse_args.size());
  for (const auto& a : so.fuse_args)
    argv.push_back(const_cast<char*>(a.c_str()));
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse_session* se = fuse_session_new(&args, &lowlevel_ops(), sizeof(fuse_lowlevel_ops), &server);
  fuse_opt_free_args(&args);
  if (!se) {
    F4_ERROR("cannot create the FUSE session (bad mount options?)");
    (void)server.fs().close();
    return kExitFuse;
  }
  server.fs().set_panic_hook(f4_panic, se);
  // The helper finds the mount by its canonical path; resolve it now,
  // before the mount: afterwards resolving it would ask this server.
  std::string mountpoint = so.mountpoint;
  if (so.unmount_helper) {
    char* real = realpath(so.mountpoint.c_str(), nullptr);
    if (real) {
      mountpoint = real;
      free(real);
    }
  }
  int status = 0;
  bool helper = false;
  if (fuse_set_signal_handlers(se) != 0) {
    status = kExitFuse;
  } else if (fuse_session_mount(se, so.mountpoint.c_str()) != 0) {
    F4_ERROR("cannot mount on %s", so.mountpoint.c_str());
    status = kExitFuse;
  } else {
    if (so.unmount_helper) {
      auto h = util::start_unmount_helper(mountpoint);
      if (!h.ok()) {
        F4_ERROR("cannot start the unmount helper: %s", h.error().c_str());
        status = kExitFuse;
      }
      helper = h.ok();
    }
    if (status) {
      // not serving
    } else if (so.after_mount && !so.after_mount()) {
      status = kExitPrivilege;
    } else {
      if (!so.foreground)
        fuse_daemonize(0);
      fuse_loop_config* cfg = fuse_loop_cfg_create();
      fuse_loop_cfg_set_max_threads(cfg, so.max_threads);
      int rc = fuse_session_loop_mt(se, cfg);
      fuse_loop_cfg_destroy(cfg);
      if (rc < 0)
        status = kExitFuse;
    }
    // Without privileges the unmount cannot work (libfuse would only
    // spawn a fusermount3 that fails): the helper detaches the mount once
    // this process has exited, after the image is closed below.
    if (!helper)
      fuse_session_unmount(se);
  }
  fuse_remove_signal_handlers(se);
  // Calls destroy (closing the image) if the kernel never sent DESTROY.
  fuse_session_destroy(se);
  if (!server.fs().closed()) {
    auto r = server.fs().close();
    if (!r.ok())
      server.close_failed = true;
  }
  if (server.close_failed && status == 0)
    status = kExitClose;
  if (server.fs().panicked() && status == 0)
    status = kExitPanic;
  return status;
}

}  // namespace f4::fuse
