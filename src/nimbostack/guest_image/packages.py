"""Debian package plumbing for the guest image: resolve, download and unpack .debs.

Everything in the guest comes from Debian packages fetched with ``apt-get
download`` into the build cache and unpacked with ``dpkg-deb -x``; nothing is
ever installed on the host (the kernel package in particular would run
postinst hooks and touch /boot).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

KERNEL_METAPACKAGE = "linux-image-cloud-amd64"


class PackageError(RuntimeError):
    """apt could not resolve or fetch a package the guest needs."""


@dataclass(frozen=True)
class DebPackage:
    """One exact Debian package version."""

    name: str
    version: str

    @property
    def file_name(self) -> str:
        # Same escaping apt uses for the epoch colon, so names stay shell-safe.
        return f"{self.name}_{quote(self.version, safe='.+~-')}.deb"


def _run(args: list[str], cwd: Path | None = None) -> str:
    env = dict(os.environ, LC_ALL="C")
    try:
        done = subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise PackageError(f"{args[0]} is not available: {exc}") from exc
    except subprocess.CalledProcessError as exc:
        raise PackageError(f"{' '.join(args)} failed: {exc.stderr.strip()}") from exc
    return done.stdout


def resolve_metapackage(metapackage: str, prefix: str) -> str:
    """Name of the package a metapackage depends on whose name starts with prefix."""
    for line in _run(["apt-cache", "depends", metapackage]).splitlines():
        kind, _, target = line.strip().partition(":")
        target = target.strip()
        if kind == "Depends" and target.startswith(prefix):
            return target
    raise PackageError(f"{metapackage} has no dependency named {prefix}*")


def candidates(names: Sequence[str]) -> dict[str, DebPackage]:
    """The versions apt would pick, for several packages in one apt-cache run.

    One run, because without a persistent pkgcache.bin (as in many container
    images) every apt-cache call re-reads all package lists, about 1 s each.
    """
    found: dict[str, DebPackage] = {}
    current = ""
    for line in _run(["apt-cache", "policy", *names]).splitlines():
        if line and not line[0].isspace() and line.endswith(":"):
            current = line[:-1]
            continue
        key, _, value = line.strip().partition(":")
        if key == "Candidate" and value.strip() not in ("", "(none)"):
            found[current] = DebPackage(current, value.strip())
    missing = [name for name in names if name not in found]
    if missing:
        raise PackageError(f"apt has no installable candidate for {', '.join(missing)}")
    return found


def candidate(name: str) -> DebPackage:
    """The version apt would pick for a package name."""
    return candidates([name])[name]


def kernel_package() -> DebPackage:
    """The real versioned kernel image behind the cloud kernel metapackage."""
    return candidate(resolve_metapackage(KERNEL_METAPACKAGE, "linux-image-"))


def fetch(package: DebPackage, deb_dir: Path) -> Path:
    """Download the .deb once into deb_dir and return its path."""
    target = deb_dir / package.file_name
    if target.is_file():
        return target
    deb_dir.mkdir(parents=True, exist_ok=True)
    # A private directory tells us unambiguously which file apt produced.
    with tempfile.TemporaryDirectory(dir=deb_dir) as tmp:
        _run(
            [
                "apt-get",
                # Downloading as root into a root-owned dir: no _apt sandbox warning.
                "-o",
                "APT::Sandbox::User=root",
                "download",
                f"{package.name}={package.version}",
            ],
            cwd=Path(tmp),
        )
        debs = list(Path(tmp).glob("*.deb"))
        if len(debs) != 1:
            raise PackageError(f"apt-get download {package.name} produced {debs}")
        os.replace(debs[0], target)
    return target


def unpack(deb: Path, dest: Path) -> Path:
    """Extract a .deb's data tree once into dest (a completed tree is reused)."""
    done_marker = dest / ".nimbo-unpacked"
    if done_marker.is_file():
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    _run(["dpkg-deb", "-x", str(deb), str(dest)])
    done_marker.write_text(deb.name + "\n")
    return dest
