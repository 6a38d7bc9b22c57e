"""LAN mode plumbing: this computer's addresses on the home network, the URL a phone opens, and the
self-signed certificate for ``--https`` (a small local CA that signs the server certificate, both kept
in the data directory, so a phone that trusts the CA once keeps trusting new server certificates)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from . import config

log = logging.getLogger(__name__)

CA_CERT = 'outputhub-ca.crt'
CA_KEY = 'outputhub-ca.key'
SERVER_CERT = 'outputhub-server.crt'
SERVER_KEY = 'outputhub-server.key'


def lan_addresses() -> list[str]:
    """IPv4 addresses other devices on the network can reach this computer at (best first)."""
    found: list[str] = []
    try:
        # A UDP "connect" sends nothing; it only asks the OS which interface would route there.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(('10.254.254.254', 1))
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    except OSError:
        pass
    out: list[str] = []
    for addr in found:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            continue
        if ip.is_loopback or ip.is_link_local or ip.is_unspecified or addr in out:
            continue
        out.append(addr)
    out.sort(key=lambda a: not ipaddress.ip_address(a).is_private)
    return out


def lan_urls(port: int, *, https: bool) -> list[str]:
    scheme = 'https' if https else 'http'
    return [f'{scheme}://{addr}:{port}' for addr in lan_addresses()]


def local_url(host: str, port: int, *, https: bool) -> str:
    shown = '127.0.0.1' if host in ('0.0.0.0', '::', '') else host
    return f'{"https" if https else "http"}://{shown}:{port}'


# --------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class CertFiles:
    cert: Path  # server certificate followed by the CA (the chain uvicorn serves)
    key: Path
    ca_cert: Path  # what a phone installs to trust the app


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as fh:
        fh.write(data)


def _names_in(cert_path: Path) -> set[str]:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if cert.not_valid_after_utc < dt.datetime.now(dt.UTC) + dt.timedelta(days=30):
            return set()
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except Exception:  # unreadable, expired soon or without names: make a new one
        return set()
    return {str(v) for v in sans.get_values_for_type(x509.IPAddress)} | set(
        sans.get_values_for_type(x509.DNSName)
    )


def ensure_certificate(directory: Path | None = None, addresses: list[str] | None = None) -> CertFiles:
    """The CA and a server certificate for this computer's names and LAN addresses, made on first use
    and remade (same CA) when the addresses change or it nears expiry."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory = directory or config.data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert_path, ca_key_path = directory / CA_CERT, directory / CA_KEY
    cert_path, key_path = directory / SERVER_CERT, directory / SERVER_KEY
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    pem = serialization.Encoding.PEM
    no_password = serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8

    if ca_cert_path.exists() and ca_key_path.exists():
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, f'Output Hub local CA ({socket.gethostname()[:40]})'),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Output Hub'),
            ]
        )
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(ca_key_path, ca_key.private_bytes(pem, pkcs8, no_password))
        ca_cert_path.write_bytes(ca_cert.public_bytes(pem))

    host = socket.gethostname()
    addresses = addresses if addresses is not None else lan_addresses()
    wanted = {'localhost', host, f'{host}.local', '127.0.0.1', *addresses}
    if cert_path.exists() and key_path.exists() and wanted <= _names_in(cert_path):
        return CertFiles(cert_path, key_path, ca_cert_path)

    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [
        x509.DNSName(n) for n in sorted({'localhost', host, f'{host}.local'})
    ]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in sorted({'127.0.0.1', *addresses})]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64] or 'outputhub')]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=397))  # browsers refuse longer-lived server certificates
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    _write_private(key_path, key.private_bytes(pem, pkcs8, no_password))
    cert_path.write_bytes(cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    log.info('Made a new HTTPS certificate for %s', ', '.join(sorted(wanted)))
    return CertFiles(cert_path, key_path, ca_cert_path)


def ca_certificate_path() -> Path | None:
    path = config.data_dir() / CA_CERT
    return path if path.exists() else None
