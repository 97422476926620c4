// SPDX-License-Identifier: GPL-2.0
//
// The one mapping from libext2fs status codes to errno values.
#pragma once

#include "util/result.h"

namespace f4::ext2 {

using util::Error;

// errno values (< 256) pass through; corruption and checksum errors become
// EUCLEAN; allocation failures ENOSPC; out of memory ENOMEM; a code without
// a better meaning EIO, logged once per call with its com_err text.
int to_errno(Error e);

// True for the codes that mean the on-disk metadata is inconsistent: these
// trigger the errors= policy.
bool is_corruption(Error e);

// Human-readable text for @e (com_err's message, or strerror).
const char* describe(Error e);

}  // namespace f4::ext2
