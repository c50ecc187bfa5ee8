#include "net/ipam.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <charconv>

namespace net {

namespace {

// One decimal octet, 0-255, no sign or leading garbage.
std::optional<uint32_t> parse_octet(std::string_view text) {
  if (text.empty() || text.size() > 3)
    return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 255)
    return std::nullopt;
  return value;
}

} // namespace

Ipv4 Ipv4::parse(std::string_view text) {
  std::vector<std::string> parts = util::split(text, '.');
  uint32_t value = 0;
  if (parts.size() != 4)
    throw util::Error(util::cat("invalid IPv4 address ", util::quote(text)));
  for (const std::string& part : parts) {
    std::optional<uint32_t> octet = parse_octet(part);
    if (!octet)
      throw util::Error(util::cat("invalid IPv4 address ", util::quote(text)));
    value = (value << 8) | *octet;
  }
  return Ipv4{value};
}

std::string Ipv4::str() const {
  return util::cat(value >> 24, ".", (value >> 16) & 255, ".", (value >> 8) & 255, ".",
                   value & 255);
}

Subnet Subnet::parse(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos)
    throw util::Error(util::cat("invalid subnet ", util::quote(text),
                                ": expected an address and a prefix length, e.g. 10.89.0.0/24"));
  Subnet subnet;
  subnet.network = Ipv4::parse(text.substr(0, slash));
  std::string_view prefix = text.substr(slash + 1);
  auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), subnet.prefix);
  if (prefix.empty() || ec != std::errc() || end != prefix.data() + prefix.size() ||
      subnet.prefix < 8 || subnet.prefix > 30)
    throw util::Error(util::cat("invalid subnet ", util::quote(text),
                                ": the prefix length must be between 8 and 30"));
  if ((subnet.network.value & ~subnet.mask()) != 0)
    throw util::Error(util::cat("invalid subnet ", util::quote(text), ": host bits are set (",
                                Ipv4{subnet.network.value & subnet.mask()}.str(), "/",
                                subnet.prefix, " is the network)"));
  return subnet;
}

std::string Subnet::str() const {
  return util::cat(network.str(), "/", prefix);
}

uint32_t Subnet::mask() const {
  return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
}

bool Subnet::contains(Ipv4 address) const {
  return (address.value & mask()) == network.value;
}

bool Subnet::overlaps(const Subnet& other) const {
  uint32_t common = prefix < other.prefix ? mask() : other.mask();
  return (network.value & common) == (other.network.value & common);
}

Ipv4 Subnet::first_host() const {
  return Ipv4{network.value + 1};
}

Ipv4 Subnet::broadcast() const {
  return Ipv4{network.value | ~mask()};
}

Subnet allocate_subnet(const std::vector<Subnet>& used) {
  for (uint32_t second = 89; second <= 99; ++second) {
    for (uint32_t third = 0; third <= 255; ++third) {
      Subnet candidate{Ipv4{(10u << 24) | (second << 16) | (third << 8)}, 24};
      bool taken = std::any_of(used.begin(), used.end(),
                               [&](const Subnet& s) { return s.overlaps(candidate); });
      if (!taken)
        return candidate;
    }
  }
  throw util::Error("no free subnet left in 10.89.0.0/16-10.99.0.0/16: remove unused networks "
                    "or pass --subnet");
}

std::optional<Ipv4> allocate_address(const Subnet& subnet, Ipv4 gateway,
                                     const std::vector<Ipv4>& used) {
  for (uint32_t value = subnet.network.value + 1; value < subnet.broadcast().value; ++value) {
    Ipv4 candidate{value};
    if (candidate == gateway || std::find(used.begin(), used.end(), candidate) != used.end())
      continue;
    return candidate;
  }
  return std::nullopt;
}

} // namespace net
