"""Builder of the Nimbostack guest image: kernel, initramfs and qcow2 root disk.

The guest is "our CirrOS": Debian's cloud kernel, a busybox initramfs whose
/init (init.sh) applies cloud metadata and prints machine-readable markers,
and a small ext4 qcow2 disk for persistent data.  Everything is made from
Debian packages and cached under a content key, so it is built only once.

Run ``python -m nimbostack.guest_image.builder [CACHE_DIR] [--force]``.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nimbostack.guest_image import elf, packages
from nimbostack.guest_image.cpio import DeviceNode, write_initramfs
from nimbostack.guest_image.packages import DebPackage

GUEST_IMAGE_NAME = "nimbo-guest"
BOOT_MARKER = "NIMBOSTACK-BOOT"
TICK_MARKER = "NIMBOSTACK-TICK"
ROOT_LABEL = "nimbo-root"
ROOT_PASSWORD = "nimbo"
# Where the guest mounts its disk; user-data can write below <mount>/data.
GUEST_ROOT_MOUNT = "/mnt/root"
DISK_SIZE_MIB = 64
LOGIN = (
    f"root / {ROOT_PASSWORD} (or the server's adminPass, from its config drive) on the "
    "serial console (ttyS0) or tty1; SSH (dropbear, port 22) as root with an injected "
    "key or the password"
)
CACHE_ENV = "NIMBOSTACK_GUEST_CACHE"
# Bump when the layout of a build changes in a way the content key cannot see.
FORMAT_VERSION = 1

SUPPORT_PACKAGES = (
    "busybox-static",
    # dropbear and resize2fs are dynamically linked: ship them with their libs.
    "dropbear-bin",
    "libtomcrypt1",
    "libtommath1",
    "libgmp10",
    "zlib1g",
    "libcrypt1",
    "libc6",
    "e2fsprogs",
    "libext2fs2",
    "libcom-err2",
)

# Loaded (with their dependencies) at boot; built-in ones are skipped.  ext4,
# crc16, crc32c and mbcache are built into the cloud kernel (crc32c_intel is
# left out: TCG's default CPU lacks SSE4.2 and the generic code is enough).  It has no AHCI,
# so a CD-ROM config drive must sit on IDE (pc machine) or virtio.
GUEST_MODULES = (
    # Storage first: ATA/SCSI probing is asynchronous and can run meanwhile.
    "ata_piix",
    "ata_generic",
    "sr_mod",
    "sd_mod",
    "virtio_pci",
    "virtio_scsi",
    "virtio_blk",
    "virtio_net",
    "virtio_console",
    "virtio_balloon",
    "virtio_rng",
    "isofs",
    "vfat",
    "nls_cp437",
    "nls_ascii",
    "nls_utf8",
    "button",
    "evdev",
)

# Package-relative path -> path in the initramfs.
DYNAMIC_BINARIES = {
    "usr/sbin/dropbear": "usr/sbin/dropbear",
    "usr/bin/dropbearkey": "usr/bin/dropbearkey",
    "usr/bin/dbclient": "usr/bin/dbclient",
    "sbin/resize2fs": "sbin/resize2fs",
}
_LIB_DIRS = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64")
_GUEST_LIB_DIR = "lib/x86_64-linux-gnu"
_INTERPRETER = "ld-linux-x86-64.so.2"

_TEMPLATE_DIR = Path(__file__).resolve().parent
# Template file -> (path in the initramfs, mode).
_TEMPLATES = {
    "init.sh": ("init", 0o755),
    "udhcpc.sh": ("etc/nimbo/udhcpc", 0o755),
    "json.sh": ("etc/nimbo/json", 0o755),
    "password.sh": ("etc/nimbo/password", 0o755),
    "shutdown.sh": ("etc/nimbo/shutdown", 0o755),
    "power-button.sh": ("etc/acpi/PWRF/00000080", 0o755),
}
_MANIFEST = "manifest.json"
_MARKER_FIELDS = {
    BOOT_MARKER: ("hostname", "ips", "uptime", "boot_id"),
    TICK_MARKER: ("uptime", "boot_id"),
}
_FIELD_RE = re.compile(r"([a-z_]+)=(\S*)")


class BuildError(RuntimeError):
    """The guest image could not be built."""


@dataclass(frozen=True)
class GuestImage:
    """A built guest in the kernel / ramdisk / machine-image (AKI/ARI/AMI) form."""

    kernel: Path
    ramdisk: Path
    disk: Path
    kernel_version: str
    login: str


# ---------------------------------------------------------------- markers


def _parse_marker(line: str, marker: str) -> dict[str, str] | None:
    start = line.find(marker + " ")
    if start < 0:
        return None
    fields = dict(_FIELD_RE.findall(line[start + len(marker) :]))
    # A line cut short (e.g. by the VM being killed) must not half-parse.
    if any(name not in fields for name in _MARKER_FIELDS[marker]):
        return None
    return fields


def parse_boot_marker(line: str) -> dict[str, str] | None:
    """Fields (hostname, ips, uptime, boot_id) of a boot marker line, else None."""
    return _parse_marker(line, BOOT_MARKER)


def parse_tick_marker(line: str) -> dict[str, str] | None:
    """Fields (uptime, boot_id) of a tick line, else None."""
    return _parse_marker(line, TICK_MARKER)


# ---------------------------------------------------------------- host tools


def _tool(name: str) -> str:
    # mkfs.ext4 lives in /usr/sbin, which a non-root PATH may lack.
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    found = shutil.which(name, path=path)
    if found is None:
        raise BuildError(f"host tool {name} not found (see the guest image docs)")
    return found


def _run(args: Sequence[str | Path]) -> str:
    command = [str(arg) for arg in args]
    try:
        done = subprocess.run(command, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        raise BuildError(f"{' '.join(command)} failed: {exc.stderr.strip()}") from exc
    return done.stdout


# ---------------------------------------------------------------- cache


def default_cache_dir() -> Path:
    """$NIMBOSTACK_GUEST_CACHE, else ~/.cache/nimbostack/guest."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache/nimbostack/guest"


@contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    # Parallel test workers must not build (or read half a build) concurrently.
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _plan() -> tuple[DebPackage, ...]:
    """Candidate versions of the kernel metapackage and support packages.

    The metapackage version moves with every kernel upload, so it keys the
    cache; the real kernel package is resolved only when building.
    """
    names = (packages.KERNEL_METAPACKAGE, *SUPPORT_PACKAGES)
    found = packages.candidates(names)
    return tuple(found[name] for name in names)


def _source_digests() -> dict[str, str]:
    # Any change to init.sh, templates or builder code changes the image.
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(_TEMPLATE_DIR.iterdir())
        if path.is_file() and path.suffix != ".pyc"
    }


def _cache_key(plan: Sequence[DebPackage]) -> str:
    material = {
        "format": FORMAT_VERSION,
        "packages": [[p.name, p.version] for p in plan],
        "modules": list(GUEST_MODULES),
        "disk_mib": DISK_SIZE_MIB,
        "sources": _source_digests(),
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return f"{GUEST_IMAGE_NAME}-{digest[:16]}"


def _load_manifest(image_dir: Path) -> GuestImage | None:
    try:
        data = json.loads((image_dir / _MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    image = GuestImage(
        kernel=image_dir / data["kernel"],
        ramdisk=image_dir / data["ramdisk"],
        disk=image_dir / data["disk"],
        kernel_version=data["kernel_version"],
        login=data["login"],
    )
    if not all(p.is_file() for p in (image.kernel, image.ramdisk, image.disk)):
        return None
    return image


def _write_manifest(image_dir: Path, kernel_version: str, used: Sequence[DebPackage]) -> None:
    manifest = {
        "name": GUEST_IMAGE_NAME,
        "kernel": "vmlinuz",
        "ramdisk": "initrd.img",
        "disk": "disk.qcow2",
        "kernel_version": kernel_version,
        "login": LOGIN,
        "root_label": ROOT_LABEL,
        "packages": {p.name: p.version for p in used},
    }
    (image_dir / _MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _unpack_all(used: Sequence[DebPackage], cache_dir: Path) -> dict[str, Path]:
    trees: dict[str, Path] = {}
    for package in used:
        deb = packages.fetch(package, cache_dir / "debs")
        trees[package.name] = packages.unpack(
            deb, cache_dir / "unpacked" / deb.name.removesuffix(".deb")
        )
    return trees


# ---------------------------------------------------------------- kernel


def _kernel_version(kernel_tree: Path) -> str:
    images = sorted((kernel_tree / "boot").glob("vmlinuz-*"))
    if len(images) != 1:
        raise BuildError(f"expected one vmlinuz in {kernel_tree}/boot, found {images}")
    return images[0].name.removeprefix("vmlinuz-")


def _module_name(path: Path) -> str:
    # Module names treat "-" and "_" alike (virtio-rng.ko is virtio_rng).
    return path.name.removesuffix(".ko").replace("-", "_")


def _builtin_modules(modules_dir: Path) -> set[str]:
    lines = (modules_dir / "modules.builtin").read_text().split()
    return {_module_name(Path(line)) for line in lines}


def module_load_order(names: Sequence[str], modules_dir: Path) -> list[Path]:
    """Module files for names and their dependencies, dependencies first."""
    index = {_module_name(p): p for p in modules_dir.rglob("*.ko")}
    builtin = _builtin_modules(modules_dir)
    order: list[Path] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        key = name.replace("-", "_")
        if key in seen or key in builtin:
            return
        seen.add(key)
        if key not in index:
            raise BuildError(f"kernel module {name} is neither built in nor shipped")
        for dependency in elf.module_depends(index[key]):
            visit(dependency)
        order.append(index[key])

    for name in names:
        visit(name)
    return order


def _install_modules(staging: Path, kernel_tree: Path, kver: str, busybox: Path) -> None:
    source = kernel_tree / "lib/modules" / kver
    target = staging / "lib/modules" / kver
    order = module_load_order(GUEST_MODULES, source)
    for module in order:
        dest = target / module.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(module, dest)
    for name in ("modules.builtin", "modules.order"):
        shutil.copy2(source / name, target / name)
    # modules.dep so that modprobe also works interactively in the guest.
    _run([busybox, "depmod", "-b", staging, kver])
    listing = "".join(f"{m.relative_to(source).as_posix()}\n" for m in order)
    _write(staging / "etc/nimbo/modules", listing)


# ---------------------------------------------------------------- initramfs


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _install_busybox(staging: Path, busybox: Path) -> None:
    target = staging / "bin/busybox"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox, target)
    for applet in _run([busybox, "--list-full"]).split():
        link = staging / applet
        if applet == "linuxrc" or link.exists():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")


def _resolve_in_tree(tree: Path, path: Path) -> Path:
    # Symlinks inside an unpacked .deb may be absolute: keep them in the tree.
    for _ in range(16):
        if not path.is_symlink():
            return path
        target = os.readlink(path)
        path = tree / target.lstrip("/") if target.startswith("/") else path.parent / target
    raise BuildError(f"symlink loop at {path}")


def _library_index(trees: dict[str, Path]) -> dict[str, Path]:
    index: dict[str, Path] = {}
    for tree in trees.values():
        for lib_dir in _LIB_DIRS:
            for path in sorted((tree / lib_dir).glob("*.so*")):
                index.setdefault(path.name, _resolve_in_tree(tree, path))
    return index


def _install_dynamic_binaries(staging: Path, trees: dict[str, Path]) -> None:
    libraries = _library_index(trees)
    pending: list[Path] = []
    for source, dest in DYNAMIC_BINARIES.items():
        found = [tree / source for tree in trees.values() if (tree / source).is_file()]
        if not found:
            raise BuildError(f"no package provides {source}")
        (staging / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(found[0], staging / dest)
        pending.append(found[0])
    installed: set[str] = set()
    while pending:
        for soname in elf.needed_libraries(pending.pop()):
            if soname in installed:
                continue
            if soname not in libraries:
                raise BuildError(f"no package provides the library {soname}")
            installed.add(soname)
            lib_dir = "lib64" if soname == _INTERPRETER else _GUEST_LIB_DIR
            (staging / lib_dir).mkdir(parents=True, exist_ok=True)
            # copy2 keeps the mode: the kernel needs ld.so to be executable.
            shutil.copy2(libraries[soname], staging / lib_dir / soname)
            pending.append(libraries[soname])
    # The ELF interpreter path is /lib64/ld-linux-x86-64.so.2 on amd64.
    if not (staging / "lib64" / _INTERPRETER).exists():
        (staging / "lib64").mkdir(exist_ok=True)
        shutil.copy2(libraries[_INTERPRETER], staging / "lib64" / _INTERPRETER)


def _install_templates(staging: Path) -> None:
    for name, (dest, mode) in _TEMPLATES.items():
        _write(staging / dest, (_TEMPLATE_DIR / name).read_text(), mode)


def _install_accounts(staging: Path, busybox: Path) -> None:
    # Fixed salt: the same inputs give the same initramfs.
    password_hash = _run([busybox, "mkpasswd", "-m", "sha512", ROOT_PASSWORD, "nimbostack"])
    _write(staging / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
    _write(staging / "etc/group", "root:x:0:\ntty:x:5:\n")
    _write(staging / "etc/shadow", f"root:{password_hash.strip()}:19000:0:99999:7:::\n", 0o600)
    _write(staging / "etc/shells", "/bin/sh\n/bin/ash\n")
    _write(
        staging / "etc/profile",
        "export PATH=/sbin:/bin:/usr/sbin:/usr/bin\n"
        "export PS1='\\u@\\h:\\w\\$ '\n"
        "cd /root 2>/dev/null\n",
    )
    _write(staging / "etc/hostname", "nimbo\n")
    _write(staging / "etc/nimbo/release", f"{GUEST_IMAGE_NAME} format {FORMAT_VERSION}\n")


def _make_skeleton(staging: Path) -> None:
    for name in (
        "dev",
        "proc",
        "sys",
        "run",
        "mnt/root",
        "mnt/config",
        "var/log",
        "etc/dropbear",
        "usr/bin",
        "usr/sbin",
        "sbin",
    ):
        (staging / name).mkdir(parents=True, exist_ok=True)
    (staging / "tmp").mkdir(mode=0o1777)
    (staging / "tmp").chmod(0o1777)
    (staging / "root/.ssh").mkdir(parents=True)
    (staging / "root").chmod(0o700)
    (staging / "root/.ssh").chmod(0o700)
    (staging / "var/run").symlink_to("/run")


def _build_initramfs(
    work: Path, trees: dict[str, Path], kernel_tree: Path, kver: str, dest: Path
) -> Path:
    staging = work / "initramfs"
    busybox = trees["busybox-static"] / "bin/busybox"
    _make_skeleton(staging)
    _install_busybox(staging, busybox)
    _install_modules(staging, kernel_tree, kver, busybox)
    _install_dynamic_binaries(staging, trees)
    _install_templates(staging)
    _install_accounts(staging, busybox)
    # The kernel opens /dev/console for /init before devtmpfs is mounted.
    return write_initramfs(staging, dest, (DeviceNode("/dev/console", 5, 1),))


# ---------------------------------------------------------------- disk


def _build_disk(work: Path, dest: Path) -> Path:
    tree = work / "disk-tree"
    (tree / "data").mkdir(parents=True)
    (tree / "etc/dropbear").mkdir(parents=True)
    (tree / "NIMBO-ROOT").write_text(
        f"{GUEST_IMAGE_NAME} root disk (format {FORMAT_VERSION}); "
        f"mounted on {GUEST_ROOT_MOUNT}, keep your files in data/\n"
    )
    raw = work / "disk.raw"
    with raw.open("wb") as handle:
        handle.truncate(DISK_SIZE_MIB * 1024 * 1024)
    # 4 KiB blocks so that online growth to large flavor disks stays possible.
    _run(
        [
            _tool("mkfs.ext4"),
            "-q",
            "-F",
            "-b",
            "4096",
            "-L",
            ROOT_LABEL,
            "-E",
            "root_owner=0:0",
            "-d",
            tree,
            raw,
        ]
    )
    _run([_tool("qemu-img"), "convert", "-q", "-f", "raw", "-O", "qcow2", raw, dest])
    raw.unlink()
    return dest


# ---------------------------------------------------------------- build


def _build(image_dir: Path, plan: Sequence[DebPackage], cache_dir: Path) -> GuestImage:
    kernel = packages.kernel_package()
    # The metapackage itself is empty: the kernel package replaces it.
    used = (kernel, *(p for p in plan if p.name != packages.KERNEL_METAPACKAGE))
    trees = _unpack_all(used, cache_dir)
    kernel_tree = trees[kernel.name]
    kver = _kernel_version(kernel_tree)
    image_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=image_dir.parent, prefix=".build-") as tmp:
        work = Path(tmp)
        result = work / "result"
        result.mkdir()
        shutil.copyfile(kernel_tree / "boot" / f"vmlinuz-{kver}", result / "vmlinuz")
        _build_initramfs(work, trees, kernel_tree, kver, result / "initrd.img")
        _build_disk(work, result / "disk.qcow2")
        _write_manifest(result, kver, used)
        if image_dir.exists():
            shutil.rmtree(image_dir)
        # Atomic publish: readers never see a half-written image directory.
        result.rename(image_dir)
    image = _load_manifest(image_dir)
    if image is None:
        raise BuildError(f"build in {image_dir} is incomplete")
    return image


def build_guest_image(cache_dir: Path, *, force: bool = False) -> GuestImage:
    """Build (or reuse from cache_dir) the guest kernel, initramfs and disk."""
    cache_dir = cache_dir.expanduser().resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / ".lock"):
        plan = _plan()
        image_dir = cache_dir / "images" / _cache_key(plan)
        if not force and (cached := _load_manifest(image_dir)) is not None:
            return cached
        return _build(image_dir, plan, cache_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: build and print the image paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache_dir", nargs="?", type=Path, default=default_cache_dir())
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    try:
        image = build_guest_image(args.cache_dir, force=args.force)
    except (BuildError, packages.PackageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"kernel:  {image.kernel}")
    print(f"ramdisk: {image.ramdisk}")
    print(f"disk:    {image.disk}")
    print(f"version: {image.kernel_version}")
    print(f"login:   {image.login}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
