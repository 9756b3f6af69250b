"""All-or-nothing writes of several files (the outputs of one command)."""

import contextlib
import errno
import os
import secrets


def write_files(files, folders=()):
    """Creates every folder of `folders` (with its missing parents) and
    writes every file of `files`, pairs (path, write) where write(f) writes
    the content to a binary file: all of it, or nothing.

    Each file is written to a temporary file next to it, and the temporary
    files are renamed into place once all are complete. On any error, the
    files already renamed are taken back, every file that was there before
    is restored (bytes, mode and inode: it was only renamed), the folders
    created are removed, and an OSError naming the destination at fault is
    raised."""
    _check(files, folders)
    with _Transaction() as transaction:
        for folder in folders:
            transaction.make_folders(folder)
        staged = [(path, transaction.stage(path, write))
                  for path, write in files]
        for path, temporary in staged:
            transaction.install(path, temporary)


def _check(files, folders):
    """What can be seen before writing anything: a file that is a folder,
    a folder that is a file, a destination given twice."""
    for path, _ in files:
        if os.path.isdir(path):
            raise _error(errno.EISDIR, path)
    for folder in folders:
        if os.path.lexists(folder) and not os.path.isdir(folder):
            raise _error(errno.ENOTDIR, folder)
    seen = set()
    for path in [path for path, _ in files] + list(folders):
        real = os.path.realpath(path)
        if real in seen:
            raise OSError(errno.EINVAL, "the destination of two outputs", path)
        seen.add(real)


def _error(code, path):
    return OSError(code, os.strerror(code), path)


class _Transaction:
    """The changes made so far, undone if anything fails."""

    def __init__(self):
        self.folders = []       # created, parents first
        self.temporaries = []   # temporary files not yet renamed into place
        self.backups = []       # (path, the previous file renamed aside)
        self.installed = []     # new files renamed into place
        self.current = None     # the destination being worked on

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None:
            for _, backup in self.backups:
                _quietly(os.unlink, backup)
            return False
        self._undo()
        if isinstance(error, OSError):
            # The system names the temporary file or the parent folder at
            # fault; the user knows the destination.
            raise OSError(error.errno, error.strerror or str(error),
                          self.current) from error
        return False

    def make_folders(self, folder):
        self.current = folder
        missing = []
        head = os.path.abspath(folder)
        while not os.path.lexists(head):
            missing.append(head)
            head = os.path.dirname(head)
        for path in reversed(missing):
            os.mkdir(path)
            self.folders.append(path)

    def stage(self, path, write):
        self.current = path
        temporary, fd = self._create(os.path.dirname(path))
        with open(fd, "wb") as f:
            write(f)
        return temporary

    def install(self, path, temporary):
        self.current = path
        if os.path.lexists(path):
            backup, fd = self._create(os.path.dirname(path))
            os.close(fd)
            os.replace(path, backup)
            self.temporaries.remove(backup)
            self.backups.append((path, backup))
        os.replace(temporary, path)
        self.temporaries.remove(temporary)
        self.installed.append(path)

    def _create(self, folder):
        """A new, empty file with a name of its own in folder (mode 0666
        less the umask, as open() would make the destination)."""
        while True:
            path = os.path.join(folder, f".{secrets.token_hex(8)}.tmp")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            self.temporaries.append(path)
            return path, fd

    def _undo(self):
        """Best effort: one step that fails must not stop the others."""
        for path in reversed(self.installed):
            _quietly(os.unlink, path)
        for path, backup in reversed(self.backups):
            _quietly(os.replace, backup, path)
        for path in self.temporaries:
            _quietly(os.unlink, path)
        for path in reversed(self.folders):
            _quietly(os.rmdir, path)


def _quietly(step, *paths):
    with contextlib.suppress(OSError):
        step(*paths)
