// SPDX-License-Identifier: GPL-2.0
#include "ext2/acl.h"

#include <endian.h>

#include <cstring>

namespace f4::ext2 {

namespace {

// <linux/posix_acl.h> and <linux/posix_acl_xattr.h>: wire ABI.
constexpr uint32_t kVersion = 2;
constexpr uint16_t kUserObj = 0x01, kUser = 0x02, kGroupObj = 0x04, kGroup = 0x08, kMask = 0x10,
                   kOther = 0x20;
constexpr size_t kHeader = 4, kEntry = 8;

// Little-endian fields at @off of @s; the caller checked the size.
uint16_t le16(std::string_view s, size_t off) {
  uint16_t v;
  memcpy(&v, &s[off], sizeof(v));
  return le16toh(v);
}
uint32_t le32(std::string_view s, size_t off) {
  uint32_t v;
  memcpy(&v, &s[off], sizeof(v));
  return le32toh(v);
}

}  // namespace

std::optional<Acl> parse_acl(std::string_view value) {
  if (value.size() < kHeader || (value.size() - kHeader) % kEntry || le32(value, 0) != kVersion)
    return std::nullopt;
  Acl acl;
  int user_obj = 0, group_obj = 0, other = 0, mask = 0, named = 0;
  for (size_t off = kHeader; off < value.size(); off += kEntry) {
    AclEntry e{le16(value, off), le16(value, off + 2), le32(value, off + 4)};
    if (e.perm & ~7u)
      return std::nullopt;
    switch (e.tag) {
      case kUserObj:
        user_obj++;
        break;
      case kGroupObj:
        group_obj++;
        break;
      case kOther:
        other++;
        break;
      case kMask:
        mask++;
        break;
      case kUser:
      case kGroup:
        named++;
        break;
      default:
        return std::nullopt;
    }
    acl.push_back(e);
  }
  if (user_obj != 1 || group_obj != 1 || other != 1 || mask > 1 || (named && !mask))
    return std::nullopt;
  return acl;
}

std::string format_acl(const Acl& acl) {
  std::string out(kHeader + kEntry * acl.size(), '\0');
  uint32_t v = htole32(kVersion);
  memcpy(out.data(), &v, 4);
  size_t off = kHeader;
  for (const auto& e : acl) {
    uint16_t tag = htole16(e.tag), perm = htole16(e.perm);
    uint32_t id = htole32(e.id);
    memcpy(out.data() + off, &tag, 2);
    memcpy(out.data() + off + 2, &perm, 2);
    memcpy(out.data() + off + 4, &id, 4);
    off += kEntry;
  }
  return out;
}

bool acl_create(Acl& acl, uint32_t* mode) {
  uint32_t m = *mode;
  bool more = false;
  AclEntry* group_obj = nullptr;
  AclEntry* mask = nullptr;
  for (auto& e : acl) {
    switch (e.tag) {
      case kUserObj:
        e.perm = static_cast<uint16_t>(e.perm & ((m >> 6) & 7));
        m &= (e.perm << 6) | ~0700u;
        break;
      case kOther:
        e.perm = static_cast<uint16_t>(e.perm & m & 7);
        m &= e.perm | ~0007u;
        break;
      case kGroupObj:
        group_obj = &e;
        break;
      case kMask:
        mask = &e;
        more = true;
        break;
      default:
        more = true;
        break;
    }
  }
  AclEntry* g = mask ? mask : group_obj;
  if (g) {
    g->perm = static_cast<uint16_t>(g->perm & ((m >> 3) & 7));
    m &= (g->perm << 3) | ~0070u;
  }
  *mode = m;
  return more;
}

bool acl_mode(const Acl& acl, uint32_t* mode) {
  uint32_t m = *mode & ~0777u;
  bool more = false;
  uint32_t group = 0, mask = 0;
  bool has_mask = false;
  for (const auto& e : acl) {
    switch (e.tag) {
      case kUserObj:
        m |= e.perm << 6;
        break;
      case kGroupObj:
        group = e.perm;
        break;
      case kOther:
        m |= e.perm;
        break;
      case kMask:
        mask = e.perm;
        has_mask = true;
        more = true;
        break;
      default:
        more = true;
        break;
    }
  }
  m |= (has_mask ? mask : group) << 3;
  *mode = m;
  return more;
}

void acl_chmod(Acl& acl, uint32_t mode) {
  bool has_mask = false;
  for (const auto& e : acl)
    has_mask |= e.tag == kMask;
  for (auto& e : acl) {
    if (e.tag == kUserObj)
      e.perm = static_cast<uint16_t>((mode >> 6) & 7);
    else if (e.tag == kOther)
      e.perm = static_cast<uint16_t>(mode & 7);
    else if (e.tag == (has_mask ? kMask : kGroupObj))
      e.perm = static_cast<uint16_t>((mode >> 3) & 7);
  }
}

}  // namespace f4::ext2
