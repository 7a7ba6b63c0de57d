"""The --cluster options: addresses, TLS files and path maps are checked before a case
folder is made; a path map replaces the longest recorded prefix; the worker plugin never
shows the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main
from scanner.errors import ConfigError
from scanner.evidence.containers import ContainerOptions
from scanner.evidence.resolver import Resolver
from scanner.pipeline.cluster import ClusterSpec, ScanWorkerPlugin, parse_path_map

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example.E01"


@pytest.mark.parametrize(
    ("address", "tls", "message"),
    [
        ("127.0.0.1:8786", (), "expected tcp://HOST:PORT"),
        ("local:0", (), "local:N with N >= 1"),
        ("local:two", (), "local:N with N >= 1"),
        ("tls://127.0.0.1:8786", ("ca.pem", None, None), "--cluster-tls-cert"),
        ("tcp://127.0.0.1:8786", ("ca.pem", "c.pem", "k.pem"), "need a tls:// cluster"),
    ],
)
def test_a_bad_cluster_is_refused(address: str, tls: tuple, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ClusterSpec(address, *tls)


def test_good_clusters_are_accepted() -> None:
    assert ClusterSpec("local:3").local_workers == 3
    assert ClusterSpec("tcp://10.0.0.5:8786").security() is None
    tls = ClusterSpec("tls://10.0.0.5:8786", "ca.pem", "c.pem", "k.pem")
    assert tls.local_workers is None and tls.security() is not None


def test_path_maps_are_pairs_of_absolute_paths() -> None:
    assert parse_path_map(["/mnt/ev/=/nfs/evidence"]) == (("/mnt/ev", "/nfs/evidence"),)
    for bad in ("/mnt/ev", "mnt=/nfs", "/mnt=nfs"):
        with pytest.raises(ConfigError, match="LOCAL=REMOTE"):
            parse_path_map([bad])


def test_the_longest_recorded_prefix_is_mapped() -> None:
    resolver = Resolver(roots={"/mnt/ev": "/nfs/a", "/mnt/ev/case2": "/nfs/b", "/x.E01": "/y.E01"})
    assert resolver.mapped("/mnt/ev/case1/disk.E01") == "/nfs/a/case1/disk.E01"
    assert resolver.mapped("/mnt/ev/case2/disk.E01") == "/nfs/b/disk.E01"
    assert resolver.mapped("/mnt/evidence/disk.E01") == "/mnt/evidence/disk.E01"  # no prefix
    assert resolver.mapped("/x.E01") == "/y.E01"
    assert resolver.mapped("/mnt/ev") == "/nfs/a"


def test_the_worker_plugin_never_shows_the_password() -> None:
    plugin = ScanWorkerPlugin(ContainerOptions(password="s3cret-pw"), {}, 0)
    assert "s3cret-pw" not in repr(plugin) and "s3cret-pw" not in str(plugin)


@pytest.mark.parametrize(
    "extra",
    [
        ["--path-map", "/a=/b"],
        ["--cluster-tls-ca", "ca.pem"],
        ["--cluster", "tls://127.0.0.1:1"],
        ["--cluster", "udp://127.0.0.1:1"],
    ],
)
def test_cluster_option_errors_stop_before_a_case_exists(
    extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case"
    assert main(["scan", str(EXAMPLE), "--case", str(case), "--no-models", *extra]) == 2
    assert "dftriage: error:" in capsys.readouterr().err
    assert not case.exists()
