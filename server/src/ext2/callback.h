// SPDX-License-Identifier: GPL-2.0
//
// Callbacks that libext2fs calls (directory and xattr iteration) run
// inside C frames: an exception must never unwind through them, it would
// skip libext2fs's cleanup (buffers, handles) or end in std::terminate.
// Every such callback is noexcept and runs its body through
// catch_to_errno(), which turns an exception into an errno that the
// caller reports after the iteration was aborted.
#pragma once

#include <cerrno>
#include <exception>
#include <new>

#include "util/log.h"

namespace f4::ext2 {

// Run @body; on an exception return its errno (ENOMEM for bad_alloc, EIO
// otherwise, logged), else 0.
template <class Body>
int catch_to_errno(const char* what, Body&& body) noexcept {
  try {
    body();
    return 0;
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  } catch (const std::exception& e) {
    F4_ERROR("%s: unexpected exception: %s", what, e.what());
    return EIO;
  } catch (...) {
    F4_ERROR("%s: unexpected exception", what);
    return EIO;
  }
}

}  // namespace f4::ext2
