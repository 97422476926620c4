// SPDX-License-Identifier: GPL-2.0
//
// Result<T>: a value or an Error, without exceptions.
//
// C++20 has no std::expected and Debian does not package tl::expected, so
// this is the small subset the server needs.  When the project moves to
// C++23, Expected becomes an alias of std::expected.
#pragma once

#include <cassert>
#include <cstdint>
#include <utility>
#include <variant>

namespace f4::util {

// An errcode_t from libext2fs: either a plain errno value (< 256) or a
// com_err code such as EXT2_ET_DIR_CORRUPTED.  ext2::to_errno() is the one
// place that turns it into an errno for the kernel.
struct Error {
  long raw = 0;

  static constexpr Error from_errno(int e) { return Error{e}; }
  bool operator==(const Error&) const = default;
};

template <class E>
struct Unexpected {
  E error;
};

template <class E>
Unexpected(E) -> Unexpected<E>;

inline Unexpected<Error> fail(Error e) {
  return {e};
}
inline Unexpected<Error> fail_errno(int e) {
  return {Error::from_errno(e)};
}

template <class T, class E>
class [[nodiscard]] Expected {
 public:
  Expected(T v) : v_(std::in_place_index<0>, std::move(v)) {}
  template <class U>
  Expected(Unexpected<U> u) : v_(std::in_place_index<1>, std::move(u.error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  const E& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  template <class U>
  Expected(Unexpected<U> u) : err_(std::move(u.error)), failed_(true) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const E& error() const {
    assert(failed_);
    return err_;
  }

 private:
  E err_{};
  bool failed_ = false;
};

template <class T>
using Result = Expected<T, Error>;

// Turn a libext2fs status into a Result<void>.
inline Result<void> check(long err) {
  if (err)
    return fail(Error{err});
  return {};
}

}  // namespace f4::util

// Propagate an error from an expression yielding Expected<...>; evaluates
// to its value (GNU statement expression, supported by GCC and Clang).
#define F4_TRY(expr)                                    \
  ({                                                    \
    auto f4_try_r_ = (expr);                            \
    if (!f4_try_r_.ok())                                \
      return ::f4::util::Unexpected{f4_try_r_.error()}; \
    std::move(f4_try_r_).value();                       \
  })

#define F4_TRY_VOID(expr)                               \
  do {                                                  \
    auto f4_try_r_ = (expr);                            \
    if (!f4_try_r_.ok())                                \
      return ::f4::util::Unexpected{f4_try_r_.error()}; \
  } while (0)

// Propagate a raw libext2fs errcode_t.
#define F4_CHECK(call)                                         \
  do {                                                         \
    long f4_check_e_ = (call);                                 \
    if (f4_check_e_)                                           \
      return ::f4::util::fail(::f4::util::Error{f4_check_e_}); \
  } while (0)
