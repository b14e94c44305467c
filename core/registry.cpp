// core/registry.cpp — the implementation table. What it is not: dispatch policy.
#include "core/registry.hpp"
#include "core/sanitizers.hpp"

#include <algorithm>

#include "vt_git_revision.h"  // generated at build time by cmake/git_revision.cmake

namespace vt {

const char* determinism_name(Determinism d) {
  switch (d) {
    case Determinism::bitwise:
      return "bitwise";
    case Determinism::per_thread_count:
      return "per-thread-count";
    case Determinism::none:
      return "none";
  }
  return "?";
}

Registry& Registry::instance() {
  static Registry r;  // function-local: safe from static-initialisation order
  return r;
}

void Registry::add(Implementation&& impl) {
  for (const Implementation& i : impls_)
    if (i.op == impl.op && i.backend == impl.backend && i.variant == impl.variant)
      throw Error(impl.op, {},
                  "implementation registered twice: " + impl.backend + "/" + impl.variant);
  by_op_[impl.op].push_back(impls_.size());
  impls_.push_back(std::move(impl));
}

const Implementation* Registry::find(const std::string& op, const std::string& backend,
                                     const std::string& variant) const {
  const Implementation* first_clean = nullptr;
  const auto entry = by_op_.find(op);
  if (entry == by_op_.end()) return nullptr;
  for (const std::size_t k : entry->second) {  // registration order, as before
    const Implementation& i = impls_[k];
    if (i.backend != backend) continue;
    if (!variant.empty()) {
      if (i.variant == variant) return &i;
    } else if (!i.planted_bug && !first_clean) {
      first_clean = &i;
    }
  }
  return variant.empty() ? first_clean : nullptr;
}

std::vector<const Implementation*> Registry::all() const {
  std::vector<const Implementation*> out;
  for (const Implementation& i : impls_) out.push_back(&i);
  std::sort(out.begin(), out.end(), [](auto a, auto b) {
    return std::tie(a->op, a->backend, a->variant) < std::tie(b->op, b->backend, b->variant);
  });
  return out;
}

std::vector<const Implementation*> Registry::for_op(const std::string& op) const {
  std::vector<const Implementation*> out;
  for (const Implementation* i : all())
    if (i->op == op) out.push_back(i);
  return out;
}

void Registry::set_probe(const std::string& backend, AvailabilityProbe probe) {
  probes_[backend] = probe;
}

BackendAvailability Registry::availability(const std::string& b) const {
  if (b == backend::reference || b == backend::optimized) return {true, true, ""};
  if (auto it = probes_.find(b); it != probes_.end()) return it->second();
  const bool linked = std::any_of(impls_.begin(), impls_.end(),
                                  [&](const Implementation& i) { return i.backend == b; });
  if (linked) return {true, true, ""};
  return {false, false,
          "this binary was built without the " + b +
              " backend (CMake found no nvcc, or VT_CUDA=OFF; see README \"CUDA\")"};
}

std::string build_id() {
  std::string id = std::string("git ") + VT_GIT_REVISION;
#if defined(__clang__)
  id += ", clang " __clang_version__;
#elif defined(__GNUC__)
  id += ", g++ " __VERSION__;
#endif
#ifdef NDEBUG
  id += ", release";
#else
  id += ", debug";
#endif
#if VT_ASAN
  id += ", asan";
#endif
#if VT_TSAN
  id += ", tsan";
#endif
  return id;
}

}  // namespace vt
