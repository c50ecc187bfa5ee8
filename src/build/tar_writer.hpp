// The layer tar writer lives in storage (commit and export write tars too); the builder keeps
// using it under its own names.
#pragma once
#include "storage/tar_writer.hpp"

namespace build {

using storage::EntryMeta;
using storage::HashSink;
using storage::LayerSink;
using storage::TarResult;
using storage::TarWriter;

} // namespace build
