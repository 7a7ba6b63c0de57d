"""A TLS cluster on 127.0.0.1 (certificates made here): the scan runs through it with
--cluster-tls-*, and concludes what the pool does; without certificates it is refused."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.commands.test_scan import results
from tests.pipeline.daskprocs import EXAMPLE, DaskCluster, scan


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and one certificate it signs for 127.0.0.1 (server and client use)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("dftriage test CA"))
        .issuer_name(_name("dftriage test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    usage = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage(usage), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    paths[2].chmod(0o600)
    return paths


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DaskCluster, tuple]]:
    folder = tmp_path_factory.mktemp("dask-tls")
    ca, cert, key = make_certificates(folder)
    tls = ("--tls-ca-file", str(ca), "--tls-cert", str(cert), "--tls-key", str(key))
    running = DaskCluster(folder, tls)
    try:
        yield running.start(1), (ca, cert, key)
    finally:
        running.stop()


def test_a_scan_through_a_tls_cluster_equals_the_pools(
    tls_cluster: tuple[DaskCluster, tuple], pool_results: dict, tmp_path: Path
) -> None:
    cluster, (ca, cert, key) = tls_cluster
    assert cluster.address.startswith("tls://127.0.0.1:")
    options = ["--cluster-tls-ca", str(ca), "--cluster-tls-cert", str(cert)]
    done = scan(
        tmp_path / "case",
        [EXAMPLE],
        "--carve",
        "--cluster",
        cluster.address,
        *options,
        "--cluster-tls-key",
        str(key),
    )
    assert done.returncode == 0, done.stderr
    assert results(tmp_path / "case") == pool_results["e01"]


def test_a_tls_address_without_certificates_is_refused(
    tls_cluster: tuple[DaskCluster, tuple], tmp_path: Path
) -> None:
    cluster, _ = tls_cluster
    done = scan(tmp_path / "case", [EXAMPLE], "--cluster", cluster.address)
    assert done.returncode == 2
    assert "--cluster-tls-ca" in done.stderr
    assert not (tmp_path / "case").exists()
