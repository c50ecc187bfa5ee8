// BlockQueue: a bounded single-producer/single-consumer pipe of large byte blocks between the
// download thread and an unpack worker. The producer copies into a block it owns and hands full
// blocks over; when every block is in flight it waits (back-pressure), so memory stays at
// block_count * block_size however fast the network is.
#pragma once

#include "storage/chunk_source.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

namespace storage {

class BlockQueue final : public ChunkSource {
public:
  BlockQueue(size_t block_count, size_t block_size);

  // Producer: appends bytes; blocks while no block is free. Rethrows the consumer's failure.
  void write(const char* data, size_t size);
  // Producer: no more data; the consumer sees the end after the last block.
  void close();
  // Producer: gives up; the consumer's next() throws.
  void abort();

  // Consumer: the next full block (the previous one is recycled); empty at the end.
  std::span<const std::byte> next() override;
  // Consumer: failed with `error`; wakes the producer, whose next write() rethrows it.
  void fail(std::exception_ptr error);

private:
  void push_fill(std::unique_lock<std::mutex>& lock);
  void take_free_block();

  struct Block {
    std::unique_ptr<std::byte[]> data;
    size_t size = 0;
  };
  size_t m_block_size;
  std::vector<Block> m_blocks;

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<size_t> m_free;
  std::deque<size_t> m_full;
  bool m_closed = false;
  bool m_aborted = false;
  std::exception_ptr m_error;

  // Owned by one side at a time, outside the lock.
  static constexpr size_t none = static_cast<size_t>(-1);
  size_t m_filling = none;
  size_t m_reading = none;
};

} // namespace storage
