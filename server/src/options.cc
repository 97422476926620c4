// SPDX-License-Identifier: GPL-2.0
#include "options.h"

#include <cstdlib>
#include <sstream>

namespace f4 {

const char kUsage[] =
    "usage: fuse4fs IMAGE MOUNTPOINT [-f] [-d] [-o OPTION[,OPTION...]]\n"
    "\n"
    "Serve an ext2/3/4 image or block device through FUSE.\n"
    "\n"
    "  -f                 stay in the foreground\n"
    "  -d, -o debug       log every request (implies -f)\n"
    "  -o ro | rw         read-only or read-write (default rw)\n"
    "  -o errors=continue|remount-ro|panic\n"
    "                     what to do when corruption is found (default continue)\n"
    "  -o norecovery      with ro: mount even if the journal needs recovery\n"
    "  -o allow_other     let other users access the mount\n"
    "  -o default_permissions  the kernel checks permissions (always on)\n"
    "  -o kernel          behave like the kernel driver: allow_other, suid, dev\n"
    "  -o iomap=off|auto|required\n"
    "                     kernel client: the classic fuse module (off), fuse_iomap.ko\n"
    "                     when loaded, else classic (auto, the default), or fuse_iomap.ko\n"
    "                     only (required)\n"
    "  -o uid=N,gid=N | -o user=NAME\n"
    "                     run as this user once the image is open\n"
    "                     (default when started as root: nobody)\n"
    "  -o suid|nosuid|dev|nodev|exec|noexec|noatime|nodiratime|norelatime|\n"
    "     nostrictatime|sync|async|dirsync|symfollow|nosymfollow\n"
    "                     passed to the kernel\n"
    "  -o atime|diratime|relatime|strictatime|lazytime|nolazytime\n"
    "                     accepted and ignored (the kernel's defaults)\n"
    "\n"
    "Exit status: 0 clean unmount, 1 usage, 2 cannot open the image,\n"
    "3 corrupt or truncated image, 4 unsupported features, 5 journal needs\n"
    "recovery, 6 read-only device with rw, 7 FUSE session or mount failed,\n"
    "8 privilege drop failed, 9 writing back the image failed.\n";

namespace {

// Mount flags libfuse hands to the kernel.
constexpr const char* kPassThrough[] = {"suid",       "nosuid",        "dev",        "nodev",
                                        "exec",       "noexec",        "noatime",    "nodiratime",
                                        "norelatime", "nostrictatime", "sync",       "async",
                                        "dirsync",    "symfollow",     "nosymfollow"};
// Flags that ask for the kernel's defaults, or for atime updates, which
// FUSE clients leave to the server: accepted so that fstab lines and
// test suites written for ext4 work, and dropped.
constexpr const char* kAcceptedDefaults[] = {"atime",       "diratime", "relatime",
                                             "strictatime", "lazytime", "nolazytime"};

util::Unexpected<std::string> bad(std::string msg) {
  return {std::move(msg)};
}

std::optional<unsigned long> parse_id(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::strtoul(s.c_str(), nullptr, 10);
}

}  // namespace

util::Expected<Options, std::string> parse_options(const std::vector<std::string>& args) {
  Options o;
  std::vector<std::string> positional;
  std::vector<std::string> opts;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      o.help = true;
      return o;
    } else if (a == "-f") {
      o.foreground = true;
    } else if (a == "-d") {
      o.debug = o.foreground = true;
    } else if (a == "-o") {
      if (++i == args.size())
        return bad("-o needs an argument");
      opts.push_back(args[i]);
    } else if (a.starts_with("-o") && a.size() > 2) {
      opts.push_back(a.substr(2));
    } else if (a.starts_with("-")) {
      return bad("unknown argument " + a);
    } else {
      positional.push_back(a);
    }
  }
  for (const auto& group : opts) {
    std::stringstream ss(group);
    std::string opt;
    while (std::getline(ss, opt, ',')) {
      if (opt.empty())
        continue;
      std::string key = opt.substr(0, opt.find('='));
      std::string val = opt.find('=') == std::string::npos ? "" : opt.substr(opt.find('=') + 1);
      if (opt == "ro") {
        o.access = ext2::Access::kReadOnly;
      } else if (opt == "rw") {
        o.access = ext2::Access::kReadWrite;
      } else if (key == "errors") {
        if (val == "continue")
          o.errors = ext2::ErrorPolicy::kContinue;
        else if (val == "remount-ro")
          o.errors = ext2::ErrorPolicy::kRemountRo;
        else if (val == "panic")
          o.errors = ext2::ErrorPolicy::kPanic;
        else
          return bad("errors= takes continue, remount-ro or panic, not '" + val + "'");
      } else if (opt == "norecovery" || opt == "noload") {
        o.norecovery = true;
      } else if (opt == "debug") {
        o.debug = o.foreground = true;
      } else if (opt == "allow_other") {
        o.allow_other = true;
      } else if (opt == "default_permissions") {
        // Always on: the server does no permission checks of its own.
      } else if (opt == "kernel") {
        o.allow_other = true;
        o.mount_opts.push_back("suid");
        o.mount_opts.push_back("dev");
      } else if (key == "iomap") {
        if (val == "off")
          o.iomap = IomapMount::kOff;
        else if (val == "auto")
          o.iomap = IomapMount::kAuto;
        else if (val == "required")
          o.iomap = IomapMount::kRequired;
        else
          return bad("iomap= takes off, auto or required, not '" + val + "'");
      } else if (key == "uid" || key == "gid") {
        auto id = parse_id(val);
        if (!id)
          return bad(std::string(key).append("= takes a number, not '").append(val).append("'"));
        if (key == "uid")
          o.uid = static_cast<uid_t>(*id);
        else
          o.gid = static_cast<gid_t>(*id);
      } else if (key == "user") {
        if (val.empty())
          return bad("user= takes a user name");
        o.user = val;
      } else {
        bool pass = false, accepted = false;
        for (const char* p : kPassThrough)
          pass |= opt == p;
        for (const char* p : kAcceptedDefaults)
          accepted |= opt == p;
        if (!pass && !accepted)
          return bad("unknown mount option '" + opt + "'");
        if (pass)
          o.mount_opts.push_back(opt);
      }
    }
  }
  if (o.norecovery && o.access == ext2::Access::kReadWrite)
    return bad("norecovery needs ro");
  if (o.user && (o.uid || o.gid))
    return bad("give either user= or uid=/gid=, not both");
  if (positional.size() != 2)
    return bad(positional.size() < 2 ? "need an IMAGE and a MOUNTPOINT"
                                     : "too many arguments: " + positional[2]);
  o.image = positional[0];
  o.mountpoint = positional[1];
  return o;
}

util::Expected<Client, std::string> choose_client(IomapMount mode, bool library_has_iomap,
                                                  bool device_present) {
  if (mode == IomapMount::kOff)
    return Client::kFuse;
  if (library_has_iomap && device_present)
    return Client::kIomap;
  if (mode == IomapMount::kAuto)
    return Client::kFuse;
  if (!library_has_iomap)
    return bad("iomap=required, but fuse4fs was built with a libfuse without iomap support");
  return bad(std::string("iomap=required, but ") + kIomapDevice +
             " does not exist; load the fuse_iomap module (modprobe fuse_iomap)");
}

std::vector<std::string> fuse_args(const Options& o, Client client, bool library_has_iomap) {
  std::vector<std::string> a{"fuse4fs"};
  // fsname shows the image in /proc/mounts; commas would split the option.
  std::string fsname;
  for (char c : o.image)
    fsname += c == ',' ? '_' : c;
  std::string mo = "fsname=" + fsname + ",subtype=fuse4fs,default_permissions";
  if (o.allow_other)
    mo += ",allow_other";
  if (o.access == ext2::Access::kReadOnly)
    mo += ",ro";
  for (const auto& m : o.mount_opts)
    mo += "," + m;
  if (client == Client::kIomap)
    mo += ",iomap=required,root_nodeid=" + std::to_string(EXT2_ROOT_INO);
  else if (library_has_iomap)
    mo += ",iomap=off";
  a.push_back("-o");
  a.push_back(mo);
  if (o.debug)
    a.push_back("-d");
  return a;
}

const char kMountUsage[] =
    "usage: mount.fuse4fs IMAGE_OR_DEVICE MOUNTPOINT [-sfnv] [-o OPTION[,OPTION...]]\n"
    "\n"
    "The mount(8) helper for fuse4fs: mount -t fuse4fs and fstab lines run it.\n"
    "Options are fuse4fs's (see fuse4fs --help and mount.fuse4fs(8)).\n";

namespace {

bool mount_only_option(const std::string& opt) {
  static const char* const kNames[] = {"defaults", "auto",  "noauto", "user",   "users",
                                       "nouser",   "owner", "group",  "nofail", "_netdev"};
  for (const char* n : kNames)
    if (opt == n)
      return true;
  return opt.starts_with("x-") || opt.starts_with("comment=");
}

}  // namespace

util::Expected<std::vector<std::string>, std::string> mount_helper_args(
    const std::vector<std::string>& args, bool* fake) {
  std::vector<std::string> positional;
  std::vector<std::string> kept;
  *fake = false;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    if (a == "-o" || a == "-t" || a == "-N") {
      if (++i == args.size())
        return bad(a + " needs an argument");
      if (a != "-o")
        continue;  // the type is ours; namespaces are not supported
      std::stringstream ss(args[i]);
      std::string opt;
      while (std::getline(ss, opt, ','))
        if (!opt.empty() && !mount_only_option(opt))
          kept.push_back(opt);
    } else if (a.size() > 1 && a[0] == '-' && a.find_first_not_of("sfnv", 1) == std::string::npos) {
      // -s sloppy, -n no mtab, -v verbose: nothing to do; -f fake.
      *fake |= a.find('f') != std::string::npos;
    } else if (a.starts_with("-")) {
      return bad("unknown argument " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2)
    return bad("need an IMAGE_OR_DEVICE and a MOUNTPOINT");
  std::vector<std::string> out = positional;
  if (!kept.empty()) {
    std::string joined;
    for (const auto& k : kept)
      joined += (joined.empty() ? "" : ",") + k;
    out.push_back("-o");
    out.push_back(joined);
  }
  return out;
}

}  // namespace f4
