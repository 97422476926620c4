// SPDX-License-Identifier: GPL-2.0
#include "util/privilege.h"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace f4::util {

namespace {

Unexpected<std::string> bad(std::string s) {
  return {std::move(s)};
}

int last_cap() {
  std::ifstream f("/proc/sys/kernel/cap_last_cap");
  int n = 63;
  f >> n;
  return n;
}

}  // namespace

Expected<Credentials, std::string> resolve_credentials(const std::optional<std::string>& user,
                                                       std::optional<uid_t> uid,
                                                       std::optional<gid_t> gid) {
  if (uid || gid) {
    if (!uid || !gid)
      return bad("give both uid= and gid=");
    return Credentials{*uid, *gid};
  }
  std::string name = user.value_or("nobody");
  struct passwd* pw = getpwnam(name.c_str());
  if (!pw)
    return bad("no user named '" + name + "' to run as");
  return Credentials{pw->pw_uid, pw->pw_gid};
}

Expected<void, std::string> drop_privileges(const Credentials& to) {
  if (to.uid == 0)
    return bad("refusing to keep running as root (uid 0)");
  for (int cap = 0; cap <= last_cap(); cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return bad(std::string("cannot drop capability bounding set: ") + strerror(errno));
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (setgroups(0, nullptr) != 0)
    return bad(std::string("setgroups: ") + strerror(errno));
  if (setresgid(to.gid, to.gid, to.gid) != 0)
    return bad(std::string("setresgid: ") + strerror(errno));
  // Leaving uid 0 for a nonzero uid clears the permitted and effective
  // capability sets (no SECBIT_KEEP_CAPS is set).
  if (setresuid(to.uid, to.uid, to.uid) != 0)
    return bad(std::string("setresuid: ") + strerror(errno));
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return bad(std::string("no_new_privs: ") + strerror(errno));
  // Verify rather than trust.
  std::ifstream f("/proc/self/status");
  std::stringstream ss;
  ss << f.rdbuf();
  auto st = parse_status(ss.str());
  if (!st)
    return bad("cannot read /proc/self/status to verify the privilege drop");
  if (st->eff || st->prm || st->inh || st->amb || st->bnd)
    return bad("capabilities are left after the privilege drop");
  for (int i = 0; i < 4; i++)
    if (st->uid[i] != to.uid || st->gid[i] != to.gid)
      return bad("user or group ids did not change as asked");
  return {};
}

std::optional<CapStatus> parse_status(std::string_view text) {
  CapStatus st;
  int seen = 0;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string key;
    l >> key;
    auto hex = [&](uint64_t& out) {
      std::string v;
      l >> v;
      out = std::stoull(v, nullptr, 16);
      seen++;
    };
    if (key == "CapInh:")
      hex(st.inh);
    else if (key == "CapPrm:")
      hex(st.prm);
    else if (key == "CapEff:")
      hex(st.eff);
    else if (key == "CapBnd:")
      hex(st.bnd);
    else if (key == "CapAmb:")
      hex(st.amb);
    else if (key == "Uid:") {
      l >> st.uid[0] >> st.uid[1] >> st.uid[2] >> st.uid[3];
      seen++;
    } else if (key == "Gid:") {
      l >> st.gid[0] >> st.gid[1] >> st.gid[2] >> st.gid[3];
      seen++;
    }
  }
  if (seen < 7)
    return std::nullopt;
  return st;
}

}  // namespace f4::util
