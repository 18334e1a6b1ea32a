"""Personnummer: every written form, samordningsnummer, check digit, century, pseudonyms, key."""

import numpy as np
import pandas as pd
import pytest

from pipeline.core import personnummer as p
from pipeline.core.errors import ConfigError


def test_forms_of_the_same_number_normalise_alike():
    forms = pd.Series(["811218-9876", "8112189876", "19811218-9876", "198112189876", " 811218-9876 "])
    parsed = p.parse(forms, 2022)
    assert parsed["problem"].isna().all()
    assert set(parsed["normalised"]) == {"198112189876"}


def test_century_from_reference_year_and_plus_sign():
    parsed = p.parse(pd.Series(["121212-1212", "121212+1212", "19121212-1212"]), 2022)
    assert parsed["normalised"].tolist() == ["201212121212", "191212121212", "191212121212"]


def test_samordningsnummer_is_valid_and_flagged():
    nine = np.array([[8, 1, 1, 2, 7, 8, 9, 8, 7]])  # 811278-987?: day 18 + 60
    check = int(p.luhn_check_digit(nine)[0])
    parsed = p.parse(pd.Series([f"811278-987{check}"]), 2022)
    assert parsed["problem"].isna().all() and parsed["samordningsnummer"].all()


@pytest.mark.parametrize("value, problem", [
    ("811218-9875", p.BAD_CHECKSUM), ("811318-9876", p.BAD_DATE), ("811232-9876", p.BAD_DATE),
    ("81121-89876", p.BAD_FORMAT), ("", p.BAD_FORMAT), ("abcdefghij", p.BAD_FORMAT),
])
def test_problems_are_named(value, problem):
    assert p.parse(pd.Series([value]), 2022)["problem"].iloc[0] == problem


def test_generated_numbers_are_valid_and_distinct():
    rng = np.random.default_rng(1)
    numbers = p.generate(np.repeat(np.arange(1960, 1965), 2000), rng, coordination_share=0.1)
    parsed = p.parse(pd.Series(numbers), 2022)
    assert parsed["problem"].isna().all() and len(set(numbers)) == len(numbers)
    assert 0.05 < parsed["samordningsnummer"].mean() < 0.15


def test_pseudonyms_are_keyed_and_stable():
    values = pd.Series(["198112189876", "198112189876", pd.NA], dtype="string")
    a = p.pseudonymise(values, b"a" * 32)
    assert a.iloc[0] == a.iloc[1] and pd.isna(a.iloc[2]) and len(a.iloc[0]) == 32
    assert "198112189876" not in a.iloc[0]
    assert p.pseudonymise(values, b"b" * 32).iloc[0] != a.iloc[0]


RANDOM = "3f9a1c7e52b04d8896e1a0c4f7d2b3e50a6c9e1f4b7d2a8c5e3f6b9d1c4a7e20"


def test_key_from_environment(monkeypatch):
    monkeypatch.setenv(p.KEY_ENV, RANDOM)
    assert p.load_key() == bytes.fromhex(RANDOM)
    assert len(p.fingerprint(bytes.fromhex(RANDOM))) == 16 and RANDOM[:16] not in p.fingerprint(bytes.fromhex(RANDOM))


@pytest.mark.parametrize("value, words", [
    ("xyz", "hexadecimal"), ("", "0 bytes"), ("00", "1 bytes"), (RANDOM[:40], "20 bytes"),
    ("00" * 32, "not random"), ("ab" * 32, "not random"), ("0123456789abcdef" * 4, "not random"),
])
def test_empty_short_or_low_entropy_key_stops(monkeypatch, value, words):
    monkeypatch.setenv(p.KEY_ENV, value)
    with pytest.raises(ConfigError, match=words) as err:
        p.load_key()
    assert "finsam key init" in str(err.value)


def test_missing_key_is_an_error_for_real_data_and_the_demo_key_for_the_demo(tmp_path, monkeypatch):
    monkeypatch.delenv(p.KEY_ENV, raising=False)
    monkeypatch.setenv(p.KEY_FILE_ENV, str(tmp_path / "finsam" / "key"))
    with pytest.raises(ConfigError, match="no pseudonym key.*finsam key init"):
        p.load_key()
    assert not (tmp_path / "finsam" / "key").exists()  # never made silently
    assert p.load_key(demo=True) == p.DEMO_KEY
    monkeypatch.setenv(p.KEY_ENV, p.DEMO_KEY.hex())
    with pytest.raises(ConfigError, match="demo key may only"):
        p.load_key()


def test_key_init_writes_a_private_file_outside_the_repo(tmp_path, monkeypatch):
    monkeypatch.delenv(p.KEY_ENV, raising=False)
    path = tmp_path / "finsam" / "key"
    monkeypatch.setenv(p.KEY_FILE_ENV, str(path))
    assert p.init_key(repo=tmp_path / "repo") == path.resolve()
    assert path.stat().st_mode & 0o777 == 0o600
    key = p.load_key()
    assert len(key) == 32 and p.load_key() == key
    with pytest.raises(ConfigError, match="already exists"):
        p.init_key()
    with pytest.raises(ConfigError, match="outside the repository"):
        p.init_key(tmp_path / "repo" / "key", repo=tmp_path / "repo")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        p.load_key()


def test_key_init_from_the_command_line(tmp_path, monkeypatch, capsys):
    from pipeline.cli import main

    target = tmp_path / "k" / "pseudonym.key"
    assert main(["key", "init", "--path", str(target)]) == 0
    out = capsys.readouterr().out
    assert "fingerprint" in out and target.read_text().strip() not in out
    assert main(["key", "init", "--path", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_pseudonyms_are_hmac_sha256_of_the_normalised_number():
    """The vectorised HMAC gives hmac.new's digest for every value, keeps NA and the index (row order)."""
    import hashlib
    import hmac

    rng = np.random.default_rng(7)
    numbers = p.generate(rng.integers(1930, 2010, 5000), rng)
    values = pd.Series(list(numbers) + [pd.NA], dtype="string", index=np.arange(5001) * 3 + 1)
    for key in (bytes(range(32)), bytes(range(100))):  # a key longer than SHA-256's block is hashed first
        got = p.pseudonymise(values, key)
        assert got.index.equals(values.index) and pd.isna(got.iloc[-1])
        assert list(got.iloc[:-1]) == [hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:32] for v in numbers]
