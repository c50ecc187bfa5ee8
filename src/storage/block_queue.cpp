#include "storage/block_queue.hpp"

#include "util/error.hpp"

#include <cstring>

namespace storage {

BlockQueue::BlockQueue(size_t block_count, size_t block_size) : m_block_size(block_size) {
  m_blocks.resize(block_count);
  for (size_t i = 0; i < block_count; ++i) {
    m_blocks[i].data = std::make_unique<std::byte[]>(block_size);
    m_free.push_back(i);
  }
}

void BlockQueue::take_free_block() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return !m_free.empty() || m_error || m_aborted; });
  if (m_error)
    std::rethrow_exception(m_error);
  if (m_aborted)
    throw util::Error("layer stream aborted");
  m_filling = m_free.front();
  m_free.pop_front();
  m_blocks[m_filling].size = 0;
}

void BlockQueue::push_fill(std::unique_lock<std::mutex>& lock) {
  (void)lock;
  m_full.push_back(m_filling);
  m_filling = none;
  m_changed.notify_all();
}

void BlockQueue::write(const char* data, size_t size) {
  while (size > 0) {
    if (m_filling == none)
      take_free_block();
    Block& block = m_blocks[m_filling];
    size_t n = std::min(size, m_block_size - block.size);
    std::memcpy(block.data.get() + block.size, data, n);
    block.size += n;
    data += n;
    size -= n;
    if (block.size == m_block_size) {
      std::unique_lock lock(m_mutex);
      push_fill(lock);
    }
  }
  std::lock_guard lock(m_mutex);
  if (m_error)
    std::rethrow_exception(m_error);
}

void BlockQueue::close() {
  std::unique_lock lock(m_mutex);
  if (m_filling != none && m_blocks[m_filling].size > 0)
    push_fill(lock);
  m_closed = true;
  m_changed.notify_all();
}

void BlockQueue::abort() {
  std::lock_guard lock(m_mutex);
  m_aborted = true;
  m_changed.notify_all();
}

std::span<const std::byte> BlockQueue::next() {
  std::unique_lock lock(m_mutex);
  if (m_reading != none) {
    m_free.push_back(m_reading);
    m_reading = none;
    m_changed.notify_all();
  }
  m_changed.wait(lock, [&] { return !m_full.empty() || m_closed || m_aborted; });
  if (m_aborted)
    throw util::Error("layer stream aborted");
  if (m_full.empty())
    return {};
  m_reading = m_full.front();
  m_full.pop_front();
  return std::span<const std::byte>(m_blocks[m_reading].data.get(), m_blocks[m_reading].size);
}

void BlockQueue::fail(std::exception_ptr error) {
  std::lock_guard lock(m_mutex);
  m_error = std::move(error);
  m_changed.notify_all();
}

} // namespace storage
