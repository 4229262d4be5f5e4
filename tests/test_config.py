"""Settings: URI sources, redaction, no built-in credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from jwstdata.config import Settings, load_settings
from jwstdata.errors import ConfigurationError
from jwstdata.redact import redact_uri


def test_no_uri_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWSTDATA_MONGODB_URI", raising=False)
    monkeypatch.delenv("JWSTDATA_MONGODB_URI_FILE", raising=False)
    settings = load_settings()
    assert settings.embedded and settings.resolved_uri is None
    assert settings.database == "jwst_data_analysis"


def test_uri_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "uri"
    secret.write_text("mongodb://app:pw@db.example:27017/?tls=true\n")
    settings = Settings(mongodb_uri_file=secret)
    assert settings.resolved_uri == "mongodb://app:pw@db.example:27017/?tls=true"
    assert not settings.embedded


def test_unreadable_uri_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        _ = Settings(mongodb_uri_file=tmp_path / "missing").resolved_uri


def test_secret_never_in_repr() -> None:
    settings = Settings(mongodb_uri="mongodb://admin:password@mongodb:27017")
    assert "password@" not in repr(settings) and "password@" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("mongodb://admin:password@mongodb:27017", "mongodb://admin:***@mongodb:27017"),
        (
            "mongodb+srv://u:p%40ss@cluster0.example.net/db?retryWrites=true",
            "mongodb+srv://u:***@cluster0.example.net/db?retryWrites=true",
        ),
        ("mongodb://127.0.0.1:27017/", "mongodb://127.0.0.1:27017/"),
        (
            "mongodb://h/?tlsCertificateKeyFilePassword=abc&tls=true",
            "mongodb://h/?tlsCertificateKeyFilePassword=***&tls=true",
        ),
    ],
)
def test_redact_uri(uri: str, expected: str) -> None:
    assert redact_uri(uri) == expected


def test_bad_setting_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWSTDATA_DATABASE", "bad name!")
    with pytest.raises(ConfigurationError, match="JWSTDATA_DATABASE"):
        load_settings()


def test_home_defaults_to_the_per_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("JWSTDATA_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    first = load_settings().home_dir
    monkeypatch.chdir(tmp_path)
    assert load_settings().home_dir == first == (tmp_path / "xdg" / "jwstdata").resolve()
    monkeypatch.setenv("JWSTDATA_HOME", str(tmp_path / "elsewhere"))
    assert load_settings().home_dir == (tmp_path / "elsewhere").resolve()
