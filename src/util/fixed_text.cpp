#include "util/fixed_text.hpp"

namespace util {

size_t append_text(char* buffer, size_t length, size_t size, const char* text) noexcept {
  while (*text != '\0' && length + 1 < size)
    buffer[length++] = *text++;
  buffer[length] = '\0';
  return length;
}

size_t append_decimal(char* buffer, size_t length, size_t size, unsigned long value) noexcept {
  char digits[24];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (count > 0 && length + 1 < size)
    buffer[length++] = digits[--count];
  buffer[length] = '\0';
  return length;
}

} // namespace util
