// SPDX-License-Identifier: GPL-2.0
/*
 * v6.13: MODULE_IMPORT_NS() takes the namespace as a string literal
 * ("NS"); before, it took a bare identifier and stringified it itself.
 *
 * Both forms accept a string literal syntactically, so look at what the
 * macro hands to MODULE_INFO(): the literal itself, or its stringified
 * spelling, which is two quotes longer.
 */
#include <linux/build_bug.h>
#include <linux/module.h>

#undef MODULE_INFO
#define MODULE_INFO(tag, info) static_assert(sizeof(info) == sizeof("FIM"))

MODULE_IMPORT_NS("FIM");
