#!/usr/bin/env bash
# Rebuild the committed test evidence images in tests/data/ (no mounts, no root needed for the
# images themselves). Usage: bash tests/data/make_images.sh [fat32 ext4 exfat ntfs gpt mbr example split]
# Needs: dosfstools mtools exfatprogs e2fsprogs ntfs-3g gdisk fdisk ewf-tools ffmpeg gzip,
# optionally faketime (without it the E01/NTFS/exFAT files carry the real build time);
# Python 3.11+ with Pillow and numpy.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
missing=()
for tool in mkfs.fat mmd mcopy mdel mkfs.exfat tune.exfat mke2fs debugfs mkntfs ntfscp ntfslabel \
            sgdisk sfdisk ewfacquire ewfverify split gzip ffmpeg; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "make_images.sh: missing tools: ${missing[*]}" >&2
  echo "  apt-get install -y dosfstools mtools exfatprogs e2fsprogs ntfs-3g gdisk fdisk ewf-tools ffmpeg faketime" >&2
  exit 2
fi
command -v faketime >/dev/null 2>&1 || echo "make_images.sh: faketime not found; E01/NTFS/exFAT output will not be byte-identical" >&2
exec python3 "$here/make_images.py" "$@"
