// SPDX-License-Identifier: GPL-2.0
#include "util/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace f4::util {

namespace {
std::atomic<int> g_max_level{static_cast<int>(LogLevel::kInfo)};
}

void set_log_level(LogLevel max) {
  g_max_level = static_cast<int>(max);
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) <= g_max_level;
}

void log(LogLevel level, const char* fmt, ...) {
  if (!log_enabled(level))
    return;
  // Format into one buffer so that lines from several threads don't mix.
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  fprintf(stderr, "fuse4fs: %s\n", buf);
}

}  // namespace f4::util
