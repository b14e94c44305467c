// cli/main.cpp — placeholder entry; replaced by the real command below in this change.
#include "core/registry.hpp"
#include <cstdio>
int main() {
  for (auto* i : vt::Registry::instance().all()) std::printf("%s %s %s\n", i->op.c_str(), i->backend.c_str(), i->variant.c_str());
}
