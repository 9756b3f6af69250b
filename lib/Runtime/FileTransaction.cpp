//===- FileTransaction.cpp - several files written all or nothing ---------===//

#include "optgraph/Runtime/FileTransaction.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace optgraph::runtime;

namespace {

/// Whether `path` exists; false with a message when it is something that a
/// file must not replace. A symbolic link is replaced, not followed, as
/// rename does.
bool inspectDestination(const std::string &path, bool &exists,
                        std::string &error) {
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) {
    exists = false;
    if (errno == ENOENT)
      return true;
    error = path + ": " + std::strerror(errno);
    return false;
  }
  exists = true;
  if (!S_ISREG(info.st_mode) && !S_ISLNK(info.st_mode)) {
    error = path + " exists and is not a regular file";
    return false;
  }
  return true;
}

/// `path` with its file name made hidden and given `suffix`, in the same
/// folder (so that renames stay on one file system).
std::string hiddenBeside(const std::string &path, const std::string &suffix) {
  size_t slash = path.rfind('/');
  size_t name = slash == std::string::npos ? 0 : slash + 1;
  return path.substr(0, name) + "." + path.substr(name) + suffix;
}

} // namespace

bool FileTransaction::useFolder(const std::string &folder,
                                std::string &error) {
  struct stat info;
  if (stat(folder.c_str(), &info) != 0) {
    if (errno != ENOENT || mkdir(folder.c_str(), 0777) != 0) {
      error = "output folder '" + folder + "': " + std::strerror(errno);
      return false;
    }
    createdFolders.push_back(folder);
    return true;
  }
  if (!S_ISDIR(info.st_mode)) {
    error = "output folder '" + folder + "' is not a directory";
    return false;
  }
  if (access(folder.c_str(), W_OK | X_OK) != 0) {
    error = "output folder '" + folder +
            "' is not writable: " + std::strerror(errno);
    return false;
  }
  return true;
}

std::string FileTransaction::add(const std::string &path, std::string &error) {
  for (const File &file : files)
    if (file.path == path) {
      error = "'" + path + "' is the destination of two files";
      return "";
    }
  bool exists;
  if (!inspectDestination(path, exists, error))
    return "";
  std::string suffix = "-" + std::to_string(getpid()) + "-" +
                       std::to_string(files.size());
  File file;
  file.path = path;
  file.temporary = hiddenBeside(path, ".tmp" + suffix);
  file.backup = hiddenBeside(path, ".bak" + suffix);
  // Checked now, so that a folder that cannot take the file fails before
  // the work that produces it.
  size_t slash = path.rfind('/');
  std::string folder = slash == std::string::npos ? "." : path.substr(0, slash);
  if (access(folder.empty() ? "/" : folder.c_str(), W_OK | X_OK) != 0) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return "";
  }
  files.push_back(file);
  return file.temporary;
}

bool FileTransaction::commit(std::string &error) {
  // Destinations are inspected again: the folder may have changed while the
  // files were being produced.
  for (File &file : files) {
    bool exists;
    if (!inspectDestination(file.path, exists, error))
      return error += rollBack(), false;
    if (exists && linkat(AT_FDCWD, file.path.c_str(), AT_FDCWD,
                         file.backup.c_str(), 0) != 0) {
      error = file.path + ": cannot back up to " + file.backup + ": " +
              std::strerror(errno);
      return error += rollBack(), false;
    }
    file.backedUp = exists;
  }
  for (File &file : files) {
    if (std::rename(file.temporary.c_str(), file.path.c_str()) != 0) {
      error = file.path + ": cannot replace: " + std::strerror(errno);
      return error += rollBack(), false;
    }
    file.replaced = true;
  }
  // Past this point everything is in place; a backup that cannot be
  // removed is only a leftover hidden file.
  for (const File &file : files)
    if (file.backedUp)
      unlink(file.backup.c_str());
  finished = true;
  return true;
}

std::string FileTransaction::rollBack() {
  if (finished)
    return "";
  finished = true;
  std::string problems;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    File &file = *it;
    if (file.replaced) {
      bool restored =
          file.backedUp
              ? std::rename(file.backup.c_str(), file.path.c_str()) == 0
              : unlink(file.path.c_str()) == 0;
      if (!restored)
        problems += "; could not restore " + file.path +
                    (file.backedUp
                         ? " (its previous version is " + file.backup + ")"
                         : "");
    } else {
      if (file.backedUp)
        unlink(file.backup.c_str());
      unlink(file.temporary.c_str());
    }
  }
  for (auto it = createdFolders.rbegin(); it != createdFolders.rend(); ++it)
    rmdir(it->c_str());
  return problems;
}
