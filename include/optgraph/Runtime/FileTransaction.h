//===- FileTransaction.h - several files written all or nothing -*- C++ -*-===//
//
// Plain C++ (POSIX), no MLIR or LLVM: optgraph-run writes a step's outputs
// with it, optgraph-compile a library and its manifest.
//
//===----------------------------------------------------------------------===//

#ifndef OPTGRAPH_RUNTIME_FILETRANSACTION_H
#define OPTGRAPH_RUNTIME_FILETRANSACTION_H

#include <string>
#include <vector>

namespace optgraph::runtime {

/// Files that appear together or not at all. Each file is written to a
/// hidden temporary beside its destination; commit() hard-links every
/// existing destination to a hidden backup, then renames the temporaries
/// into place (a rename replaces a file atomically, so a destination always
/// holds a complete file). Until commit() succeeds, destruction undoes
/// everything: it restores the backups, removes the files that had no
/// previous version, the temporaries, and the folders it created.
class FileTransaction {
public:
  FileTransaction() = default;
  FileTransaction(const FileTransaction &) = delete;
  FileTransaction &operator=(const FileTransaction &) = delete;
  ~FileTransaction() { rollBack(); }

  /// Creates `folder` if it is missing (and removes it again on rollback);
  /// false with a message if it is not a writable folder.
  bool useFolder(const std::string &folder, std::string &error);

  /// Adds a destination, checking that a file may go there (not a folder,
  /// not a device) in a writable folder. Returns the temporary to write the
  /// file to (which must not exist yet), or "" with a message.
  std::string add(const std::string &path, std::string &error);

  /// Moves every temporary into place; on failure, rolls back and says why.
  bool commit(std::string &error);

private:
  struct File {
    std::string path, temporary, backup;
    bool backedUp = false; // the backup holds the previous version
    bool replaced = false; // the destination holds the new file
  };
  std::vector<std::string> createdFolders;
  std::vector<File> files;
  bool finished = false;

  /// Undoes everything; returns what could not be restored, as a suffix of
  /// an error message.
  std::string rollBack();
};

} // namespace optgraph::runtime

#endif // OPTGRAPH_RUNTIME_FILETRANSACTION_H
