"""The --https certificate: a local CA and a server certificate for this computer, kept and reused."""

from __future__ import annotations

import ipaddress
import os
import stat

from cryptography import x509

from app import lan


def _sans(path) -> set[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in names.get_values_for_type(x509.IPAddress)} | set(
        names.get_values_for_type(x509.DNSName)
    )


def test_certificate_covers_this_computer_and_is_kept(tmp_path) -> None:
    files = lan.ensure_certificate(tmp_path, addresses=['192.168.1.20'])
    assert {'127.0.0.1', '192.168.1.20', 'localhost'} <= _sans(files.cert)
    for key in (files.key, tmp_path / lan.CA_KEY):
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    server = x509.load_pem_x509_certificate(files.cert.read_bytes())
    assert server.issuer == ca.subject
    server.verify_directly_issued_by(ca)

    before = files.cert.read_bytes()
    again = lan.ensure_certificate(tmp_path, addresses=['192.168.1.20'])
    assert again.cert.read_bytes() == before  # same addresses: nothing regenerated


def test_a_new_address_gets_a_new_certificate_from_the_same_ca(tmp_path) -> None:
    first = lan.ensure_certificate(tmp_path, addresses=['192.168.1.20'])
    ca_before = first.ca_cert.read_bytes()
    moved = lan.ensure_certificate(tmp_path, addresses=['10.0.0.7'])
    assert '10.0.0.7' in _sans(moved.cert)
    assert moved.ca_cert.read_bytes() == ca_before  # the phone keeps trusting it


def test_lan_addresses_are_real_addresses() -> None:
    for addr in lan.lan_addresses():
        ip = ipaddress.ip_address(addr)
        assert not ip.is_loopback and not ip.is_unspecified
    assert lan.local_url('0.0.0.0', 8080, https=True) == 'https://127.0.0.1:8080'
