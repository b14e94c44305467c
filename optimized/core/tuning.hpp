// optimized/core/tuning.hpp — the tuning profile: per-family parallel parameters read from a file.
// What it is: the profile's format, its strict parser (every field checked before anything is
// applied: a profile is applied whole or not at all), its writer, and how the library finds one
// at start. The format (version 1):
//   {"veritensor_profile": 1,
//    "machine": {…what `veritensor tune` measured on; informational…},
//    "families": {"elementwise": {"parallel_threshold": 65536, "grain": 32768},
//                 "reduction": {"parallel_threshold": "never"}, …}}
// Families are parallel.hpp's (family_name); each may set "parallel_threshold" (an integer in
// [0, 2^62] or "never") and, where the grain is tunable (elementwise, reduction), "grain" (a
// multiple of 64 in [64, 2^40]); a family or field left out keeps its default. At the first use
// of any parallel parameter the library loads $VERITENSOR_PROFILE (the value `none`: no profile),
// else $XDG_CONFIG_HOME/veritensor/profile.json, else ~/.config/veritensor/profile.json, when that
// file exists; a malformed one prints one line to stderr ("veritensor: profile PATH: REASON;
// using the defaults") and the defaults stay. VERITENSOR_PARALLEL_THRESHOLD still overrides.
// What it is not: the tuner that writes profiles (bench/tune.hpp), nor the thread pool.
#pragma once

#include "optimized/core/parallel.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vt::opt {

inline constexpr int kProfileVersion = 1;
/// A profile file larger than this is refused unread.
inline constexpr std::size_t kMaxProfileBytes = std::size_t{1} << 20;

struct FamilyParameters {
  std::optional<std::int64_t> parallel_threshold;  // kNeverParallel is "never"
  std::optional<std::int64_t> grain;
  bool operator==(const FamilyParameters&) const = default;
};

struct Profile {
  std::string machine = "{}";  // the "machine" object as compact JSON text
  std::map<Family, FamilyParameters> families;
  bool operator==(const Profile&) const = default;
};

/// Parses and validates profile text. Throws vt::Error "profile SOURCE: JSON-PATH: WHY" (e.g.
/// "profile p.json: /families/elementwise/grain: 100 is not a multiple of 64") for: text over
/// kMaxProfileBytes, text that is not JSON (truncated, …), a top level that is not an object, a
/// missing or other version, an unknown key or family, a threshold that is negative, not an
/// integer or above 2^62, a grain that is not a multiple of 64 in [64, 2^40] or belongs to a
/// family whose grain is not tunable. Never touches the parameters in force.
Profile parse_profile(std::string_view text, const std::string& source);
/// Reads `path` (a regular file of at most kMaxProfileBytes) and parses it; vt::Error names it.
Profile read_profile(const std::string& path);
/// The profile as JSON text (2-space indent, trailing newline); parse_profile gives it back.
std::string serialize_profile(const Profile& p);

/// Sets every parameter the profile names (the others keep their values); cannot fail.
void apply_profile(const Profile& p);
/// read_profile, then apply_profile: all or nothing. Also becomes the status profile_status()
/// reports.
Profile load_profile(const std::string& path);

/// One line: which profile is in force and how it got there ("profile /x/profile.json (2
/// families)", "no profile: VERITENSOR_PROFILE=none", "no profile at …: defaults", or the
/// rejection), plus the VERITENSOR_PARALLEL_THRESHOLD override when set.
std::string profile_status();
/// Where the library looks for a profile at start when VERITENSOR_PROFILE is unset
/// ($XDG_CONFIG_HOME/veritensor/profile.json or ~/.config/veritensor/profile.json); empty when
/// neither variable is set.
std::string default_profile_path();

}  // namespace vt::opt
