"""Register microdata: cleaning rules against the documented dirt, definitions, bad input, no personnummer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from pipeline.core.errors import InputError
from pipeline.core.privacy import scan
from pipeline.core.personnummer import luhn_check_digit
from pipeline.sources.register import check_same_key, clean_export, clean_register_year, load_exports, read_export, save_register_year

from ..conftest import REPO, TEST_KEY

pytestmark = pytest.mark.slow
YEARS = list(range(2016, 2023))
DIRT_REASON = {  # what the demo injects (smuts.json) → the reason the cleaning must give
    ("deltagare", "exact_duplicate"): "dubblett", ("deltagare", "double_registration"): "dubbelregistrering",
    ("deltagare", "bad_checksum"): "personnummer_kontrollsiffra", ("deltagare", "end_before_start"): "slut_fore_start",
    ("deltagare", "outside_year"): "utanfor_aret", ("deltagare", "plus_form_under_100"): "personnummer_fodelsear",
    ("insatser", "exact_duplicate"): "dubblett", ("formaner", "exact_duplicate"): "dubblett",
    ("formaner", "bad_checksum"): "personnummer_kontrollsiffra",
    ("deltagare", "sex_differs_from_benefit_register"): "motstridig_person_mellan_filer",
    ("formaner", "sex_differs_from_benefit_register"): "motstridig_person_mellan_filer",
}


@pytest.mark.parametrize("year", YEARS)
def test_quarantine_matches_the_injected_dirt_and_nothing_is_lost(register_project, year):
    folder = register_project.processed / "register" / str(year)
    dirt = json.loads((register_project.raw / "register" / str(year) / "smuts.json").read_text())
    quarantine = pd.read_parquet(folder / "karantan.parquet")
    found = quarantine.groupby(["export", "reason"]).size().to_dict()
    expected = {}
    for export, kinds in dirt["dirt"].items():
        for kind, n in kinds.items():
            key = (export, DIRT_REASON[(export, kind)])
            if n:
                expected[key] = expected.get(key, 0) + n
    assert found == expected
    quality = pd.read_parquet(folder / "kvalitet.parquet")
    for export, rows in dirt["rows"].items():
        q = quality[quality["export"] == export].set_index("measure")["count"]
        assert q["rader in"] == rows
        assert q["behållna"] + q[q.index.str.startswith("karantän")].sum() == rows


def test_processed_register_data_holds_no_personnummer(register_project):
    for year in (2016, 2022):
        for name in ("deltagare", "formaner"):
            frame = pd.read_parquet(register_project.processed / "register" / str(year) / f"{name}.parquet")
            assert "personnummer" not in frame.columns and frame["person_id"].str.len().eq(32).all()
    assert scan([register_project.processed / "register"]) == []


def test_register_cleaning_notebook_was_run_by_the_stage(register_project):
    assert (register_project.processed / "register" / "2022" / "rensning_2022.ipynb").is_file()


def pnr(yymmdd: str, serial: str, century: str = "") -> str:
    """A valid personnummer (check digit computed) for tests."""
    check = int(luhn_check_digit(np.array([[int(c) for c in yymmdd + serial]]))[0])
    return f"{century}{yymmdd}-{serial}{check}"


def _deltagare_csv(tmp_path, rows: list[str], year: int = 2022):
    spec = load_exports(REPO / "data" / "raw" / "register")["deltagare"]
    header = ",".join(spec["columns"])
    path = tmp_path / f"sus_deltagare_{year}.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path, spec


def test_definitions_of_ongoing_and_new(tmp_path):
    f = "Samordningsförbund 01"
    rows = [
        f"R1,811218-9876,personuppgifter,K,1981,I1,{f},2022-12-31,,sjukpenning,0180",          # new and ongoing
        f"R2,{pnr('900101', '123')},personuppgifter,M,1990,I1,{f},2021-03-01,2022-01-01,sjukpenning,0180",  # ongoing only
        f"R3,{pnr('421212', '121', '19')},personuppgifter,man,1942,I2,{f},2020-01-01,,sjukpenning,180",  # 12 digits
        f"R4,,anonym,2,1990,I1,{f},2022-05-05,,ingen,",                                      # kept, no person
        f"R5,811218-9876,personuppgifter,K,1981,I1,{f},2022-12-31,,sjukpenning,0180",           # same person, same insats
    ]
    path, spec = _deltagare_csv(tmp_path, rows)
    result = clean_export(read_export(path, "deltagare", spec), 2022, TEST_KEY)
    kept = result.kept.set_index("registration_id")
    assert kept.loc["R1", ["ongoing", "new"]].tolist() == [True, True]
    assert kept.loc["R2", ["ongoing", "new"]].tolist() == [True, False]
    assert kept.loc["R3", ["ongoing", "new"]].tolist() == [True, False]
    assert pd.isna(kept.loc["R4", "person_id"])
    # the kommun code Excel wrote without its leading zero is the code, and counted as corrected
    assert kept["kommun"].tolist() == ["0180", "0180", "0180", ""]
    assert result.notes == {"kommun: kod utan inledande nolla, nollan tillagd": 1}
    assert result.quarantine["reason"].tolist() == ["dubbelregistrering"] and len(kept) + 1 == 5


def _copy_year(register_project, tmp_path, year=2017):
    """One year's exports, and the other years' insats exports (participants may be in earlier insatser)."""
    target = tmp_path / "register"
    source = register_project.raw / "register"
    shutil.copytree(source / str(year), target / str(year))
    shutil.copy2(source / "exports.yaml", target / "exports.yaml")
    shutil.copytree(source.parent / "geografi", target.parent / "geografi")  # code lists of exports.yaml
    for other in YEARS:
        if other != year:
            (target / str(other)).mkdir()
            shutil.copy2(source / str(other) / f"sus_insatser_{other}.csv", target / str(other))
    return target


def test_unknown_code_stops_with_file_line_and_column(register_project, tmp_path):
    raw = _copy_year(register_project, tmp_path)
    path = raw / "2017" / "sus_deltagare_2017.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    fields = lines[5].split(",")
    fields[9] = "sjukersattning"  # forsorjning_vid_start (the kommun follows it)
    lines[5] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        clean_register_year(raw, 2017, key=TEST_KEY, years=YEARS)
    assert "sus_deltagare_2017.csv, line 6, column 'forsorjning_vid_start': unknown code 'sjukersattning'" in str(err.value)


def test_missing_column_wrong_delimiter_and_encoding(register_project, tmp_path):
    raw = _copy_year(register_project, tmp_path)
    benefits = raw / "2017" / "formaner_2017.csv"
    text = benefits.read_bytes().decode("latin-1")
    benefits.write_bytes(text.replace(";", ",").encode("latin-1"))
    with pytest.raises(InputError, match="formaner_2017.csv, line 1: the header is split by ',', but this export must use ';'"):
        clean_register_year(raw, 2017, key=TEST_KEY, years=YEARS)
    header, rest = text.split("\n", 1)
    benefits.write_bytes((header.replace(";diagnoskapitel", "") + "\n" + rest).encode("latin-1"))
    with pytest.raises(InputError, match="line 1, column 'diagnoskapitel': missing column"):
        clean_register_year(raw, 2017, key=TEST_KEY, years=YEARS)
    benefits.write_bytes(text.encode("latin-1"))
    participants = raw / "2017" / "sus_deltagare_2017.csv"
    participants.write_bytes(participants.read_text(encoding="utf-8-sig").replace("Samordningsförbund 07", "Samordningsf\xf6rbund 07", 1).encode("latin-1"))
    with pytest.raises(InputError, match=r"sus_deltagare_2017.csv, line \d+, column 'forbund': cannot be read as utf-8-sig"):
        clean_register_year(raw, 2017, key=TEST_KEY, years=YEARS)


def test_bad_export_from_the_command_line_leaves_no_half_written_output(register_project, tmp_path):
    project_copy = tmp_path / "p"
    shutil.copytree(register_project.root, project_copy, ignore=shutil.ignore_patterns("reports", ".finsam"))
    path = project_copy / "data" / "raw" / "register" / "2022" / "sus_insatser_2022.csv"
    path.write_text(path.read_text(encoding="utf-8-sig").replace(",individinriktad,", ",individ,", 1), encoding="utf-8")
    before = sorted(p.name for p in (project_copy / "data" / "processed" / "register" / "2022").iterdir())
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "stage", "register", "--year", "2022"],
                          cwd=project_copy, capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "sus_insatser_2022.csv" in proc.stderr and "unknown code 'individ'" in proc.stderr, proc.stderr
    after = sorted(p.name for p in (project_copy / "data" / "processed" / "register" / "2022").iterdir())
    assert after == before, (before, after)  # the previous output is intact, nothing half-written beside it


def test_outputs_record_the_key_fingerprint_and_years_with_different_keys_are_not_mixed(register_project, tmp_path):
    raw = _copy_year(register_project, tmp_path)
    other_key = bytes(reversed(TEST_KEY))
    save_register_year(clean_register_year(raw, 2017, key=other_key, years=YEARS), 2017, tmp_path / "out" / "2017")
    shutil.copytree(register_project.processed / "register" / "2016", tmp_path / "out" / "2016")
    with pytest.raises(Exception, match="different keys") as err:
        check_same_key(tmp_path / "out", [2016, 2017])
    assert TEST_KEY.hex() not in str(err.value) and other_key.hex() not in str(err.value)
    assert check_same_key(register_project.processed / "register", YEARS)  # the demo build: one key


def test_the_code_lists_in_exports_yaml_agree_with_the_shared_vocabulary():
    from pipeline.core.vocabulary import BENEFITS, PSYCHIATRIC, SUPPORT

    exports = load_exports(REPO / "data" / "raw" / "register")
    assert tuple(exports["deltagare"]["columns"]["forsorjning_vid_start"]["codes"]) == SUPPORT
    assert tuple(exports["formaner"]["columns"]["forman"]["codes"]) == BENEFITS
    assert PSYCHIATRIC in exports["formaner"]["columns"]["diagnoskapitel"]["codes"]
    for export in exports.values():  # every column has a declared type, every coded column its list
        for rule in export["columns"].values():
            assert rule["type"] in ("id", "personnummer", "code", "year", "birth_year", "date", "number")
            assert rule["type"] != "code" or rule["codes"]


def test_per_value_helpers_equal_the_whole_column_operations():
    """The cleaning's shortcuts (issue 24): work on the distinct values, or hand the lookup to Arrow,
    and give exactly what pandas gives on the whole column, NA and empty text included."""
    from pipeline.sources.register import _isin, _per_value, _repeats

    rng = np.random.default_rng(3)
    values = pd.Series(rng.choice(["1,0", "0,5", "", "x", None], size=2000), dtype="string")
    for column in (values, values.astype(object), pd.Series([], dtype="string"), values.iloc[:1]):
        assert (_repeats(column) == column.duplicated(keep=False).to_numpy()).all()
        for convert in (lambda v: v.map({"1,0": 1.0, "": None}), lambda v: v.str.replace(",", ".", regex=False),
                        lambda v: v.isna()):
            pd.testing.assert_series_equal(_per_value(column, convert), convert(column))
        for lookup in ({"x", "0,5"}, ["", None], pd.Series(["1,0"], dtype="string"), set()):
            assert (_isin(column, lookup) == column.isin(list(lookup)).to_numpy(dtype=bool)).all()
