// SPDX-License-Identifier: GPL-2.0
//
// Logging: one line per message on stderr, prefixed "fuse4fs: ".
#pragma once

namespace f4::util {

enum class LogLevel { kError, kWarning, kInfo, kDebug };

void set_log_level(LogLevel max);
bool log_enabled(LogLevel level);
[[gnu::format(printf, 2, 3)]] void log(LogLevel level, const char* fmt, ...);

}  // namespace f4::util

#define F4_ERROR(...) ::f4::util::log(::f4::util::LogLevel::kError, __VA_ARGS__)
#define F4_WARN(...) ::f4::util::log(::f4::util::LogLevel::kWarning, __VA_ARGS__)
#define F4_INFO(...) ::f4::util::log(::f4::util::LogLevel::kInfo, __VA_ARGS__)
#define F4_DEBUG(...)                                             \
  do {                                                            \
    if (::f4::util::log_enabled(::f4::util::LogLevel::kDebug))    \
      ::f4::util::log(::f4::util::LogLevel::kDebug, __VA_ARGS__); \
  } while (0)
