"""The files of a folder a person gave: one walk for everything the build reads, hashes or archives.

Ingest reads the raw folder, the build id hashes it and the release archives it; the catalogue is
read, hashed and archived the same way. All of them take their list of files from :func:`walk`,
so a file is either in all three or in none:

- hidden files and folders (``.git``, ``.~lock.x.xlsx#``) are not inputs;
- a link that leads outside the folder (to a file or a folder) is refused, so no file from
  elsewhere can be read, hashed or published; a link to a file inside is read as that file, and a
  link to a folder inside is not followed (the folder is walked where it is, so its files are
  listed once, under their own names and city);
- a folder named like a data file (``x.csv``), a link to nothing, and anything that is not a
  regular file (a socket, a device) are refused, not skipped in silence;
- past the limit ``max_files`` the walk stops with a problem instead of listing millions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.i18n import N_, msg
from pipeline.limits import Limits, limits
from pipeline.problems import Problem, ProblemsFound

DATA_SUFFIXES = (".csv", ".xlsx", ".yaml", ".yml")


@dataclass
class Walk:
    """What :func:`walk` found: the files (paths under ``root``, in the order of their relative
    paths) and the problems."""

    root: Path
    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        """A path's name relative to the root (the root's own name for the root)."""
        return path.relative_to(self.root).as_posix() if path != self.root else self.root.name

    def raise_problems(self, what: str = "input") -> None:
        if self.problems:
            raise ProblemsFound(self.problems, what)


# The messages of a walk, whole for each folder a walk is named after (a translation declines the
# folder's name as its sentence needs), and with the name as a field for any other.
_OUTSIDE = {
    ("file", "raw folder"): N_("the file points outside the raw folder (to {target}); copy it in instead of linking"),
    ("folder", "raw folder"): N_("the folder points outside the raw folder (to {target}); copy it in instead of linking"),
    ("file", "catalogue folder"): N_("the file points outside the catalogue folder (to {target}); copy it in instead of linking"),
    ("folder", "catalogue folder"): N_("the folder points outside the catalogue folder (to {target}); copy it in instead of linking"),
    None: N_("the {kind} points outside the {folder_name} (to {target}); copy it in instead of linking"),
}
_TOO_MANY = {
    "raw folder": N_("more than {max_files} files under the raw folder; give the build only the folders of the cities it "
                     "builds (limit {limit} = {limit_value}; raise it with the environment variable {env})"),
    "catalogue folder": N_("more than {max_files} files under the catalogue folder; give the build only the folders of the "
                           "cities it builds (limit {limit} = {limit_value}; raise it with the environment variable {env})"),
    None: N_("more than {max_files} files under the {folder_name}; give the build only the folders of the cities it builds "
             "(limit {limit} = {limit_value}; raise it with the environment variable {env})"),
}


def walk(root: Path, folder_name: str = "raw folder", limit: Limits | None = None) -> Walk:
    """Every regular file under ``root`` that the build may read, within ``limit`` (by default the
    environment's). ``folder_name`` words the problems (``outside_raw_folder``,
    ``outside_catalogue_folder``)."""
    root = Path(root)
    found = Walk(root)
    real_root = root.resolve()
    rule = "outside_" + folder_name.replace(" ", "_")
    limit = limit or limits()

    def problem(path: Path, rule: str, message: dict) -> None:
        found.problems.append(Problem(file=found.relative(path), rule=rule, **message))

    def visit(folder: Path) -> bool:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as e:
            problem(folder, "unreadable_folder", msg(N_("the folder cannot be listed ({reason})"), reason=e.strerror))
            return True
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            target = path.resolve()
            kind = "folder" if entry.is_dir() else "file"
            if not target.is_relative_to(real_root):
                problem(path, rule, msg(_OUTSIDE.get((kind, folder_name), _OUTSIDE[None]),
                                        kind=kind, folder_name=folder_name, target=target))
            elif not os.path.exists(path):
                problem(path, "broken_link", msg(N_("the link points to {target}, which does not exist"), target=target))
            elif entry.is_dir():
                if entry.is_symlink():
                    continue  # its target lies inside the folder and is walked where it is, once, under its own name
                if path.suffix.lower() in DATA_SUFFIXES:
                    problem(path, "not_a_file", msg(N_("{name} is a folder, not a {suffix} file; put the file itself here"),
                                                    name=entry.name, suffix=path.suffix.lower()))
                elif not visit(path):
                    return False
            elif not entry.is_file():
                problem(path, "not_a_file", msg(N_("not a regular file (a socket, a pipe or a device); remove it")))
            else:
                found.files.append(path)
                if len(found.files) > limit.max_files:
                    problem(root, "too_many_files", msg(_TOO_MANY.get(folder_name, _TOO_MANY[None]),
                                                        max_files=f"{limit.max_files:,}", folder_name=folder_name,
                                                        **limit.hint_args("max_files")))
                    return False
        return True

    if root.is_dir():
        visit(root)
    found.files.sort(key=found.relative)
    return found
