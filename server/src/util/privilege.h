// SPDX-License-Identifier: GPL-2.0
//
// Dropping privileges once the image and the fuse device are open: the
// process that parses the untrusted image keeps no capabilities and runs
// as an unprivileged user.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace f4::util {

struct Credentials {
  uid_t uid;
  gid_t gid;
};

// The user to become: @user by name, or @uid/@gid, or "nobody" (with
// its primary group) when nothing is given.
Expected<Credentials, std::string> resolve_credentials(const std::optional<std::string>& user,
                                                       std::optional<uid_t> uid,
                                                       std::optional<gid_t> gid);

// Empty the capability bounding and ambient sets, set no_new_privs, drop
// supplementary groups and switch real/effective/saved ids to @to.  Then
// check /proc/self/status: on success no capability is left.
Expected<void, std::string> drop_privileges(const Credentials& to);

struct CapStatus {
  uint64_t inh = 0, prm = 0, eff = 0, bnd = 0, amb = 0;
  uid_t uid[4] = {0, 0, 0, 0};  // real, effective, saved, fs
  gid_t gid[4] = {0, 0, 0, 0};
};

// Parse the Cap*, Uid and Gid lines of a /proc/<pid>/status text.
std::optional<CapStatus> parse_status(std::string_view text);

}  // namespace f4::util
