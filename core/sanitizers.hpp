// core/sanitizers.hpp — which sanitizer this translation unit is compiled under, for g++ and
// clang++ alike (g++ defines __SANITIZE_ADDRESS__/__SANITIZE_THREAD__; clang 14 answers only
// __has_feature). What it is: VT_ASAN and VT_TSAN as 0/1 and the ASan poisoning hooks (no-ops
// elsewhere). What it is not: a place for suppressions — sanitizers/README.md says why there are
// none.
#pragma once

#include <cstddef>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VT_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define VT_TSAN 1
#endif
#endif
#if !defined(VT_ASAN) && defined(__SANITIZE_ADDRESS__)
#define VT_ASAN 1
#endif
#if !defined(VT_TSAN) && defined(__SANITIZE_THREAD__)
#define VT_TSAN 1
#endif
#ifndef VT_ASAN
#define VT_ASAN 0
#endif
#ifndef VT_TSAN
#define VT_TSAN 0
#endif

#if VT_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace vt {

/// Marks [p, p + n) as unaddressable for ASan (a read or write there is reported); no-op
/// without ASan.
inline void asan_poison(const void* p, std::size_t n) {
#if VT_ASAN
  __asan_poison_memory_region(p, n);
#else
  (void)p;
  (void)n;
#endif
}

inline void asan_unpoison(const void* p, std::size_t n) {
#if VT_ASAN
  __asan_unpoison_memory_region(p, n);
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace vt
