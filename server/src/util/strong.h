// SPDX-License-Identifier: GPL-2.0
//
// Strong integer types for every quantity with a unit.  An inode number,
// a block number and a byte count never convert into each other silently:
// swapping two integer arguments must not compile.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace f4::util {

template <class Tag, class Rep>
class Strong {
 public:
  using rep = Rep;
  constexpr Strong() = default;
  constexpr explicit Strong(Rep v) : v_(v) {}
  constexpr Rep get() const { return v_; }
  constexpr auto operator<=>(const Strong&) const = default;

 private:
  Rep v_{};
};

}  // namespace f4::util

namespace f4 {

using InodeNum = util::Strong<struct InodeNumTag, uint32_t>;  // ext2_ino_t
using BlockNum = util::Strong<struct BlockNumTag, uint64_t>;  // blk64_t
using ByteOffset = util::Strong<struct ByteOffsetTag, uint64_t>;
using ByteLen = util::Strong<struct ByteLenTag, uint64_t>;
// The kernel's name for a node; see fuse/nodeid.h for the mapping.
using NodeId = util::Strong<struct NodeIdTag, uint64_t>;

}  // namespace f4

template <class Tag, class Rep>
struct std::hash<f4::util::Strong<Tag, Rep>> {
  size_t operator()(const f4::util::Strong<Tag, Rep>& s) const noexcept {
    return std::hash<Rep>{}(s.get());
  }
};
