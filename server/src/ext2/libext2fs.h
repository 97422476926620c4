// SPDX-License-Identifier: GPL-2.0
//
// Include libext2fs through here: its header defines a function-like
// clamp() macro that breaks std::clamp in <algorithm> and friends.
#pragma once

#include <ext2fs/ext2fs.h>

#undef clamp
